"""The schemas layer of svc-subsidy (docs/service-template.md)."""
