"""The ``kasuwa`` command. Usage errors exit 2; a rejected file exits 1 with a one-line reason
on stderr; nothing ever prints a stack trace.

Sub-commands living in other modules register themselves through ``register_cli(sub)``
functions listed in ``_EXTENSIONS``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .access import Actor
from .errors import KasuwaError

#: modules that add sub-commands with ``register_cli(subparsers)``
_EXTENSIONS = ("warehouse.accounts", "warehouse.payouts.cli", "warehouse.fx")


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
    out = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(_usage(f"--map takes canonical=Header, got {item!r}"))
        key, header = item.split("=", 1)
        out[key.strip()] = header.strip()
    return out


def _usage(message: str) -> int:
    print(f"kasuwa: {message}", file=sys.stderr)
    return 2


def _cmd_ingest(args: argparse.Namespace) -> int:
    from .ingest import ingest_file
    from .ingest.progress import terminal_progress

    mapping = _parse_maps(args.map or [])
    worst = 0
    for name in args.files:
        path = Path(name)
        progress: Callable[[str, float], None] | None = terminal_progress(path.name) if (
            not args.json and sys.stderr.isatty()
        ) else None
        try:
            # only check it can be read: ingest_file copies a path to landing in chunks, so memory
            # does not grow with the file (read_bytes() held all of it)
            with open(path, "rb") as probe:
                probe.read(1)
        except OSError as exc:
            print(f"kasuwa: {name}: cannot read the file ({exc.strerror})", file=sys.stderr)
            worst = 1
            continue
        result = ingest_file(
            Actor.operator(), args.creator, path.name, path,
            profile=args.profile, mapping=mapping, progress=progress,
        )
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
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.fn(args) or 0)
    except KasuwaError as exc:
        print(f"kasuwa: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: one line for the user, never a stack trace
        from .settings import settings

        if settings().debug:
            raise
        print(f"kasuwa: unexpected error ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}). "
              "Nothing half-loaded was kept; please report this.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kasuwa: interrupted; nothing half-loaded was kept (run the same command again)", file=sys.stderr)
        return 130
    finally:
        from .db import close_all

        close_all()


if __name__ == "__main__":
    raise SystemExit(main())
