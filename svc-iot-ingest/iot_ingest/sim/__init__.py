"""`python -m iot_ingest.sim`: simulated beds posting to a running stack."""
