"""The domain layer of svc-subsidy (docs/service-template.md)."""
