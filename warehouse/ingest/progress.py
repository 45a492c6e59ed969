"""A progress bar on the terminal for ``kasuwa ingest`` (only when stderr is a terminal)."""

from __future__ import annotations

import sys
from collections.abc import Callable


def terminal_progress(label: str, width: int = 30) -> Callable[[str, float], None]:
    def show(stage: str, fraction: float) -> None:
        done = int(width * max(0.0, min(1.0, fraction)))
        sys.stderr.write(f"\r{label[:30]:30} [{'#' * done}{'.' * (width - done)}] {fraction:4.0%} {stage:12}")
        if fraction >= 1.0:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show
