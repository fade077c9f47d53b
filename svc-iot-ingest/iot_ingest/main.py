"""ASGI entry point: `uvicorn iot_ingest.main:app`."""

from chassis.clock import service_clock
from iot_ingest.bootstrap import create_app

app = create_app(clock=service_clock())  # the wall, or the demo's clock (make demo)
