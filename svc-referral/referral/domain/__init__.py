"""The domain layer of svc-referral (docs/service-template.md)."""
