"""ASGI entry point: `uvicorn intake.main:app`."""

from __future__ import annotations

from intake.bootstrap import create_app

app = create_app()
