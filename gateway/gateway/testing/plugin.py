"""Pytest plugin (entry point `pytest11`), loaded before collection.

The workspace runs pytest in importlib mode from the repo root, so `gateway/tests/test_x.py`
is imported as `gateway.tests.test_x`; pytest would then create an empty namespace module
`gateway` for the *directory* /work/main/gateway and shadow the real package. Importing the real
package first (this module is inside it) makes pytest hang the tests under it instead.
"""

from __future__ import annotations

import gateway  # noqa: F401
