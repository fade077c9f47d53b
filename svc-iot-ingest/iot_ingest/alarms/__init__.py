"""Alarm use cases: raise (device lane, rule engine), lifecycle, escalation, feed."""
