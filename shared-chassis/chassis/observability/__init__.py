"""Metrics, structured logs and request context shared by every service."""
