"""ASGI entry point: `uvicorn intake.main:app`."""

from __future__ import annotations

from chassis.clock import service_clock
from intake.bootstrap import create_app

app = create_app(clock=service_clock())  # the wall, or the demo's clock (make demo)
