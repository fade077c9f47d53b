"""The service layer of svc-reporting (docs/service-template.md)."""
