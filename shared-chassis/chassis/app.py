"""The service app factory: lifespan, health, metrics, problem handlers, request context."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.telemetry import TelemetryConfig

from chassis.api import get_principal
from chassis.content_type import JsonBodiesOnly
from chassis.docs import mount_docs
from chassis.observability.logging import configure_logging
from chassis.observability.metrics import render_latest
from chassis.observability.middleware import MetricsMiddleware, RequestContextMiddleware
from chassis.openapi import install_openapi
from chassis.problems import install_problem_handlers, problem_response
from chassis.runtime import ServiceRuntime

Hook = Callable[[FastAPI, ServiceRuntime], Awaitable[None]]
NO_NATIVE_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_service_app(
    *,
    runtime: ServiceRuntime,
    title: str,
    routers: Sequence[APIRouter] = (),
    version: str = "0.1.0",
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    serve_metrics: bool = True,
) -> FastAPI:
    settings = runtime.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
        await runtime.start()
        for hook in on_startup:
            await hook(app, runtime)
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook(app, runtime)
            await runtime.stop()

    app = FastAPI(
        title=title,
        version=version,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # the services' metrics are Prometheus (chassis.observability) and no OpenTelemetry
        # provider is configured: with FastAPI's native telemetry on, every request still asked
        # the global providers (environment reads) whether one had been, a few percent of the
        # CPU of a device lane's request
        telemetry=NO_NATIVE_TELEMETRY,
    )
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.uow_factory = runtime.uow
    install_problem_handlers(app)
    app.add_middleware(JsonBodiesOnly)
    app.add_middleware(MetricsMiddleware, service=settings.service_name)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(operations_router(serve_metrics=serve_metrics))
    mount_docs(app, title=title)
    for router in routers:
        app.include_router(router)
    install_openapi(app, principal_dependency=get_principal)
    return app


def operations_router(*, serve_metrics: bool = True) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @router.get("/readyz", include_in_schema=False, response_model=None)
    async def readyz(request: Request) -> Response | dict[str, object]:
        runtime: ServiceRuntime = request.app.state.runtime
        checks = {"database": await runtime.check_database(), "kafka": await runtime.check_kafka()}
        if all(checks.values()):
            return {"status": "ready", "checks": checks}
        failing = ", ".join(name for name, ok in checks.items() if not ok)
        return problem_response(
            503, "Not ready", f"Unreachable: {failing}", extra={"checks": checks}
        )

    if serve_metrics:  # an edge serves them on an internal listener instead

        @router.get("/metrics", include_in_schema=False)
        async def metrics() -> Response:
            body, content_type = render_latest()
            return Response(body, media_type=content_type)

    return router
