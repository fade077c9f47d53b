"""Payload models, one module per producing service."""
