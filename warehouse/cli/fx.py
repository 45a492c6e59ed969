"""``kasuwa fx load FILE [--region R]``: load a CSV of dated USD rates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..access import Actor
from ..errors import InvalidInput


def _cmd_load(args: Any) -> int:
    from ..fx import load_rates_csv

    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the file ({exc.strerror}).") from exc
    res = load_rates_csv(Actor.operator(), data, args.region)
    for code, n in res.loaded.items():
        print(f"{code}: {n} rates loaded")
    for code, why in res.unavailable.items():
        print(f"{code}: not loaded — {why}")
    return 0 if not res.unavailable else 1


def register(sub: Any) -> None:
    fx = sub.add_parser("fx", help="exchange rates to USD")
    fsub = fx.add_subparsers(dest="fx_command", required=True)  # same parser class as ``fx``
    load = fsub.add_parser("load", help="load a CSV of date,currency,usd_rate into the warehouses")
    load.add_argument("file")
    load.add_argument("--region", help="only this region (default: every region)")
    load.set_defaults(fn=_cmd_load, job=True)
