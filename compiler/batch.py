"""Process-level policy for one relc command: a short batch run over a large, acyclic object graph."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector for the duration of a command.

    Why: a fleet is hundreds of thousands of small acyclic objects (documents, models, rendered manifests) that
    all live until the command ends, and every generation-2 collection rescans all of them. Measured at 10,000
    tenants: ``relc validate`` 3.0 s → 2.1 s; compile's render sections 3.8 s → 1.0 s CPU. Reference counting
    still frees everything; the collector is restored afterwards (tests run many commands in one process).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
