"""Use cases: one module per aggregate or workflow; each owns its transaction."""
