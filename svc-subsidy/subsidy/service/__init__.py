"""The service layer of svc-subsidy (docs/service-template.md)."""
