"""A command's time limit as points on the wall clock, passed down whole (`Deadline`)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

GRACE_S = 0.3  # the worker is ended this long after the deadline, plus GRACE_SHARE of the limit
GRACE_SHARE = 0.03


def grace_s(limit_s: float) -> float:
    return GRACE_S + GRACE_SHARE * limit_s


@dataclass(frozen=True)
class Deadline:
    """A command's time limit as points on the wall clock (time.monotonic, the same in every
    process of the machine): `at` the deadline, `stop_at` when a worker still at work is ended.
    Without a limit all three are None."""

    limit_s: float | None
    at: float | None = None
    stop_at: float | None = None

    @classmethod
    def of(cls, limit_s: float | None, *, began: float | None = None) -> Deadline:
        """A deadline `limit_s` seconds after `began` (now by default); None: no limit."""
        if limit_s is None:
            return cls(None)
        start = time.monotonic() if began is None else began
        return cls(limit_s, start + limit_s, start + limit_s + grace_s(limit_s))

    @property
    def limited(self) -> bool:
        return self.at is not None

    def left(self) -> float:
        """Seconds to the deadline, at least 0; inf without one."""
        return math.inf if self.at is None else max(self.at - time.monotonic(), 0.0)

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def share(self, parts: int) -> Deadline:
        """A deadline for one of `parts` parts still to run: an equal share of what is left to
        work to, ended from outside only when this deadline ends its own work (a part that
        overruns its share takes from those after it; ending the worker for it would cost the
        next part a new worker)."""
        if self.at is None or self.stop_at is None:
            return self
        now = time.monotonic()
        own = self.left() / max(parts, 1)
        return Deadline(own, now + own, self.stop_at)
