"""A call run in a thread of its own, its result or its exception handed back to whoever waits
for it: an owner's jobs (``owner/priority.py``, at a lower priority) and an ingest handed to
a region's owner while this thread relays its progress (``ingest/entry.py``)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Background:
    """``call()`` started at once in a daemon thread named ``name``; ``first()``, if given, runs
    in that thread before it (to set something that belongs to the thread)."""

    def __init__(self, call: Callable[[], Any], name: str, first: Callable[[], Any] | None = None) -> None:
        self._box: dict[str, Any] = {}

        def target() -> None:
            try:
                if first is not None:
                    first()
                self._box["result"] = call()
            except BaseException as exc:  # raised again in the waiting thread
                self._box["error"] = exc

        self._thread = threading.Thread(target=target, name=name, daemon=True)
        self._thread.start()

    def wait(self, seconds: float) -> bool:
        """Wait at most ``seconds``; whether the call has ended."""
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def result(self) -> Any:
        """Wait for the call to end; its result, or its exception raised here."""
        self._thread.join()
        if "error" in self._box:
            raise self._box["error"]
        return self._box.get("result")
