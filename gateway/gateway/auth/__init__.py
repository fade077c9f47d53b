"""Authentication at the edge: people (JWT bearer) and partner hospitals (API key + HMAC)."""
