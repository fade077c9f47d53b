"""The schemas layer of svc-referral (docs/service-template.md)."""
