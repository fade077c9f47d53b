"""The reverse proxy: pipeline, forwarding, streaming, OpenAPI merge."""
