"""The service layer of svc-referral (docs/service-template.md)."""
