"""Notification rules and templates as data, with their loader."""
