"""``kasuwa init`` (create or migrate every warehouse) and ``kasuwa demo`` (the demo data)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _cmd_init(args: argparse.Namespace) -> int:
    from ..db import init_all

    status = init_all()
    for code, state in status.items():
        print(f"{code}: {state}")
    return 0 if all(s == "ok" for s in status.values()) else 1


def _cmd_demo(args: argparse.Namespace) -> int:
    from ..demo import build_demo

    build_demo(progress=sys.stderr.isatty())
    return 0


def register(sub: Any) -> None:
    sub.add_parser("init", help="create or migrate every region's warehouse").set_defaults(fn=_cmd_init)
    sub.add_parser(
        "demo", help="init + demo creators, users, six months of sales, flagged rows"
    ).set_defaults(fn=_cmd_demo)
