"""The queue learns (issue 21): reviewers who decide the same kind of row from the same source the
same way KASUWA_RULE_AFTER_DECISIONS times get a proposed rule; an administrator accepts it; the
next upload of that source is read by it, and the rule's reason is the row's reason."""

from __future__ import annotations

import pytest

from warehouse import learned, review
from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse
from warehouse.errors import InvalidInput, PermissionDenied
from warehouse.ingest import ingest_file
from warehouse.review import QueueFilter

WA = "west-africa"
OP = Actor.operator()
ADMIN = Actor("admin@example.org", "admin")
REVIEWER = Actor("rev@example.org", "reviewer", regions=frozenset({WA}))
HEADER = "id,Created date (UTC),Amount,Amount Refunded,Currency,Captured,Converted Currency,Description,Fee,Status\n"


def stripe(prefix: str, statuses: list[str]) -> bytes:
    return (HEADER + "".join(f"ch_{prefix}{i},2025-04-{1 + i:02d} 08:30:00,29.00,0.00,usd,true,usd,Logo pack,1.14,"
                             f"{s}\n" for i, s in enumerate(statuses))).encode()


def flagged(upload_id: str) -> list[str]:
    rows = review.list_queue(REVIEWER, WA, QueueFilter(upload_id=upload_id)).rows
    return [r.flag_id for r in rows]


@pytest.fixture
def decided(monkeypatch):
    """Five Stripe rows with the status requires_payment_method, each rejected by a reviewer."""
    monkeypatch.setenv("KASUWA_RULE_AFTER_DECISIONS", "5")
    add_creator(OP, "ng-ada", "NG", "Ada")
    first = ingest_file(OP, "ng-ada", "april.csv", stripe("a", ["Paid"] + ["requires_payment_method"] * 4))
    assert (first.profile, first.rows_loaded, first.rows_flagged) == ("stripe", 1, 4), first.message
    for fid in flagged(first.upload_id):
        review.reject(REVIEWER, WA, fid, "not a sale: the buyer never paid")
    assert learned.proposals(ADMIN, WA) == []  # four decisions: not yet
    second = ingest_file(OP, "ng-ada", "may.csv", stripe("b", ["requires_payment_method", "requires_action"]))
    ids = flagged(second.upload_id)
    assert len(ids) == 2
    review.reject(REVIEWER, WA, ids[0], "not a sale")
    review.approve(REVIEWER, WA, ids[1])  # another kind, decided the other way once: no rule for it
    return second


def test_a_proposed_rule_once_accepted_changes_how_the_next_upload_is_read(decided):
    (proposal,) = learned.proposals(ADMIN, WA)
    assert (proposal.source, proposal.column, proposal.value, proposal.treat_as, proposal.decisions) == (
        "stripe", "status", "requires_payment_method", "not_sale", 5)
    assert "Treat stripe rows whose status is “requires_payment_method” as not sales" in proposal.sentence()
    for who in (REVIEWER, Actor("ada@example.org", "creator", creator_id="ng-ada")):
        with pytest.raises(PermissionDenied):
            learned.decide_rule(who, WA, proposal.key, accept=True)
    learned.decide_rule(ADMIN, WA, proposal.key, accept=True)
    assert learned.proposals(ADMIN, WA) == []  # proposed once
    with pytest.raises(InvalidInput):
        learned.decide_rule(ADMIN, WA, proposal.key, accept=True)

    after = ingest_file(OP, "ng-ada", "june.csv", stripe("c", ["Paid", "requires_payment_method",
                                                              "REQUIRES_PAYMENT_METHOD", "requires_action"]))
    assert (after.rows_loaded, after.rows_skipped, after.rows_flagged) == (1, 2, 1), after.message
    reasons = [r for (r,) in warehouse(WA).rows("SELECT reason FROM skipped_rows WHERE upload_id = ?"
                                                 " ORDER BY row_number", [after.upload_id])]
    assert reasons == [learned.LEARNED_REASON.replace("{value}", "requires_payment_method"),
                       learned.LEARNED_REASON.replace("{value}", "REQUIRES_PAYMENT_METHOD")]
    assert any("A rule learned from reviewers' decisions applies" in a for a in after.assumptions)


def test_a_dismissed_rule_changes_nothing_and_is_not_proposed_again(decided):
    (proposal,) = learned.proposals(ADMIN, WA)
    learned.decide_rule(ADMIN, WA, proposal.key, accept=False)
    assert learned.proposals(ADMIN, WA) == [] and learned.accepted_rules(ADMIN, WA) == []
    after = ingest_file(OP, "ng-ada", "june.csv", stripe("c", ["requires_payment_method"]))
    assert (after.rows_skipped, after.rows_flagged) == (0, 1)


def test_approvals_make_a_sale_rule(monkeypatch):
    monkeypatch.setenv("KASUWA_RULE_AFTER_DECISIONS", "2")
    add_creator(OP, "ng-ada", "NG", "Ada")
    first = ingest_file(OP, "ng-ada", "april.csv", stripe("a", ["succeeded", "succeeded"]))
    for fid in flagged(first.upload_id):
        assert review.approve(REVIEWER, WA, fid).outcome == "approved"
    (proposal,) = learned.proposals(ADMIN, WA)
    assert (proposal.value, proposal.treat_as) == ("succeeded", "sale")
    learned.decide_rule(ADMIN, WA, proposal.key, accept=True)
    after = ingest_file(OP, "ng-ada", "may.csv", stripe("b", ["succeeded"]))
    assert (after.rows_loaded, after.rows_flagged) == (1, 0), after.message


def test_an_administrator_accepts_a_proposal_on_the_administration_page(decided):
    from sales_support import page, shown_text

    at = page("pages/admin.py", ADMIN).run()
    assert not at.exception
    assert ("Treat stripe rows whose status is “requires_payment_method” as not sales: reviewers rejected 5 such "
            "rows and approved none.") in [t.value for t in at.text]
    next(b for b in at.button if b.label == "Accept the rule").click().run()
    assert not at.exception
    assert "Rule accepted" in shown_text(at)
    assert [p.value for p in learned.accepted_rules(ADMIN, WA)] == ["requires_payment_method"]
