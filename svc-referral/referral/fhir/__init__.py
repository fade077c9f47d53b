"""FHIR R4 (4.0.1) views of referrals: Task, ServiceRequest, Consent, Bundle, CapabilityStatement.

Plain dicts built from our read models (no FHIR library at run time); the tests validate every
resource with the maintained `fhir.resources` models (its R4B package: see the README for why).
"""
