"""Bulk steps without the cyclic garbage collector's pauses.

A county's step builds some 10⁵ short-lived, acyclic objects (bed facts, lines, entries, row
tuples). Each allocation burst triggers collections that walk every live object of the process
(the ORM, the app, the lines so far): on the bench that was a third of the Python time, spent
finding no cycles. Inside `without_gc_pauses` the collector is off; it is switched back on (and
one collection of the young generation runs) when the step ends, even on an error. Reference
counting still frees everything at once, so memory stays what the step needs.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_gc_pauses() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
            gc.collect(0)
