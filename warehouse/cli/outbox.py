"""``kasuwa outbox send [--region R] [--json]`` and ``kasuwa outbox list``: the uploads kept
centrally for a region on its own host while it could not be reached (``warehouse/outbox.py``).
``send`` makes one pass — the app and ``kasuwa watch`` also try on their own every
``KASUWA_OUTBOX_RETRY_SECONDS`` — and prints what became of each file it delivered; files for
a region still down stay for the next pass (not an error: exit 0)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import printable


def _cmd_send(args: argparse.Namespace) -> int:
    from .. import outbox

    def show(result: dict[str, Any]) -> None:
        if args.json:
            print(json.dumps(result, default=str), flush=True)
        else:
            print(f"{result['file']}: {result['status']} — {result['message']}", flush=True)

    if args.region:
        from ..regions import get_region

        get_region(args.region)  # an unknown region is said in words
    outbox.send(args.region, on_result=show)
    left = outbox.waiting(region=args.region)
    if left and not args.json:
        regions = sorted({w.region for w in left})
        print(f"{len(left)} file(s) still waiting for {', '.join(regions)} (the region cannot be reached yet).")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from .. import outbox

    left = outbox.waiting(region=args.region)
    if not left:
        print("No uploads are waiting.")
    for w in left:
        print(printable(f"{w.region}\t{w.creator_id}\t{w.file_name}\t{w.size} bytes\t"
                        f"received {w.received_at:%Y-%m-%d %H:%M} UTC\t{w.sha256}"))
    return 0


def register(sub: Any) -> None:
    box = sub.add_parser("outbox", help="uploads waiting for a region on its own host that could not be reached")
    cmds = box.add_subparsers(dest="outbox_cmd", required=True)
    send = cmds.add_parser("send", help="send the waiting uploads to their regions once (those still down wait)")
    send.add_argument("--region", metavar="R")
    send.add_argument("--json", action="store_true", help="print one JSON object per delivered file")
    send.set_defaults(fn=_cmd_send, job=True)
    show = cmds.add_parser("list", help="show the uploads waiting")
    show.add_argument("--region", metavar="R")
    show.set_defaults(fn=_cmd_list)
