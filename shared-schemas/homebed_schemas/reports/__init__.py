"""Outbound reports of HomeBed to government platforms (not Kafka events)."""
