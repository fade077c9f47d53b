"""The rule engine: threshold rules, inactivity, night bed-exit and device liveness."""
