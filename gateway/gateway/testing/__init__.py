"""Test helpers of the gateway."""
