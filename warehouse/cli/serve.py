"""``kasuwa serve REGION [--listen HOST:PORT]``: serve a region's warehouse over Quack."""

from __future__ import annotations

import argparse
from typing import Any


def _cmd_serve(args: argparse.Namespace) -> int:
    from ..db import serve_region

    serve_region(args.region, args.listen)
    return 0


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="serve a region's warehouse over DuckDB's Quack protocol")
    serve.add_argument("region")
    serve.add_argument("--listen", default="localhost:9494", metavar="HOST:PORT")
    serve.set_defaults(fn=_cmd_serve)
