"""``kasuwa serve REGION`` / ``kasuwa serve --all``: run a region's owner, the one process that
opens the region's warehouse file and serves every other Kasuwa process (see the README's
process model)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import usage


def _cmd_serve(args: argparse.Namespace) -> int:
    from ..owner.run import run_all, run_owner

    if args.all == bool(args.region):
        return usage("serve takes a REGION or --all")
    if args.all:
        return run_all()
    run_owner(args.region, args.listen, args.quack)
    return 0


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="own a region's warehouse and serve it to other Kasuwa processes")
    serve.add_argument("region", nargs="?")
    serve.add_argument("--all", action="store_true", help="one owner process per region kept on this host")
    serve.add_argument("--listen", default="127.0.0.1:0", metavar="HOST:PORT",
                       help="where other Kasuwa processes reach it (default: loopback, any free port)")
    serve.add_argument("--quack", metavar="HOST:PORT",
                       help="also serve the file over DuckDB's Quack protocol (needs KASUWA_QUACK_TOKEN)")
    serve.set_defaults(fn=_cmd_serve)
