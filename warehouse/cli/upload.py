"""``kasuwa upload undo UPLOAD_ID [--reason TEXT] [--reverse-paid] [--json]``: undo a whole upload
(``warehouse/undo.py``) — its sales, flagged and skipped rows removed in one transaction, the
upload kept as *undone* with the reason, the landing file kept.

Acts as the machine operator (an administrator). The region is found from the upload id. Exit 0
when undone, 1 with a one-line reason on stderr when the warehouse refuses (unknown upload,
already undone, sales already settled in a payout without ``--reverse-paid``), 2 for usage errors.
``--json`` prints one object: ``upload_id, region, file, status ("undone"), sales_removed,
flagged_removed, skipped_removed, amounts, reversed, message``; amounts are exact strings.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from warehouse.access import Actor


def _cmd_undo(args: argparse.Namespace) -> int:
    from ..undo import find_upload_region, undo_upload
    from .payouts import decimals_of

    actor = Actor.operator()
    region = find_upload_region(actor, args.upload_id)
    res = undo_upload(actor, region, args.upload_id, args.reason or "", reverse_paid=args.reverse_paid)
    if args.json:
        print(json.dumps({
            "upload_id": res.upload_id, "region": res.region, "file": res.file_name, "status": "undone",
            "sales_removed": res.sales_removed, "flagged_removed": res.flagged_removed,
            "skipped_removed": res.skipped_removed,
            "amounts": {c: decimals_of(a, c) for c, a in res.amounts.items()},
            "reversed": [{"payout": r["payout"], "currency": r["currency"],
                          "amount": decimals_of(r["amount"], r["currency"])} for r in res.reversed],
            "message": res.describe(),
        }, ensure_ascii=False))
    else:
        print(res.describe())
    return 0


def register(sub: Any) -> None:
    up = sub.add_parser("upload", help="act on one upload (undo it)")
    cmds = up.add_subparsers(dest="upload_cmd", required=True)
    undo = cmds.add_parser("undo", help="undo an upload: remove its sales, flagged and skipped rows (the file is kept)")
    undo.add_argument("upload_id", metavar="UPLOAD_ID")
    undo.add_argument("--reason", metavar="TEXT", default="", help="why it is undone (kept with the upload)")
    undo.add_argument("--reverse-paid", action="store_true",
                      help="when a payout already settled some of its sales: record a reversing entry in the ledger"
                           " instead of refusing")
    undo.add_argument("--json", action="store_true", help="print one JSON object")
    undo.set_defaults(fn=_cmd_undo)
