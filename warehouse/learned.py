"""The queue learns (issue 21): rules proposed from reviewers' decisions, accepted by an admin.

A *kind of row* is a source and the value of the column its profile's sales allow-list reads
(Stripe's ``Status`` ``requires_payment_method``): the rows the reader could not call a sale and
sent to a person (``kind_unknown``). When the reviewers of a region decided rows of one kind the
same way ``KASUWA_RULE_AFTER_DECISIONS`` times and never the other way, :func:`proposals` offers
a rule: rejected every time → "not a sale", approved every time → "a sale". An administrator
accepts or dismisses it (:func:`decide_rule`); either answer is kept in ``learned_rules`` (why a
table and not a file: ``region_010_learned_rules.sql``), so a proposal is made once.

Accepted rules are applied to the source's later uploads in that region by :func:`apply_rules`,
as rules the reader already understands: a ``[[skip]]`` rule whose reason says where it came
from (and so is the reason shown on each row it skips), or one more value on the ``[[sales]]``
allow-list.
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from .access import Actor, require_admin
from .db import warehouse
from .errors import Conflict, InvalidInput
from .i18n import N_, _
from .ingest import profiles
from .ingest.validate import ASK_RULE
from .settings import settings

NOT_SALE, SALE = "not_sale", "sale"
#: a learned skip rule's reason, stored on each row it skips ("{value}" is the cell's text)
LEARNED_REASON = N_("not a sale: reviewers decided so for this kind of entry ({value}) and an administrator made "
                    "it a rule")


@dataclass(frozen=True)
class Proposal:
    """A rule the queue proposes: rows of ``source`` whose ``column`` reads ``value`` are
    ``treat_as`` (not_sale | sale), after ``decisions`` reviewers' decisions that way."""

    source: str
    column: str
    value: str
    treat_as: str
    decisions: int

    @property
    def key(self) -> str:
        return rule_id(self.source, self.column, self.value)

    def sentence(self) -> str:
        """The proposal in the reader's words."""
        from .ingest.sale import BY_NAME

        column = _(BY_NAME[self.column].label) if self.column in BY_NAME else self.column
        if self.treat_as == NOT_SALE:
            return _("Treat %(source)s rows whose %(column)s is “%(value)s” as not sales: reviewers rejected "
                     "%(count)s such rows and approved none.", source=self.source, column=column.lower(),
                     value=self.value, count=self.decisions)
        return _("Treat %(source)s rows whose %(column)s is “%(value)s” as sales: reviewers approved %(count)s "
                 "such rows and rejected none.", source=self.source, column=column.lower(), value=self.value,
                 count=self.decisions)


def rule_id(source: str, column: str, value: str) -> str:
    return f"{source}|{column}|{value.strip().lower()}"


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().lower()


def _kind_of(prof: profiles.Profile | None, raw: dict[str, Any]) -> tuple[str, str] | None:
    """(column, value) of a flagged row by its profile's first sales rule, read from the row's
    own cells (the headers the profile names for that column, or the column as a header)."""
    if prof is None or not prof.sales:
        return None
    column = prof.sales[0].column
    names = {_norm(h) for h in prof.columns.get(column, ())} | {_norm(column)}
    for header, value in raw.items():
        if _norm(str(header)) in names and value not in (None, ""):
            return column, str(value).strip()
    return None


def proposals(actor: Actor, region: str) -> list[Proposal]:
    """The rules the region's decisions propose now (administrators only), most decided first."""
    require_admin(actor)
    wh = warehouse(region)
    rows = wh.rows(
        "SELECT u.source, u.profile, CAST(f.raw AS VARCHAR), a.decision FROM review_audit a"
        " JOIN flagged_rows f ON f.flag_id = a.flag_id JOIN uploads u ON u.upload_id = f.upload_id"
        " WHERE a.decision IN ('approved', 'rejected') AND list_contains(f.rules, ?) AND u.source IS NOT NULL",
        [ASK_RULE],
    )
    known = {str(r[0]) for r in wh.rows("SELECT rule_id FROM learned_rules")}
    every = profiles.load_profiles()
    counts: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: {"approved": 0, "rejected": 0})
    shown: dict[tuple[str, str, str], str] = {}
    for source, profile, raw, decision in rows:
        kind = _kind_of(every.get(str(profile)), json.loads(raw) if raw else {})
        if kind is None:
            continue
        key = (str(source), kind[0], kind[1].lower())
        counts[key][str(decision)] += 1
        shown.setdefault(key, kind[1])
    need = settings().rule_after_decisions
    out = []
    for (source, column, low), n in counts.items():
        if rule_id(source, column, low) in known:
            continue
        if n["rejected"] >= need and not n["approved"]:
            out.append(Proposal(source, column, shown[(source, column, low)], NOT_SALE, n["rejected"]))
        elif n["approved"] >= need and not n["rejected"]:
            out.append(Proposal(source, column, shown[(source, column, low)], SALE, n["approved"]))
    return sorted(out, key=lambda p: (-p.decisions, p.key))


def decide_rule(actor: Actor, region: str, key: str, accept: bool) -> Proposal:
    """Accept (or dismiss) the proposal ``key`` of ``region``; returns it. Administrators only."""
    require_admin(actor)
    found = next((p for p in proposals(actor, region) if p.key == key), None)
    if found is None:
        raise InvalidInput(_("This rule is no longer proposed (it was decided already, or the decisions changed)."))
    with warehouse(region).transaction() as cur:
        if cur.execute("SELECT 1 FROM learned_rules WHERE rule_id = ?", [key]).fetchone():
            raise Conflict(_("Someone else decided this rule meanwhile."))
        cur.execute(
            "INSERT INTO learned_rules (rule_id, source, column_name, value, treat_as, decisions, status, decided_by,"
            " decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [key, found.source, found.column, found.value, found.treat_as, found.decisions,
             "accepted" if accept else "dismissed", actor.user_id],
        )
    return found


def accepted_rules(actor: Actor, region: str) -> list[Proposal]:
    """The region's accepted rules (administrators only)."""
    require_admin(actor)
    return [Proposal(*r) for r in warehouse(region).rows(
        "SELECT source, column_name, value, treat_as, decisions FROM learned_rules WHERE status = 'accepted'"
        " ORDER BY source, column_name, value")]


def apply_rules(cur: Any, prof: profiles.Profile, notes: list[str]) -> profiles.Profile:
    """``prof`` with the region's accepted rules for its source (``cur``: the region's cursor in
    an ingest): not-sale values become a ``[[skip]]`` rule, sale values join the allow-list."""
    rows = cur.execute(
        "SELECT column_name, value, treat_as FROM main.learned_rules WHERE source = ? AND status = 'accepted'"
        " ORDER BY rule_id",
        [prof.source],
    ).fetchall()
    if not rows:
        return prof
    skip = list(prof.skip)
    sales = list(prof.sales)
    for column, value, treat_as in rows:
        if treat_as == NOT_SALE:
            skip.append(profiles.SkipRule(str(column), LEARNED_REASON, in_=(str(value),)))
        else:
            sales = [replace(r, in_=(*r.in_, str(value))) if r.column == column else r for r in sales]
        notes.append(N_("A rule learned from reviewers' decisions applies: %(column)s “%(value)s” is %(what)s.",
                        column=str(column), value=str(value),
                        what=N_("not a sale") if treat_as == NOT_SALE else N_("a sale")))
    return replace(prof, skip=tuple(skip), sales=tuple(sales))
