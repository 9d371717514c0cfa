"""The decision log: one JSON object per line for every decision and every outcome."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO


class DecisionLog:
    """Writes ``{"ts": ..., "event": ..., ...}`` lines to a stream (stderr by default)."""

    def __init__(
        self, stream: TextIO | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.clock = clock
        self._lock = threading.Lock()

    def event(self, event: str, **fields: Any) -> dict[str, Any]:
        """Log one event and return the record."""
        record = {"ts": round(self.clock(), 3), "event": event, **fields}
        line = json.dumps(record, sort_keys=False, default=str)
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()
        return record
