"""Consumers of iot.telemetry.v1: the rule engine and the storage projector, each its own group."""
