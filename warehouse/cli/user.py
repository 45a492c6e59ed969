"""``kasuwa user …``: manage accounts from the machine running Kasuwa (acts as the operator).

Passwords never appear on the command line (where ``ps`` and shell history would keep them):
``--password-stdin`` reads one line from standard input; otherwise the password is asked for
twice on the terminal, and without a terminal the command refuses (exit 2).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from ..access import ROLES, Actor


def _read_password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        print(
            "kasuwa: no terminal to ask for the password; pipe it in with --password-stdin",
            file=sys.stderr,
        )
        return None
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        print("kasuwa: the two passwords differ; nothing was changed", file=sys.stderr)
        return None
    return first


def _cmd_add(args: argparse.Namespace) -> int:
    password = _read_password(args)
    if password is None:
        return 2
    from control.accounts import add_user

    user = add_user(
        Actor.operator(), args.email, password, args.role, creator_id=args.creator, regions=args.region or ()
    )
    scope = f" for creator {user.creator_id}" if user.creator_id else ""
    scope += f" in {', '.join(user.regions)}" if user.regions else ""
    print(f"user {user.email} added as {user.role}{scope}")
    return 0


def _cmd_password(args: argparse.Namespace) -> int:
    password = _read_password(args)
    if password is None:
        return 2
    from control.accounts import reset_password

    user = reset_password(Actor.operator(), args.email, password)
    print(f"password of {user.email} reset")
    return 0


def _cmd_deactivate(args: argparse.Namespace) -> int:
    from control.accounts import deactivate_user

    user = deactivate_user(Actor.operator(), args.email)
    print(f"user {user.email} deactivated")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from control.accounts import list_users

    for u in list_users(Actor.operator()):
        scope = u.creator_id or ",".join(u.regions) or "-"
        print(f"{u.email}\t{u.role}\t{scope}\t{'active' if u.active else 'inactive'}")
    return 0


def register(sub: Any) -> None:
    """Attach ``user add | password | deactivate | list`` to the ``kasuwa`` sub-parsers."""
    user = sub.add_parser("user", help="manage accounts (sign-in for the app)")
    usub = user.add_subparsers(dest="user_command", required=True, parser_class=type(user))

    add = usub.add_parser("add", help="create an account")
    add.add_argument("email")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--creator", metavar="ID", help="creator accounts: the creator it belongs to")
    add.add_argument(
        "--region",
        action="append",
        metavar="CODE",
        help="reviewers (required) and managers (optional: none = all): repeatable",
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(fn=_cmd_add)

    pw = usub.add_parser("password", help="reset an account's password")
    pw.add_argument("email")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    pw.set_defaults(fn=_cmd_password)

    off = usub.add_parser("deactivate", help="stop an account from signing in")
    off.add_argument("email")
    off.set_defaults(fn=_cmd_deactivate)

    usub.add_parser("list", help="list accounts").set_defaults(fn=_cmd_list)
