"""Repositories of svc-subsidy, one per aggregate; none commits."""
