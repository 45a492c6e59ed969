"""The review queue on real region warehouses, fed by real ingests of files with bad rows."""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from control import accounts
from control.throttle import utcnow
from warehouse import review
from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse
from warehouse.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from warehouse.ingest import ingest_file
from warehouse.review import QueueFilter

WA = "west-africa"
OP = Actor.operator()
REVIEWER = Actor("rev@example.org", "reviewer", regions=frozenset({WA}))
OTHER = Actor("rev2@example.org", "reviewer", regions=frozenset({WA}))
EAST = Actor("east@example.org", "reviewer", regions=frozenset({"east-africa"}))
HEADER = "order_id,date,product,quantity,amount,currency,buyer_country\n"


def csv(*lines: str) -> bytes:
    return (HEADER + "\n".join(lines) + "\n").encode()


@pytest.fixture
def creators():
    add_creator(OP, "ng-ada", "NG", "Ada")
    add_creator(OP, "gh-kofi", "GH", "Kofi")


@pytest.fixture
def ada_upload(creators):
    """ng-ada's file: 2 good rows, 3 flagged (bad amount, too many decimals, unknown currency)."""
    result = ingest_file(
        OP,
        "ng-ada",
        "ada.csv",
        csv(
            "A1,2024-05-01,Beads,1,1500.00,NGN,NG",
            "A2,2024-05-02,Cloth,2,abc,NGN,NG",
            "A3,2024-05-03,Basket,1,100.123,NGN,NG",
            "A4,2024-05-04,Mat,1,100,ZZZ,NG",
            "A5,2024-05-05,Soap,3,900,NGN,GH",
        ),
    )
    assert (result.rows_loaded, result.rows_flagged) == (2, 3), result.message
    return result.upload_id


def flag_of(upload_id: str, order_id: str) -> str:
    rows = review.list_queue(REVIEWER, WA, QueueFilter(status=None, upload_id=upload_id), limit=500).rows
    return next(r.flag_id for r in rows if r.order_id == order_id)


def status_of(flag_id: str) -> tuple:
    return warehouse(WA).one("SELECT status, reviewed_by, note FROM flagged_rows WHERE flag_id = ?", [flag_id])


def sales_of(order_id: str) -> list[tuple]:
    return warehouse(WA).rows("SELECT sale_id, gross, net FROM sales WHERE order_id = ?", [order_id])


def audit_rows() -> list[tuple]:
    return warehouse(WA).rows("SELECT * FROM review_audit ORDER BY audit_id")


def test_queue_filters_by_creator_rule_upload_status_and_age(ada_upload):
    kofi = ingest_file(OP, "gh-kofi", "kofi.csv", csv("K1,2024-06-01,Kente,1,oops,GHS,GH")).upload_id
    everything = review.list_queue(REVIEWER, WA)
    assert everything.total == 4 and [r.status for r in everything.rows] == ["pending"] * 4
    assert {r.creator_id for r in review.list_queue(REVIEWER, WA, QueueFilter(creator_id="gh-kofi")).rows} == {
        "gh-kofi"
    }
    assert review.list_queue(REVIEWER, WA, QueueFilter(upload_id=kofi)).total == 1
    facets = review.queue_facets(REVIEWER, WA)
    assert dict(facets.creators) == {"gh-kofi": 1, "ng-ada": 3}
    assert {u for u, _, _ in facets.uploads} == {ada_upload, kofi}
    rule = next(r for r, _ in facets.rules if r.endswith(":currency"))
    by_rule = review.list_queue(REVIEWER, WA, QueueFilter(rule=rule)).rows
    assert [r.order_id for r in by_rule] == ["A4"]
    old = QueueFilter(min_age_days=3)
    assert review.list_queue(REVIEWER, WA, old).total == 0
    assert review.list_queue(REVIEWER, WA, old, now=utcnow() + timedelta(days=4)).total == 4
    review.reject(REVIEWER, WA, by_rule[0].flag_id, "not a currency")
    assert review.list_queue(REVIEWER, WA).total == 3
    assert [r.order_id for r in review.list_queue(REVIEWER, WA, QueueFilter(status="rejected")).rows] == ["A4"]
    with pytest.raises(InvalidInput):
        review.list_queue(REVIEWER, WA, QueueFilter(status="maybe"))


def test_a_long_queue_pages_through_every_row_once(creators):
    lines = [f"B{i},2024-05-01,Item {i},1,n/a,NGN,NG" for i in range(450)]
    result = ingest_file(OP, "ng-ada", "big.csv", csv(*lines))
    assert result.rows_flagged == 450
    seen: list[str] = []
    for offset in range(0, 500, 100):
        page = review.list_queue(REVIEWER, WA, limit=100, offset=offset)
        assert page.total == 450
        seen += [r.flag_id for r in page.rows]
    assert len(seen) == len(set(seen)) == 450
    assert len(review.list_queue(REVIEWER, WA, limit=50, offset=440).rows) == 10


def test_row_detail_shows_raw_values_reasons_upload_and_history(ada_upload):
    flag_id = flag_of(ada_upload, "A2")
    detail = review.flag_detail(REVIEWER, WA, flag_id)
    assert detail.raw["amount"] == "abc" and detail.raw["product"] == "Cloth"
    assert any("amount" in r for r in detail.reasons)
    assert detail.upload["file_name"] == "ada.csv" and detail.upload["source"] == "generic"
    assert detail.history == [] and detail.status == "pending"
    assert detail.value("order_id") == "A2" and "gross" in detail.fields
    review.reject(REVIEWER, WA, flag_id, "test order")
    history = review.flag_detail(REVIEWER, WA, flag_id).history
    assert [(h["decision"], h["decided_by"], h["note"]) for h in history] == [
        ("rejected", "rev@example.org", "test order")
    ]
    with pytest.raises(NotFound):
        review.flag_detail(REVIEWER, WA, "no-such-row")


def test_an_approved_fix_is_revalidated_and_loaded_in_the_same_step(ada_upload):
    flag_id = flag_of(ada_upload, "A2")
    decision = review.approve(REVIEWER, WA, flag_id, {"gross": "2500.50"}, "amount from the invoice")
    assert decision.outcome == "approved" and decision.sale_id == flag_id
    assert sales_of("A2") == [(flag_id, Decimal("2500.5000"), Decimal("2500.5000"))]
    assert status_of(flag_id) == ("approved", "rev@example.org", "amount from the invoice")
    (audit,) = audit_rows()
    assert audit[1] == flag_id and audit[4] == "approved" and json.loads(audit[8]) == {"gross": "2500.50"}
    with pytest.raises(Conflict, match=r"already approved by rev@example\.org"):
        review.reject(OTHER, WA, flag_id, "too late")


def test_a_bad_fix_stays_flagged_with_the_reasons(ada_upload):
    flag_id = flag_of(ada_upload, "A3")
    decision = review.approve(REVIEWER, WA, flag_id, {"gross": "100.999"})
    assert decision.outcome == "invalid" and not decision.ok
    assert any("decimals" in r for r in decision.reasons)
    assert status_of(flag_id)[0] == "pending"
    assert sales_of("A3") == [] and audit_rows() == []
    with pytest.raises(InvalidInput, match="not a column"):
        review.approve(REVIEWER, WA, flag_id, {"password": "x"})


def test_rejecting_needs_a_note(ada_upload):
    flag_id = flag_of(ada_upload, "A4")
    for note in ("", "   "):
        with pytest.raises(InvalidInput, match="note"):
            review.reject(REVIEWER, WA, flag_id, note)
    assert status_of(flag_id)[0] == "pending"
    assert review.reject(REVIEWER, WA, flag_id, " not a real currency ").outcome == "rejected"
    assert status_of(flag_id) == ("rejected", "rev@example.org", "not a real currency")
    assert sales_of("A4") == []


def _insert_valid_flag(upload_id: str, row_number: int, order_id: str) -> str:
    """A flagged row whose values pass the checks as they are (e.g. held for a manual look)."""
    flag_id = f"{upload_id}:{row_number}"
    parsed = {
        "order_id": order_id,
        "line": 1,
        "product": "Pot",
        "sold_at": "2024-05-06 00:00:00+00",
        "currency": "NGN",
        "quantity": 1,
        "gross": "700",
        "fees": "0",
        "net": None,
        "refunded": "0",
        "buyer_country": "NG",
        "channel": None,
    }
    with warehouse(WA).transaction() as cur:
        cur.execute(
            "INSERT INTO flagged_rows (flag_id, upload_id, creator_id, row_number, raw, parsed, reasons, rules,"
            " created_at)"
            " VALUES (?, ?, 'ng-ada', ?, ?, ?, ['held for a manual look'], ['manual'], current_timestamp)",
            [flag_id, upload_id, row_number, json.dumps({"order_id": order_id}), json.dumps(parsed)],
        )
    return flag_id


def test_bulk_decisions_report_each_row(ada_upload):
    ok = _insert_valid_flag(ada_upload, 90, "P1")
    bad = flag_of(ada_upload, "A2")
    gone = flag_of(ada_upload, "A4")
    review.reject(OTHER, WA, gone, "duplicate")
    decisions = review.bulk_approve(REVIEWER, WA, [ok, bad, gone, ok], "looked fine")
    assert [(d.flag_id, d.outcome) for d in decisions] == [(ok, "approved"), (bad, "invalid"), (gone, "conflict")]
    assert sales_of("P1") == [(ok, Decimal("700.0000"), Decimal("700.0000"))]
    with pytest.raises(InvalidInput):
        review.bulk_reject(REVIEWER, WA, [bad], "")
    rejected = review.bulk_reject(REVIEWER, WA, [bad, flag_of(ada_upload, "A3")], "spam export")
    assert [d.outcome for d in rejected] == ["rejected", "rejected"]
    assert review.list_queue(REVIEWER, WA).total == 0


def test_an_order_already_in_sales_is_not_counted_twice(ada_upload):
    again = ingest_file(OP, "ng-ada", "later.csv", csv("A1,2024-05-01,Beads,1,15OO,NGN,NG"))
    assert again.rows_flagged == 1
    flag_id = flag_of(again.upload_id, "A1")
    decision = review.approve(REVIEWER, WA, flag_id, {"gross": "1500.00"})
    assert decision.outcome == "invalid" and "already in the sales" in decision.reasons[0]
    assert len(sales_of("A1")) == 1 and status_of(flag_id)[0] == "pending"


def test_two_reviewers_deciding_one_row_at_once_exactly_one_wins(ada_upload):
    flags = [_insert_valid_flag(ada_upload, 100 + i, f"R{i}") for i in range(3)]
    for flag_id in flags:
        barrier = threading.Barrier(2)
        outcomes: list[object] = []

        def decide(who: Actor, approve: bool, flag_id: str = flag_id, barrier=barrier, outcomes=outcomes):
            barrier.wait()
            try:
                if approve:
                    outcomes.append(review.approve(who, WA, flag_id, None, "ok"))
                else:
                    outcomes.append(review.reject(who, WA, flag_id, "no"))
            except Conflict as exc:
                outcomes.append(exc)

        threads = [
            threading.Thread(target=decide, args=(REVIEWER, True)),
            threading.Thread(target=decide, args=(OTHER, False)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wins = [o for o in outcomes if not isinstance(o, Conflict)]
        losses = [o for o in outcomes if isinstance(o, Conflict)]
        assert len(wins) == 1 and len(losses) == 1, outcomes
        assert "refresh the queue" in str(losses[0])
        status = status_of(flag_id)[0]
        assert status == wins[0].outcome
        n_sales = warehouse(WA).one("SELECT count(*) FROM sales WHERE sale_id = ?", [flag_id])[0]
        assert n_sales == (1 if status == "approved" else 0)
        assert warehouse(WA).one("SELECT count(*) FROM review_audit WHERE flag_id = ?", [flag_id]) == (1,)


def test_the_audit_trail_only_grows(ada_upload):
    review.reject(REVIEWER, WA, flag_of(ada_upload, "A4"), "bad currency")
    before = audit_rows()
    review.approve(REVIEWER, WA, flag_of(ada_upload, "A2"), {"gross": "10"})
    review.bulk_reject(OTHER, WA, [flag_of(ada_upload, "A3")], "rounding")
    after = audit_rows()
    assert after[: len(before)] == before and len(after) == len(before) + 2
    # and no code anywhere updates or deletes it
    root = Path(__file__).resolve().parent.parent
    writes = re.compile(r"(UPDATE|DELETE\s+FROM|TRUNCATE|DROP\s+TABLE|ALTER\s+TABLE)\s+(\w+\.)?review_audit", re.I)
    for folder in ("warehouse", "app", "pages"):
        for path in (root / folder).rglob("*.*"):
            if path.suffix in (".py", ".sql"):
                assert not writes.search(path.read_text(encoding="utf-8")), path


@pytest.mark.parametrize(
    "who",
    [
        EAST,
        Actor("c@example.org", "creator", creator_id="ng-ada"),
        Actor("m@example.org", "manager"),
    ],
)
def test_only_reviewers_of_the_region_see_or_decide_its_rows(ada_upload, who):
    flag_id = flag_of(ada_upload, "A2")
    for call in (
        lambda: review.list_queue(who, WA),
        lambda: review.queue_facets(who, WA),
        lambda: review.flag_detail(who, WA, flag_id),
        lambda: review.approve(who, WA, flag_id, {"gross": "1"}),
        lambda: review.reject(who, WA, flag_id, "no"),
        lambda: review.bulk_approve(who, WA, [flag_id]),
        lambda: review.bulk_reject(who, WA, [flag_id], "no"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert status_of(flag_id)[0] == "pending"
    assert review.reviewable_regions(REVIEWER) == [WA]
    assert WA in review.reviewable_regions(OP)


def test_a_decision_racing_another_writer_is_a_conflict_not_a_crash(ada_upload):
    """Another app replica (another transaction) decides the row while we do: we get Conflict."""
    flag_id = flag_of(ada_upload, "A4")
    with warehouse(WA).cursor() as replica:
        replica.execute("BEGIN TRANSACTION")
        replica.execute(
            "UPDATE flagged_rows SET status = 'rejected', reviewed_by = 'replica@example.org', note = 'dup'"
            " WHERE flag_id = ? AND status = 'pending'",
            [flag_id],
        )
        with pytest.raises(Conflict, match="changed by someone else"):
            review.reject(REVIEWER, WA, flag_id, "mine")
        replica.execute("COMMIT")
    assert status_of(flag_id) == ("rejected", "replica@example.org", "dup")
    assert audit_rows() == []


# --- decisions on many rows: shown, then confirmed, exactly those rows or none ------------------


def bad_rows(prefix: str, n: int) -> bytes:
    """``n`` rows that all fail: odd ones an unreadable amount, even ones too many decimals."""
    return csv(*(f"{prefix}{i},2024-05-01,Thing {i},1,{'abc' if i % 2 else '1.234'},NGN,NG" for i in range(n)))


@pytest.fixture
def big_queue(creators):
    """Two uploads of ng-ada's: 120 and 30 flagged rows."""
    first = ingest_file(OP, "ng-ada", "first.csv", bad_rows("F", 120))
    second = ingest_file(OP, "ng-ada", "second.csv", bad_rows("S", 30))
    assert (first.rows_flagged, second.rows_flagged) == (120, 30)
    return first.upload_id, second.upload_id


def pending_ids(upload_id: str | None = None) -> list[str]:
    return review.matching_flag_ids(REVIEWER, WA, QueueFilter(upload_id=upload_id), limit=5000)


def test_a_bulk_rejection_touches_exactly_the_planned_rows_or_none(big_queue):
    ids = pending_ids()[:5]
    plan = review.plan_bulk(REVIEWER, WA, ids, "reject", "duplicate export")
    assert plan.count == 5 and plan.flag_ids == tuple(ids)
    assert plan.describe() == 'Reject 5 rows of first.csv, with the note "duplicate export". They will not be loaded.'
    review.reject(OTHER, WA, ids[2], "mine first")  # decided by someone else after it was shown
    with pytest.raises(review.ChoiceChanged, match="Nothing was decided") as refused:
        review.confirm_bulk(REVIEWER, plan)
    assert refused.value.flag_ids == (ids[2],) and "rejected by rev2@example.org" in str(refused.value)
    assert [status_of(i)[0] for i in ids] == ["pending", "pending", "rejected", "pending", "pending"]
    assert len(audit_rows()) == 1
    again = review.plan_bulk(REVIEWER, WA, [i for i in ids if i != ids[2]], "reject", "duplicate export")
    decisions = review.confirm_bulk(REVIEWER, again)
    assert [d.outcome for d in decisions] == ["rejected"] * 4
    assert {i: status_of(i) for i in ids if i != ids[2]} == {
        i: ("rejected", REVIEWER.user_id, "duplicate export") for i in ids if i != ids[2]
    }
    assert review.count_queue(REVIEWER, WA) == 150 - 5
    assert len(audit_rows()) == 5


def test_a_plan_refuses_what_it_cannot_do_and_a_changed_plan(big_queue):
    ids = pending_ids()
    with pytest.raises(InvalidInput, match="note is required"):
        review.plan_bulk(REVIEWER, WA, ids[:2], "reject", " ")
    with pytest.raises(InvalidInput, match="Choose the rows"):
        review.plan_bulk(REVIEWER, WA, [], "approve")
    with pytest.raises(InvalidInput, match="at most 1,000"):
        review.plan_bulk(REVIEWER, WA, [f"x{i}" for i in range(1001)], "reject", "n")
    with pytest.raises(review.ChoiceChanged, match="no longer exists"):
        review.plan_bulk(REVIEWER, WA, [ids[0], "no-such-row"], "reject", "n")
    plan = review.plan_bulk(REVIEWER, WA, ids[:2], "reject", "dup")
    import dataclasses

    with pytest.raises(InvalidInput, match="changed after it was shown"):
        review.confirm_bulk(REVIEWER, dataclasses.replace(plan, flag_ids=tuple(ids[:3])))
    with pytest.raises(PermissionDenied):
        review.confirm_bulk(EAST, plan)
    assert review.count_queue(REVIEWER, WA) == 150


def test_everything_matching_the_filters_is_listed_across_pages(big_queue):
    first, second = big_queue
    every = pending_ids()
    paged = [r.flag_id for off in (0, 50, 100, 150) for r in review.list_queue(REVIEWER, WA, limit=50, offset=off).rows]
    assert every == paged and len(every) == 150
    assert pending_ids(second) == [r.flag_id for r in review.list_queue(REVIEWER, WA, QueueFilter(upload_id=second),
                                                                        limit=500).rows]
    assert review.count_queue(REVIEWER, WA, QueueFilter(upload_id=first)) == 120
    assert len(review.matching_flag_ids(REVIEWER, WA, limit=7)) == 7


def test_a_whole_upload_is_rejected_in_one_decision_however_many_rows(creators):
    many = ingest_file(OP, "ng-ada", "flood.csv", bad_rows("M", 2500)).upload_id
    other = ingest_file(OP, "ng-ada", "other.csv", bad_rows("O", 3)).upload_id
    plan = review.plan_upload_rejection(REVIEWER, WA, many, "the file is not a sales export")
    assert plan.count == 2500 and len(plan.shown) == review.SHOWN_OF_UPLOAD
    assert plan.describe().startswith("Reject every pending row of the upload flood.csv: 2,500 rows")
    review.reject(OTHER, WA, pending_ids(many)[7], "decided meanwhile")
    with pytest.raises(review.ChoiceChanged, match="from 2,500 to 2,499"):
        review.confirm_bulk(REVIEWER, plan)
    assert review.count_queue(REVIEWER, WA, QueueFilter(upload_id=many)) == 2499
    plan = review.plan_upload_rejection(REVIEWER, WA, many, "the file is not a sales export")
    assert review.confirm_bulk(REVIEWER, plan) == []
    assert review.count_queue(REVIEWER, WA, QueueFilter(upload_id=many)) == 0
    assert review.count_queue(REVIEWER, WA, QueueFilter(upload_id=other)) == 3
    decided = warehouse(WA).rows(
        "SELECT decided_by, note, count(*), count(DISTINCT audit_id) FROM review_audit WHERE upload_id = ?"
        " GROUP BY ALL ORDER BY 3", [many])
    assert decided == [(OTHER.user_id, "decided meanwhile", 1, 1),
                       (REVIEWER.user_id, "the file is not a sales export", 2499, 2499)]
    with pytest.raises(InvalidInput, match="no pending rows left"):
        review.plan_upload_rejection(REVIEWER, WA, many, "again")


def test_a_reviewer_sees_what_the_review_needs_and_no_contact_details(creators):
    result = ingest_file(
        OP, "ng-ada", "contacts.csv",
        b"order_id,date,product,quantity,amount,currency,buyer_country,Email,Billing Phone,Shipping Street\n"
        b"C1,2024-05-01,Beads,1,abc,NGN,NG,ama@example.org,+234 800 000,1 Marina Rd\n",
    )
    assert result.rows_flagged == 1, result.message
    detail = review.flag_detail(REVIEWER, WA, pending_ids()[0])
    assert detail.raw["order_id"] == "C1" and detail.raw["amount"] == "abc"
    assert {detail.raw[k] for k in ("Email", "Billing Phone", "Shipping Street")} == {review_queue.HIDDEN}
    assert "ama@example.org" not in repr(detail.raw)
    assert "sha256" not in detail.upload and detail.upload["file_name"] == "contacts.csv"


# --- the review page (AppTest): filters kept, ticks bound to rows, confirmation ---------------

from streamlit.testing.v1 import AppTest  # noqa: E402

from app import review_widgets as rw  # noqa: E402
from app.session import ACTOR_KEY, LAST_SEEN_KEY  # noqa: E402
from warehouse import review_queue  # noqa: E402

MAIN = str(Path(__file__).resolve().parent.parent / "app" / "main.py")


def review_page() -> AppTest:
    """The review page signed in as REVIEWER (an account in the control database)."""
    accounts.add_user(OP, REVIEWER.user_id, "a long enough passphrase", "reviewer", regions=(WA,))
    at = AppTest.from_file(MAIN, default_timeout=60)
    at.session_state[ACTOR_KEY] = accounts.current_actor(REVIEWER.user_id)
    at.session_state[LAST_SEEN_KEY] = __import__("time").time()
    at.run()
    return at.switch_page("../pages/review.py").run()


def table_ids(at: AppTest, flt: QueueFilter | None = None) -> list[str]:
    """The flag ids of the rows the queue table draws (the table shows none: it is checked to be
    the table of exactly these rows by its key)."""
    ids = [r.flag_id for r in review.list_queue(REVIEWER, WA, flt, limit=rw.PAGE_SIZE).rows]
    assert list(at.session_state["rq_drawn"]) == [rw.table_key(ids)]
    return ids


def tap(at: AppTest, position: int, flt: QueueFilter | None = None) -> str:
    """Tap the table's row at ``position``: it opens below the table."""
    ids = table_ids(at, flt)
    at.session_state[rw.table_key(ids)] = {"selection": {"rows": [position], "columns": [], "cells": []}}
    at.run()
    assert at.session_state["rq_open"] == ids[position]
    return ids[position]


def selected(at: AppTest, flt: QueueFilter | None = None) -> list[str]:
    ids = table_ids(at, flt)
    return [ids[i] for i in at.session_state[rw.table_key(ids)]["selection"]["rows"]]


def press(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def shown(at: AppTest) -> str:
    """Everything the page says, as a person reads it (Markdown escapes removed)."""
    text = "\n".join(str(e.value) for kind in ("markdown", "text", "error", "success", "warning", "caption")
                     for e in getattr(at, kind))
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


def test_the_page_keeps_filters_and_the_choice_on_the_same_rows_after_a_decision(big_queue):
    first, _ = big_queue
    at = review_page()
    rule = next(r for r, _ in review.queue_facets(REVIEWER, WA).rules if "amounts_fit" in r)
    at.selectbox(key="rq_rule").set_value(rule).run()
    at.selectbox(key="rq_upload").set_value(first).run()
    flt = QueueFilter(rule=rule, upload_id=first)
    ids = table_ids(at, flt)
    assert len(ids) == 50
    for position in (1, 3, 5):  # open three rows and add each to the choice
        tap(at, position, flt)
        press(at, "Add to the choice")
    assert at.session_state["rq_chosen"] == [ids[1], ids[3], ids[5]]
    tap(at, 0, flt)  # decide the row above the chosen ones
    at.text_input(key=f"rq_reject_note_{ids[0]}").input("test order")
    press(at, "Reject")
    assert "Rejected: " in shown(at) and ids[0] not in shown(at)
    at.run()  # the next click
    assert at.selectbox(key="rq_rule").value == rule and at.selectbox(key="rq_upload").value == first
    assert ids[0] not in table_ids(at, flt)
    assert selected(at, flt) == [ids[1]]  # the next row is open, drawn selected at its new position
    assert at.session_state["rq_chosen"] == [ids[1], ids[3], ids[5]]
    assert f"rq_reject_note_{ids[1]}" in [t.key for t in at.text_input]  # an empty note box for the next row
    assert at.text_input(key=f"rq_reject_note_{ids[1]}").value == ""


def test_the_caption_counts_what_the_filters_leave_and_the_oldest_rows_age(big_queue):
    first, _ = big_queue
    at = review_page()
    assert "150 rows match these filters; oldest first — the oldest has waited" in shown(at)
    at.selectbox(key="rq_upload").set_value(first).run()
    assert "120 rows match these filters; oldest first" in shown(at)


def test_the_failed_check_filter_stays_in_words_when_its_rows_are_gone(big_queue):
    at = review_page()
    rule = next(r for r, _ in review.queue_facets(REVIEWER, WA).rules if "amounts_fit" in r)
    at.selectbox(key="rq_rule").set_value(rule).run()
    for fid in review.matching_flag_ids(REVIEWER, WA, QueueFilter(rule=rule)):
        review.reject(OTHER, WA, fid, "test data")
    at.run()
    label = next(o for o in at.selectbox(key="rq_rule").options if o.endswith("(0)"))
    assert "expect_" not in label and ":" not in label and label.startswith("an amount has more decimals")


def test_the_page_confirms_exactly_the_chosen_rows_and_refuses_a_changed_set(big_queue):
    at = review_page()
    assert "Choose all 150 rows matching these filters" in [b.label for b in at.button]
    press(at, "Choose all 150 rows matching these filters")
    every = pending_ids()
    assert at.session_state["rq_chosen"] == every
    assert "**150 rows chosen** (100 of them not on this page)" in shown(at)
    at.text_input(key="rq_bulk_note").input("test data")
    press(at, "Reject chosen rows…")
    assert 'Reject 150 rows of first.csv, second.csv, with the note "test data"' in shown(at)
    review.reject(OTHER, WA, every[60], "got there first")
    press(at, "Confirm: reject 150 rows")
    assert "Nothing was decided" in shown(at) and not any(i in shown(at) for i in every)  # named in words
    assert review.count_queue(REVIEWER, WA) == 149  # only the other reviewer's decision
    assert at.session_state["rq_chosen"] == [i for i in every if i != every[60]]
    at.text_input(key="rq_bulk_note").input("test data")
    press(at, "Reject chosen rows…")
    press(at, "Confirm: reject 149 rows")
    assert "Done: 149 rejected." in shown(at)
    assert review.count_queue(REVIEWER, WA) == 0
    assert at.session_state["rq_chosen"] == []
    assert at.text_input(key="rq_bulk_note").value == ""  # the note does not carry over to the next decision


def test_the_page_rejects_a_whole_upload_after_confirmation(big_queue):
    first, second = big_queue
    at = review_page()
    at.selectbox(key="rq_upload").set_value(second).run()
    at.text_input(key="rq_bulk_note").input("wrong file")
    press(at, "Reject this whole upload…")
    assert "Reject every pending row of the upload second.csv: 30 rows" in shown(at)
    press(at, "Confirm: reject 30 rows")
    assert "Done: 30 rows of second.csv rejected." in shown(at)
    assert review.count_queue(REVIEWER, WA, QueueFilter(upload_id=second)) == 0
    assert review.count_queue(REVIEWER, WA, QueueFilter(upload_id=first)) == 120
    assert at.selectbox(key="rq_upload").value == second  # kept, though it has no pending rows left


def test_the_fix_form_puts_the_flagged_fields_first_and_suggests_what_the_row_itself_says():
    rules = ("expect_column_values_to_be_in_set:amounts_fit_currency", "expect_column_values_to_not_be_null:currency")
    assert review_queue.flagged_fields(rules)[:2] == ["gross", "fees"]
    assert "currency" in review_queue.flagged_fields(rules)
    fixes = review.suggest_fixes(("x:amounts_fit_currency",), {"gross": "1500.125", "currency": "NGN"}, {})
    assert fixes["gross"][0] == "1500.12"  # to the currency's two decimals, shown to the reviewer
    assert review.suggest_fixes(("x:currency",), {"currency": "ngn"}, {})["currency"][0] == "NGN"
    assert review.suggest_fixes(("x:currency",), {"currency": None}, {"a": "12", "cur": "kes"})["currency"][0] == "KES"
    assert review.suggest_fixes(("x:quantity",), {"quantity": "2.0"}, {})["quantity"][0] == "2"
    assert review.suggest_fixes(("x:product",), {"product": None}, {}) == {}
