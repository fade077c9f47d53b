"""The high-rate telemetry lane: decode, validate, dedupe, rate-limit, publish."""
