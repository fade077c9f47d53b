"""The service layer of svc-notify (docs/service-template.md)."""
