"""Build FHIR R4 resources from referral rows (pure functions, JSON-ready dicts).

Task follows the Gravity SDOH Clinical Care IG's use: the requester authors it, the owner
(receiver) moves it; `statusReason` carries our coded reason, `businessStatus` the finer step,
`restriction.period.end` the current step's deadline, `output` the admission day on completion.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from homebed_schemas.events.referral import ReferralStatus
from referral.domain.catalogue import ReasonCatalogue
from referral.tables import ConsentRow, ReferralRow

FHIR_VERSION = "4.0.1"
PATH_SYSTEM = "urn:homebed:codes:referral-path"
BUSINESS_SYSTEM = "urn:homebed:codes:referral-business-status"
CATEGORY_SYSTEM = "urn:homebed:codes:archive-category"
ORG_SYSTEM = "urn:homebed:ids:organisation"
JSON = dict[str, Any]

TASK_STATUS = {"in_progress": "in-progress", "on_hold": "on-hold"}
REQUEST_STATUS = {
    "requested": "active",
    "received": "active",
    "accepted": "active",
    "in_progress": "active",
    "on_hold": "on-hold",
    "completed": "completed",
    "rejected": "revoked",
    "cancelled": "revoked",
    "failed": "revoked",
}


def instant(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def organisation(organisation_id: str, name: str | None) -> JSON:
    ref: JSON = {
        "reference": f"Organization/{organisation_id}",
        "identifier": {"system": ORG_SYSTEM, "value": organisation_id},
    }
    if name:
        ref["display"] = name
    return ref


def patient_ref(elder_id: str | None) -> JSON:
    if elder_id is None:  # hospital → home bed: the elder's identity is entered in intake
        return {"display": "elder referred home by a partner hospital (identity kept in intake)"}
    return {"reference": f"Patient/{elder_id}"}


def task(row: ReferralRow, reasons: ReasonCatalogue) -> JSON:
    resource: JSON = {
        "resourceType": "Task",
        "id": row.id,
        "meta": {"lastUpdated": instant(row.updated_at)},
        "status": TASK_STATUS.get(row.status, row.status),
        "intent": "order",
        "code": {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/CodeSystem/task-code",
                    "code": "fulfill",
                    "display": "Fulfill the focal request",
                }
            ]
        },
        "focus": {"reference": f"ServiceRequest/{row.id}"},
        "for": patient_ref(row.elder_id),
        "authoredOn": instant(row.created_at),
        "lastModified": instant(row.updated_at),
        "requester": organisation(row.requester_id, row.requester_name),
        "owner": organisation(row.receiver_id, row.receiver_name),
    }
    if row.reason_code:
        coding = reasons.reason(_status(row.status), row.reason_code)
        resource["statusReason"] = {
            "coding": [
                {
                    "system": reasons.system,
                    "code": row.reason_code,
                    **({"display": coding.display_en} if coding else {}),
                }
            ],
            **({"text": row.reason} if row.reason else {}),
        }
    if row.business_status:
        resource["businessStatus"] = {
            "coding": [{"system": BUSINESS_SYSTEM, "code": row.business_status}]
        }
    if row.due_at:
        resource["restriction"] = {"period": {"end": instant(row.due_at)}}
    outputs = []
    if row.admitted_on:
        outputs.append(_output("admitted-on", row.admitted_on))
    if row.service_ended_on:
        outputs.append(_output("service-ended-on", row.service_ended_on))
    if outputs:
        resource["output"] = outputs
    return resource


def service_request(row: ReferralRow) -> JSON:
    resource: JSON = {
        "resourceType": "ServiceRequest",
        "id": row.id,
        "meta": {"lastUpdated": instant(row.updated_at)},
        "status": REQUEST_STATUS[row.status],
        "intent": "order",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://snomed.info/sct",
                        "code": "3457005",
                        "display": "Patient referral",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": PATH_SYSTEM, "code": row.path}], "text": row.path},
        "subject": patient_ref(row.elder_id),
        "authoredOn": instant(row.created_at),
        "requester": organisation(row.requester_id, row.requester_name),
        "performer": [organisation(row.receiver_id, row.receiver_name)],
    }
    if row.consent_id:
        resource["supportingInfo"] = [{"reference": f"Consent/{row.consent_id}"}]
    if row.note:
        resource["note"] = [{"text": row.note}]
    if row.discharge:
        resource["occurrenceDateTime"] = row.discharge.get("expected_discharge_on")
    return resource


def consent(row: ConsentRow) -> JSON:
    performer = (
        {"reference": f"Patient/{row.elder_id}"}
        if row.grantor == "elder"
        else {
            "display": f"{row.grantor_relationship or 'family'} {row.grantor_name_masked or ''}".strip()
        }
    )
    resource: JSON = {
        "resourceType": "Consent",
        "id": row.id,
        "meta": {"lastUpdated": instant(row.updated_at)},
        "status": "active" if row.status == "active" else "inactive",
        "scope": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                    "code": "patient-privacy",
                }
            ]
        },
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
        "patient": {"reference": f"Patient/{row.elder_id}"},
        "dateTime": instant(row.created_at),
        "performer": [performer],
        "organization": [organisation(row.provider_id, None)],
        "policyRule": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}
            ]
        },
        "provision": {
            "type": "permit",
            "period": {"start": instant(row.valid_from), "end": instant(row.valid_until)},
            "actor": [
                {
                    "role": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                "code": "IRCP",
                            }
                        ]
                    },
                    "reference": organisation(row.receiver_id, None),
                }
            ],
            "purpose": [
                {"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT"}
            ],
            "code": [
                {"coding": [{"system": CATEGORY_SYSTEM, "code": category}]}
                for category in row.categories
            ],
        },
    }
    if row.method == "signed_form" and row.form_reference:
        resource["sourceAttachment"] = {"title": f"signed form {row.form_reference}"}
    return resource


def capability_statement(*, published: datetime) -> JSON:
    def read_only(kind: str, search: tuple[tuple[str, str], ...] = ()) -> JSON:
        entry: JSON = {"type": kind, "interaction": [{"code": "read"}]}
        if search:
            entry["interaction"].append({"code": "search-type"})
            entry["searchParam"] = [{"name": n, "type": t} for n, t in search]
        return entry

    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": instant(published),
        "publisher": "HomeBed",
        "kind": "instance",
        "software": {"name": "HomeBed svc-referral"},
        "implementation": {"description": "HomeBed referrals (转介转养) as FHIR Task polling"},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": "HMAC-signed partner keys or people tokens at the gateway"
                },
                "resource": [
                    read_only(
                        "Task",
                        (
                            ("owner", "reference"),
                            ("requester", "reference"),
                            ("status", "token"),
                            ("_lastUpdated", "date"),
                        ),
                    ),
                    read_only("ServiceRequest"),
                    read_only("Consent"),
                ],
            }
        ],
    }


def searchset(resources: list[JSON], *, total: int, self_url: str) -> JSON:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": [{"relation": "self", "url": self_url}],
        "entry": [
            {
                "fullUrl": f"{r['resourceType']}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }


def _output(kind: str, day: date) -> JSON:
    return {"type": {"text": kind}, "valueDate": day.isoformat()}


def _status(value: str) -> ReferralStatus:
    return ReferralStatus(value)
