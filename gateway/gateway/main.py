"""`uvicorn gateway.main:app` (the ASGI app; nothing connects before the lifespan starts)."""

from gateway.bootstrap import create_app

app = create_app()
