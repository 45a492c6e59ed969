"""``kasuwa payouts run --region R --as-of DATE``, ``kasuwa payouts mark PAYOUT_ID STATUS``,
``kasuwa payouts holds --region R`` and ``kasuwa payouts release UPLOAD_ID --region R [--refuse]``
(uploads the guard rails on money held for a reviewer).

Both act as the machine operator (an administrator). Exit 0 on success, 1 with a one-line
reason on stderr when the warehouse refuses (unknown payout, a move that is not allowed),
2 for usage errors such as a malformed date. A run that finds an earlier run stopped midway
says so first (``note: …``; with ``--json`` in the summary's ``interrupted_runs``). Amounts in
the JSON are strings with the currency's own decimals ("4825.00" NGN, "6500" XOF).
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from decimal import Decimal
from typing import Any

from warehouse.access import Actor
from warehouse.money import is_currency, quantum


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-03-13") from None


def decimals_of(amount: Decimal, currency: str | None) -> str:
    """``amount`` written with ``currency``'s own decimals (NGN 2, XOF 0), exactly: an amount with
    more places than its currency has (never made by a run) keeps them rather than being rounded."""
    if not currency or not is_currency(currency):
        return str(amount)
    q = amount.quantize(quantum(currency))
    return str(q) if q == amount else str(amount)


def _cmd_run(args: argparse.Namespace) -> int:
    from ..payouts.runs import money, run_payouts

    result = run_payouts(Actor.operator(), args.region, args.as_of)
    if not args.json:
        for earlier in result.interrupted:
            print(f"note: {earlier.sentence(result.region)}")
    for d in result.decisions:
        if args.json:
            print(
                json.dumps(
                    {
                        "run_id": result.run_id,
                        "creator_id": d.creator_id,
                        "rail": d.rail,
                        "decision": d.decision,
                        "currency": d.currency,
                        "amount": None if d.amount is None else decimals_of(d.amount, d.currency),
                        "payout_id": d.payout_id,
                        "next_payout": d.next_payout,
                        "reason": d.reason,
                    },
                    default=str,
                )
            )
        else:
            print(f"{d.creator_id}: {d.decision} — {d.reason}")
    paid = result.payouts
    totals: dict[str, Any] = {}
    for d in paid:
        if d.currency and d.amount is not None:
            totals[d.currency] = totals.get(d.currency, 0) + d.amount
    summary = ", ".join(money(v, c) for c, v in sorted(totals.items())) or "nothing"
    n = len(result.decisions)
    line = f"run {result.run_id}: {len(paid)} payout(s) scheduled ({summary}) for {n} creator(s)"
    interrupted = [
        {"run_id": r.run_id, "as_of": r.as_of, "started_at": r.started_at, "decided": r.decided,
         "payouts_made": r.payouts_made, "message": r.sentence(result.region)}
        for r in result.interrupted
    ]
    print(line if not args.json else json.dumps(
        {"run_id": result.run_id, "payouts": len(paid), "interrupted_runs": interrupted}, default=str))
    return 0


def _cmd_mark(args: argparse.Namespace) -> int:
    from ..payouts.status import mark_payout

    p = mark_payout(Actor.operator(), args.payout_id, args.status, args.reference)
    ref = f" (reference {p['reference']})" if p.get("reference") else ""
    print(f"{p['payout_id']}: {p['status']}{ref} — {p['amount']} {p['currency']} to {p['creator_id']}")
    return 0


def _cmd_holds(args: argparse.Namespace) -> int:
    from ..i18n import translate_text
    from ..payouts.guard import held_uploads

    for h in held_uploads(Actor.operator(), args.region, None if args.all else "held"):
        row = {"upload_id": h.upload_id, "creator_id": h.creator_id, "file": h.file_name, "status": h.status,
               "currency": h.currency, "amount": None if h.amount is None else decimals_of(h.amount, h.currency),
               "reasons": [translate_text(r) for r in h.reasons]}
        print(json.dumps(row, default=str) if args.json else
              f"{h.upload_id} ({h.creator_id}, {h.file_name}): {h.status} — " + " ".join(row["reasons"]))
    return 0


def _cmd_release(args: argparse.Namespace) -> int:
    from ..payouts.guard import decide_hold

    h = decide_hold(Actor.operator(), args.region, args.upload_id, release=not args.refuse, note=args.note or "")
    print(f"{h.upload_id}: {h.status}")
    return 0


def register(sub: Any) -> None:
    """Add ``payouts run``, ``mark``, ``holds`` and ``release`` to the ``kasuwa`` command."""
    payouts = sub.add_parser("payouts", help="payout runs and payout status")
    psub = payouts.add_subparsers(dest="payouts_command", required=True)
    run = psub.add_parser("run", help="pay what is due in a region on a date (idempotent)")
    run.add_argument("--region", required=True, metavar="R")
    run.add_argument("--as-of", required=True, type=_day, metavar="DATE", help="payout date, YYYY-MM-DD")
    run.add_argument("--json", action="store_true", help="one JSON object per creator, then a summary")
    run.set_defaults(fn=_cmd_run, job=True)
    mark = psub.add_parser("mark", help="record a payout as paid, failed or reversed")
    mark.add_argument("payout_id", metavar="PAYOUT_ID")
    mark.add_argument("status", choices=("paid", "failed", "reversed"))
    mark.add_argument("--reference", metavar="REF", help="the rail's transfer reference (required for paid)")
    mark.set_defaults(fn=_cmd_mark)
    holds = psub.add_parser("holds", help="uploads held for a reviewer by the guard rails on money")
    holds.add_argument("--region", required=True, metavar="R")
    holds.add_argument("--all", action="store_true", help="also those already released or refused")
    holds.add_argument("--json", action="store_true", help="one JSON object per upload")
    holds.set_defaults(fn=_cmd_holds)
    release = psub.add_parser("release", help="release a held upload (its money counts) or refuse it")
    release.add_argument("upload_id", metavar="UPLOAD_ID")
    release.add_argument("--region", required=True, metavar="R")
    release.add_argument("--refuse", action="store_true", help="refuse it: its money never counts")
    release.add_argument("--note", metavar="TEXT", help="why (kept with the decision)")
    release.set_defaults(fn=_cmd_release)
