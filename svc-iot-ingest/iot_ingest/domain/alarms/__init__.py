"""Alarm lifecycle with the 15-minute on-site rule (001 §四(三)2) and escalation."""
