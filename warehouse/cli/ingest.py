"""``kasuwa ingest FILE… --creator ID``: one result per file (``--json``: one object per line);
a rejected or refused file exits 1 with a one-line reason on stderr.

Only light modules are imported here: with a region owner running, the ingest runs in the
owner (Great Expectations already imported there), so this process must not pay for it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..access import Actor
from ..errors import KasuwaError
from .common import printable, usage


def _parse_maps(items: Sequence[str]) -> dict[str, str]:
    from ..ingest.sale import CANONICAL

    out = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(usage(f"--map takes canonical=Header, got {item!r}"))
        key, header = item.split("=", 1)
        if key.strip() not in CANONICAL:
            raise SystemExit(usage(f"--map {key.strip()}=…: {key.strip()!r} is not a canonical column; "
                                   f"use one of {', '.join(CANONICAL)}"))
        out[key.strip()] = header.strip()
    return out


def _progress(label: str) -> Callable[[str, float], None]:
    """The terminal progress bar, which redraws with a carriage return: written to the raw
    stream, its label made printable first."""
    from ..ingest.progress import terminal_progress

    show = terminal_progress(printable(label))

    def call(stage: str, fraction: float) -> None:
        safe = sys.stderr
        sys.stderr = getattr(safe, "raw", safe)
        try:
            show(stage, fraction)
        finally:
            sys.stderr = safe

    return call


def _refused(name: str, message: str, as_json: bool) -> None:
    """A file refused before it reached landing: the same JSON object and stderr line as any
    rejected file, with no upload id."""
    if as_json:
        print(json.dumps({"file": name, "upload_id": None, "region": None, "profile": None,
                          "status": "rejected", "rows_total": 0, "rows_loaded": 0, "rows_flagged": 0,
                          "rows_skipped": 0, "rows_known": 0, "message": message, "sha256": None,
                          "assumptions": [], "missing": []}), flush=True)
    else:
        print(f"{name}: rejected — {message}")
    print(f"kasuwa: {name}: {message}", file=sys.stderr)


def _cmd_ingest(args: argparse.Namespace) -> int:
    from ..ingest import ingest_file

    mapping = _parse_maps(args.map or [])
    worst = 0
    for name in args.files:
        path = Path(name)
        progress: Callable[[str, float], None] | None = _progress(path.name) if (
            not args.json and sys.stderr.isatty()
        ) else None
        try:
            # only check it can be opened, reading nothing (a pipe's first bytes would be lost):
            # ingest_file copies a path to landing in chunks, stopping at the size limit
            open(path, "rb").close()
        except OSError as exc:
            _refused(name, f"cannot read the file ({exc.strerror}). Check the path and try again.", args.json)
            worst = 1
            continue
        try:
            result = ingest_file(
                Actor.operator(), args.creator, path.name, path,
                profile=args.profile, mapping=mapping, progress=progress,
            )
        except KasuwaError as exc:  # unknown creator, warehouse in use, …: still one object per file
            _refused(name, str(exc), args.json)
            worst = 1
            continue
        out: dict[str, Any] = {"file": name, **result.summary()}
        if args.json:
            print(json.dumps(out, default=str), flush=True)
        else:
            print(f"{name}: {result.status} — {result.message}")
        if result.status == "rejected":
            print(f"kasuwa: {name}: {result.message}", file=sys.stderr)
            worst = 1
    return worst


def register(sub: Any) -> None:
    ing = sub.add_parser("ingest", help="validate and load sales exports")
    ing.add_argument("files", nargs="+", metavar="FILE")
    ing.add_argument("--creator", required=True, metavar="ID")
    ing.add_argument("--profile", metavar="NAME", help="force a source profile instead of detecting it")
    ing.add_argument("--map", action="append", metavar="canonical=Header",
                     help="map a column the profile cannot (repeatable)")
    ing.add_argument("--json", action="store_true", help="print one JSON object per file")
    ing.set_defaults(fn=_cmd_ingest, job=True)
