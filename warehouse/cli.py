"""The ``kasuwa`` command. Usage errors exit 2; a rejected file exits 1 with a one-line reason
on stderr; nothing ever prints a stack trace.

Everything written to the terminal goes through ``printable``: control characters (ANSI escape
sequences, carriage returns, bidirectional overrides) from a file's headers or names are shown
as ``\x1b``-style text, never sent raw. SIGTERM is turned into an exception like Ctrl-C, so
an interrupted command cleans up after itself (no half-copied file in landing, no scratch
folder in ``tmp/``) and exits 143.

Sub-commands living in other modules register themselves through ``register_cli(sub)``
functions listed in ``_EXTENSIONS``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from .access import Actor
from .errors import KasuwaError

#: modules that add sub-commands with ``register_cli(subparsers)``
_EXTENSIONS = ("warehouse.accounts_cli", "warehouse.payouts.cli", "warehouse.fx")


#: C0 and C1 controls except tab and newline, DEL, zero-width and bidirectional formatting marks
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def printable(text: str) -> str:
    """``text`` with every character that could drive the terminal written out as an escape."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


class _SafeStream:
    """A text stream that writes ``printable`` text to ``raw`` (stdout or stderr)."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        return self.raw.write(printable(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


@contextmanager
def _safe_output() -> Iterator[None]:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _SafeStream(out), _SafeStream(err)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread so every ``finally`` runs, as for Ctrl-C."""


#: the stop signal that arrived (SIGINT or SIGTERM), remembered as well as raised: a signal that
#: lands inside a DuckDB query comes back out of the query as the library's own "Query
#: interrupted" error (or as a read error built on it), not as the exception raised here
_STOPPED_BY: list[int] = []


def _on_stop(signum: int, frame: object) -> None:
    _STOPPED_BY.append(signum)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt()
    raise Terminated()


@contextmanager
def _stop_signals_as_exceptions() -> Iterator[None]:
    try:
        previous = {sig: signal.signal(sig, _on_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    except ValueError:  # not the main thread (called from a test's worker): leave signals alone
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors: exit 2, one line
        self.print_usage(sys.stderr)
        print(f"kasuwa: {message}", file=sys.stderr)
        raise SystemExit(2)


def _cmd_init(args: argparse.Namespace) -> int:
    from .db import init_all

    status = init_all()
    for code, state in status.items():
        print(f"{code}: {state}")
    return 0 if all(s == "ok" for s in status.values()) else 1


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demo import build_demo

    build_demo(progress=sys.stderr.isatty())
    return 0


def _cmd_creator_add(args: argparse.Namespace) -> int:
    from .creators import add_creator

    c = add_creator(Actor.operator(), args.id, args.country, args.name)
    print(f"creator {c.creator_id} ({c.name}, {c.country}) in region {c.region}")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from .db import serve_region

    serve_region(args.region, args.listen)
    return 0


def _parse_maps(items: Sequence[str]) -> dict[str, str]:
    from .ingest.sale import CANONICAL

    out = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(_usage(f"--map takes canonical=Header, got {item!r}"))
        key, header = item.split("=", 1)
        if key.strip() not in CANONICAL:
            raise SystemExit(_usage(f"--map {key.strip()}=…: {key.strip()!r} is not a canonical column; "
                                    f"use one of {', '.join(CANONICAL)}"))
        out[key.strip()] = header.strip()
    return out


def _usage(message: str) -> int:
    print(f"kasuwa: {message}", file=sys.stderr)
    return 2


def _progress(label: str) -> Callable[[str, float], None]:
    """The terminal progress bar, which redraws with a carriage return: written to the raw
    stream, its label made printable first."""
    from .ingest.progress import terminal_progress

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
    from .ingest import ingest_file

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


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="kasuwa", description="Kasuwa: per-region sales warehouses for creators.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("init", help="create or migrate every region's warehouse").set_defaults(fn=_cmd_init)
    sub.add_parser(
        "demo", help="init + demo creators, users, six months of sales, flagged rows"
    ).set_defaults(fn=_cmd_demo)

    creator = sub.add_parser("creator", help="manage creators")
    csub = creator.add_subparsers(dest="creator_command", required=True, parser_class=_Parser)
    add = csub.add_parser("add", help="register a creator (region from country)")
    add.add_argument("id")
    add.add_argument("--country", required=True, help="ISO 3166 alpha-2, e.g. NG")
    add.add_argument("--name")
    add.set_defaults(fn=_cmd_creator_add)

    ing = sub.add_parser("ingest", help="validate and load sales exports")
    ing.add_argument("files", nargs="+", metavar="FILE")
    ing.add_argument("--creator", required=True, metavar="ID")
    ing.add_argument("--profile", metavar="NAME", help="force a source profile instead of detecting it")
    ing.add_argument("--map", action="append", metavar="canonical=Header",
                     help="map a column the profile cannot (repeatable)")
    ing.add_argument("--json", action="store_true", help="print one JSON object per file")
    ing.set_defaults(fn=_cmd_ingest)

    serve = sub.add_parser("serve", help="serve a region's warehouse over DuckDB's Quack protocol")
    serve.add_argument("region")
    serve.add_argument("--listen", default="localhost:9494", metavar="HOST:PORT")
    serve.set_defaults(fn=_cmd_serve)

    for module in _EXTENSIONS:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register_cli(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    with _safe_output(), _stop_signals_as_exceptions():
        return _main(argv)


def _stopped() -> int:
    """One line and the shell's exit status for the stop: 130 for Ctrl-C, 143 for SIGTERM."""
    if _STOPPED_BY and _STOPPED_BY[0] == signal.SIGTERM:
        print("kasuwa: stopped (SIGTERM); nothing half-loaded was kept (run the same command again)",
              file=sys.stderr)
        return 143
    print("kasuwa: interrupted; nothing half-loaded was kept (run the same command again)", file=sys.stderr)
    return 130


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.fn(args) or 0)
    except KasuwaError as exc:
        if _STOPPED_BY:  # the stop surfaced as a read or load error
            return _stopped()
        print(f"kasuwa: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: one line for the user, never a stack trace
        from .settings import settings

        if _STOPPED_BY:  # a stop signal interrupted a query: a stop, not a bug
            return _stopped()

        if settings().debug:
            raise
        print(f"kasuwa: unexpected error ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}). "
              "Nothing half-loaded was kept; please report this.", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Terminated):
        return _stopped()
    finally:
        from .db import close_all

        close_all()


if __name__ == "__main__":
    raise SystemExit(main())
