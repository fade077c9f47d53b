"""The archive package as a FHIR R4 Bundle (type collection): what the consent covers of the
elder's basic information, assessments, care plan, visits, vitals and alarms ("床随人走")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from referral.fhir.resources import CATEGORY_SYSTEM, instant

JSON = dict[str, Any]
ID_SYSTEM = "urn:homebed:ids:resident-id"
MASKED_ID_SYSTEM = "urn:homebed:ids:resident-id-masked"


def archive_bundle(
    *,
    referral_id: str,
    elder_id: str,
    categories: list[str],
    intake: JSON | None,
    visits: JSON | None,
    iot: JSON | None,
    now: datetime,
    expires_at: datetime,
) -> JSON:
    patient = f"Patient/{elder_id}"
    entries: list[JSON] = []
    elder = (intake or {}).get("elder")
    if elder:
        identifier = {"system": MASKED_ID_SYSTEM, "value": elder["id_number_masked"]}
        if elder.get("id_number"):
            identifier = {"system": ID_SYSTEM, "value": elder["id_number"]}
        entries.append(
            {
                "resourceType": "Patient",
                "id": elder_id,
                "identifier": [identifier],
                "name": [{"text": elder["name_masked"]}],
                "gender": {"male": "male", "female": "female"}.get(elder["sex"], "unknown"),
                "birthDate": elder["birth_date"],
            }
        )
    for n, assessment in enumerate((intake or {}).get("assessments") or []):
        entries.append(
            {
                "resourceType": "Observation",
                "id": f"assessment-{n + 1}",
                "status": "final",
                "code": {"text": f"ability assessment ({assessment['scale']})"},
                "subject": {"reference": patient},
                "effectiveDateTime": assessment["assessed_on"],
                "valueString": assessment["ability_level"] or "unknown",
                "performer": [{"display": assessment["assessor"]}],
            }
        )
    plan = (intake or {}).get("care_plan")
    if plan is not None:
        entries.append(
            {
                "resourceType": "CarePlan",
                "id": "care-plan",
                "status": "active",
                "intent": "plan",
                "subject": {"reference": patient},
                "activity": [
                    {
                        "detail": {
                            "status": "scheduled",
                            "description": f"{item.get('item_id')}: {item.get('times')} per "
                            f"{item.get('per')}, {item.get('minutes_per_visit')} min",
                        }
                    }
                    for item in plan
                ],
            }
        )
    for visit in (visits or {}).get("items", []):
        entries.append(
            {
                "resourceType": "Encounter",
                "id": f"visit-{visit['id']}",
                "status": "finished",
                "class": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": "HH",
                    "display": "home health",
                },
                "type": [{"text": visit["type"]}],
                "subject": {"reference": patient},
                "period": {"start": visit["at"]},
            }
        )
    for n, daily in enumerate((iot or {}).get("daily_vitals") or []):
        entries.append(
            {
                "resourceType": "Observation",
                "id": f"vital-{n + 1}",
                "status": "final",
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                "code": "vital-signs",
                            }
                        ]
                    }
                ],
                "code": {"text": daily["metric"]},
                "subject": {"reference": patient},
                "effectiveDateTime": daily["day"],
                "valueQuantity": {"value": daily["mean"]},
                "note": [
                    {
                        "text": f"daily mean of {daily['count']}; min {daily['minimum']}, max {daily['maximum']}"
                    }
                ],
            }
        )
    for alarm in (iot or {}).get("alarms") or []:
        period = {"start": alarm["raised_at"]}
        if alarm.get("resolved_at"):
            period["end"] = alarm["resolved_at"]
        entries.append(
            {
                "resourceType": "Flag",
                "id": f"alarm-{alarm['alarm_id']}",
                "status": "inactive" if alarm["status"] == "resolved" else "active",
                "code": {"text": f"{alarm['alarm_type']} alarm ({alarm['severity']})"},
                "subject": {"reference": patient},
                "period": period,
            }
        )
    return {
        "resourceType": "Bundle",
        "id": f"archive-{referral_id}",
        "meta": {
            "tag": [{"system": CATEGORY_SYSTEM, "code": c} for c in categories],
            "security": [
                {
                    "system": "urn:homebed:archive-expires",
                    "code": instant(expires_at),
                    "display": "do not keep after this instant",
                }
            ],
        },
        "type": "collection",
        "timestamp": instant(now),
        "entry": [
            {"fullUrl": f"urn:homebed:{e['resourceType']}/{e['id']}", "resource": e}
            for e in entries
        ],
    }
