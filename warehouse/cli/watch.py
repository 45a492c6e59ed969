"""``kasuwa watch [--region R] [--once] [--interval S]``: ingest the files dropped in the drop
folders (``warehouse/dropfolder.py``) until SIGTERM or Ctrl-C."""

from __future__ import annotations

from typing import Any

from .. import dropfolder


def register(sub: Any) -> None:
    watch = sub.add_parser("watch", help="ingest the files dropped in the drop folders until stopped")
    dropfolder.add_arguments(watch)
    watch.set_defaults(fn=dropfolder.run, job=True)
