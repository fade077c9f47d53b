"""Outbound HTTP clients that share one TLS context per process.

`httpx.AsyncClient()` builds a new `ssl.SSLContext` and loads the whole CA bundle into it
each time (tens of milliseconds, far more on a loaded machine). A service builds its clients
once, but the tests build an app, and so its clients, per test: the context is immutable once
built and meant to be shared, so every client of the process uses the same one.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx


@functools.cache
def shared_tls_context(*, trust_env: bool = True) -> ssl.SSLContext:
    """httpx's default verifying context (certifi, or SSL_CERT_FILE/SSL_CERT_DIR), built once."""
    return httpx.create_ssl_context(trust_env=trust_env)


def outbound_client(*, trust_env: bool = True, **options: Any) -> httpx.AsyncClient:
    """`httpx.AsyncClient(**options)` verifying certificates with the shared context."""
    return httpx.AsyncClient(
        verify=shared_tls_context(trust_env=trust_env), trust_env=trust_env, **options
    )
