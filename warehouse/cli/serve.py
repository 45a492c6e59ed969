"""``kasuwa serve REGION`` / ``kasuwa serve --all``: run a region's owner, the one process that
opens the region's warehouse file and serves every other Kasuwa process (see the README's
process model)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import usage


def _cmd_serve(args: argparse.Namespace) -> int:
    from ..owner.run import run_all, run_owner

    if args.all == bool(args.region):
        return usage("serve takes a REGION or --all")
    from . import Terminated

    try:
        if args.all:
            return run_all()
        run_owner(args.region, args.listen, args.quack, tls_cert=args.tls_cert, tls_key=args.tls_key,
                  tls_client_ca=args.tls_client_ca, analyst_token_file=args.analyst_token_file)
    except (Terminated, KeyboardInterrupt):  # the way an owner is meant to stop: not an error
        what = "the owners" if args.all else f"the owner of {args.region}"
        print(f"kasuwa: {what} stopped (run files removed)", file=sys.stderr)
    return 0


def _cmd_owners(args: argparse.Namespace) -> int:
    import time

    from ..owner.registry import live_owner
    from ..regions import all_regions

    local = [r for r in all_regions() if not (r.is_remote or r.owner_url)]
    deadline = time.monotonic() + args.wait
    while True:
        found = {r.code: live_owner(r.code) for r in local}
        if all(found.values()) or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    for r in all_regions():
        where = r.location if (r.is_remote or r.owner_url) else (
            f"owner process {found[r.code].pid} at {found[r.code].url}" if found.get(r.code)  # type: ignore[union-attr]
            else "no owner running (processes open the file themselves)")
        print(f"{r.code}: {where}")
    return 0 if all(found.values()) else 1


def register(sub: Any) -> None:
    serve = sub.add_parser("serve", help="own a region's warehouse and serve it to other Kasuwa processes")
    serve.add_argument("region", nargs="?")
    serve.add_argument("--all", action="store_true", help="one owner process per region kept on this host")
    serve.add_argument("--listen", default="127.0.0.1:0", metavar="HOST:PORT",
                       help="where other Kasuwa processes reach it (default: loopback, any free port)")
    serve.add_argument("--tls-cert", metavar="PEM", help="this host's certificate (required off loopback)")
    serve.add_argument("--tls-key", metavar="PEM", help="the certificate's private key")
    serve.add_argument("--tls-client-ca", metavar="PEM",
                       help="mutual TLS: accept only clients with a certificate signed by this CA")
    serve.add_argument("--analyst-token-file", metavar="FILE",
                       help="a read-only token analysts' Flight SQL clients may use (else KASUWA_ANALYST_TOKEN)")
    serve.add_argument("--quack", metavar="HOST:PORT",
                       help="also serve the file over DuckDB's Quack protocol (needs KASUWA_QUACK_TOKEN)")
    serve.set_defaults(fn=_cmd_serve)

    owners = sub.add_parser("owners", help="which process owns each region's warehouse")
    owners.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                        help="wait up to this long for every local region's owner to answer")
    owners.set_defaults(fn=_cmd_owners)
