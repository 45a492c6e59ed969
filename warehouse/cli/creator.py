"""``kasuwa creator add ID --country CC [--name NAME]``."""

from __future__ import annotations

import argparse
from typing import Any

from ..access import Actor


def _cmd_creator_add(args: argparse.Namespace) -> int:
    from ..creators import add_creator

    c = add_creator(Actor.operator(), args.id, args.country, args.name)
    print(f"creator {c.creator_id} ({c.name}, {c.country}) in region {c.region}")
    return 0


def register(sub: Any) -> None:
    creator = sub.add_parser("creator", help="manage creators")
    csub = creator.add_subparsers(dest="creator_command", required=True, parser_class=type(creator))
    add = csub.add_parser("add", help="register a creator (region from country)")
    add.add_argument("id")
    add.add_argument("--country", required=True, help="ISO 3166 alpha-2, e.g. NG")
    add.add_argument("--name")
    add.set_defaults(fn=_cmd_creator_add)
