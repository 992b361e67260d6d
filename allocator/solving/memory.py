"""glibc's memory switches for the decomposition's many HiGHS models, behind one context manager.

glibc raises its threshold for mapping large blocks apart each time one is freed; above it,
the large vectors of the chunks' HiGHS models come from the heap, fragment it, and are never
given back. A fixed threshold keeps them apart, returned when freed (measured at 10,000
communities: peak 797 -> 676 MB; 100,000: see docs/performance.md). Memory HiGHS freed is
given back to the system on leaving (glibc keeps it otherwise, and Python's own allocator
cannot reuse it). Where the C library is not glibc, nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
_MAPPED_FROM_BYTES = 256 * 1024  # blocks this large and larger are mapped apart
_GLIBC_STARTING_THRESHOLD = 128 * 1024  # glibc's threshold before any block is freed


@cache
def _glibc() -> Any:
    """The C library when it is glibc (mallopt, malloc_trim), else None."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):  # no C library to load by that name: not glibc
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


@contextmanager
def large_blocks_apart() -> Iterator[None]:
    """Inside: blocks of 256 KiB and more are mapped apart and given back when freed. On
    leaving: what was freed inside is given back to the system, and the threshold is glibc's
    starting one again (glibc has no call to let it rise on its own again)."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, _MAPPED_FROM_BYTES)
    try:
        yield
    finally:
        if libc is not None:
            libc.malloc_trim(0)
            libc.mallopt(_M_MMAP_THRESHOLD, _GLIBC_STARTING_THRESHOLD)
