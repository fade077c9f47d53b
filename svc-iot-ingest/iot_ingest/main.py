"""ASGI entry point: `uvicorn iot_ingest.main:app`."""

from iot_ingest.bootstrap import create_app

app = create_app()
