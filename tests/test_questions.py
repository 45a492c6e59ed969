"""Ask the creator (issue 21): a reviewer sends one row or a filtered set back with a question,
the creator answers with a tap (or corrects the value), the row comes back to the queue marked
answered, and a reviewer's decision closes it; each step is in the row's history."""

from __future__ import annotations

import pytest
from sales_support import page, shown_text

from warehouse import questions as qs
from warehouse import review
from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse
from warehouse.errors import Conflict, InvalidInput, PermissionDenied
from warehouse.i18n import use_language
from warehouse.ingest import ingest_file
from warehouse.review import QueueFilter

WA = "west-africa"
OP = Actor.operator()
ADA = Actor("ada@example.org", "creator", creator_id="ng-ada")
KOFI = Actor("kofi@example.org", "creator", creator_id="gh-kofi")
REVIEWER = Actor("rev@example.org", "reviewer", regions=frozenset({WA}))
EAST = Actor("east@example.org", "reviewer", regions=frozenset({"east-africa"}))
FILE = (b"order_id,date,product,quantity,amount,currency,buyer_country\n"
        b"A1,2024-05-01,Beads,1,1500.00,NGN,NG\n"
        b"A2,2024-05-02,Cloth,2,abc,NGN,NG\n"
        b"A3,2024-05-03,Mat,1,100,ZZZ,NG\n"
        b"A4,2024-05-04,Soap,1,200,ZZZ,NG\n")


@pytest.fixture
def flags():
    add_creator(OP, "ng-ada", "NG", "Ada")
    add_creator(OP, "gh-kofi", "GH", "Kofi")
    res = ingest_file(ADA, "ng-ada", "may.csv", FILE)
    assert res.rows_flagged == 3, res.message
    rows = review.list_queue(REVIEWER, WA, QueueFilter(upload_id=res.upload_id)).rows
    return {r.order_id: r.flag_id for r in rows}


def status(flag_id: str) -> str:
    return warehouse(WA).one("SELECT status FROM flagged_rows WHERE flag_id = ?", [flag_id])[0]


def test_ask_answer_approve_each_step_in_the_history(flags):
    fid = flags["A3"]
    assert qs.ask_creator(REVIEWER, WA, [fid], "currency") == 1
    assert status(fid) == "asked"
    assert fid not in [r.flag_id for r in review.list_queue(REVIEWER, WA).rows]  # waits for the creator
    with use_language("fr"):
        (q,) = qs.questions_for(ADA, "ng-ada")
        assert q.text == "Dans quelle devise est ce montant ?"
    assert q.file_name == "may.csv" and q.row_number == 3 and "ZZZ" in q.values
    assert q.choices[:2] == ("NGN", "GHS") and "USD" in q.choices
    qs.answer_question(ADA, "ng-ada", q.question_id, "usd")
    assert status(fid) == "answered" and qs.questions_for(ADA, "ng-ada") == []
    queued = {r.flag_id: r.status for r in review.list_queue(REVIEWER, WA).rows}
    assert queued[fid] == "answered"  # back in the queue, marked answered
    detail = review.flag_detail(REVIEWER, WA, fid)
    assert detail.question == {"question": "Which currency is this amount in?", "answer": "USD", "answered": True,
                               "corrected": {"currency": "USD"}}
    decision = review.approve(REVIEWER, WA, fid)  # the creator's correction is used
    assert decision.outcome == "approved", decision.reasons
    assert warehouse(WA).one("SELECT currency FROM sales WHERE sale_id = ?", [decision.sale_id])[0] == "USD"
    steps = [(h["decision"], h["decided_by"]) for h in review.flag_detail(REVIEWER, WA, fid).history]
    assert steps == [("asked", "rev@example.org"), ("answered", "ada@example.org"), ("approved", "rev@example.org")]


def test_a_filtered_set_is_asked_at_once_and_a_no_ends_in_a_rejection(flags):
    ids = review.matching_flag_ids(REVIEWER, WA, QueueFilter(rule=None))
    assert qs.ask_creator(REVIEWER, WA, ids, "is_sale") == 3
    asked = qs.questions_for(ADA, "ng-ada")
    assert [q.text for q in asked] == ["Is this a sale?"] * 3 and asked[0].choices == ("yes", "no")
    with pytest.raises(InvalidInput):
        qs.answer_question(ADA, "ng-ada", asked[0].question_id, "maybe")
    qs.answer_question(ADA, "ng-ada", asked[0].question_id, "no")
    with pytest.raises(Conflict):
        qs.answer_question(ADA, "ng-ada", asked[0].question_id, "yes")  # answered once
    fid = flags["A2"]
    assert review.reject(REVIEWER, WA, fid, "not a sale, says the creator").outcome == "rejected"
    assert review.approve(REVIEWER, WA, flags["A4"], {"currency": "NGN"}).outcome == "approved"  # no wait needed
    assert [h["decision"] for h in review.flag_detail(REVIEWER, WA, fid).history] == ["asked", "answered",
                                                                                        "rejected"]


def test_own_words_are_kept_as_written_and_who_may_ask_and_answer(flags):
    words = "<b>Was</b> this the [market](javascript:alert(1)) day?"
    with pytest.raises(InvalidInput):
        qs.ask_creator(REVIEWER, WA, [flags["A2"]], "own", "  ")
    for who in (ADA, EAST):
        with pytest.raises(PermissionDenied):
            qs.ask_creator(who, WA, [flags["A2"]], "own", words)
    qs.ask_creator(REVIEWER, WA, [flags["A2"]], "own", words)
    with use_language("fr"):
        (q,) = qs.questions_for(ADA, "ng-ada")
    assert q.text == words and q.choices == ()
    for who in (KOFI, REVIEWER, OP):
        with pytest.raises(PermissionDenied):
            qs.answer_question(who, "ng-ada", q.question_id, "yes")
    with pytest.raises(InvalidInput):
        qs.answer_question(ADA, "ng-ada", q.question_id, " ")
    qs.answer_question(ADA, "ng-ada", q.question_id, "It was a gift")
    assert review.flag_detail(REVIEWER, WA, flags["A2"]).question["answer"] == "It was a gift"


def test_the_creator_answers_with_a_tap_on_my_sales(flags):
    qs.ask_creator(REVIEWER, WA, [flags["A3"]], "discount")
    qs.ask_creator(REVIEWER, WA, [flags["A2"]], "own", "<script>x</script> what is this?")
    at = page("pages/sales.py", ADA).run()
    assert not at.exception
    text = shown_text(at)
    assert "Questions for you" in text and "Is this a discount on the same order?" in text
    assert "<script>x</script> what is this?" in [t.value for t in at.text]  # as written, as plain text
    assert all("<script>" not in m.value for m in at.markdown)
    next(b for b in at.button if b.label == "No").click().run()
    assert not at.exception
    assert status(flags["A3"]) == "answered"
    assert "your answer was sent" in shown_text(at)


def test_lite_lists_the_questions_escaped(flags):
    from app.lite import creator_summary

    qs.ask_creator(REVIEWER, WA, [flags["A2"]], "own", "<b>what</b> is this?")
    qs.ask_creator(REVIEWER, WA, [flags["A3"]], "is_sale")
    with use_language("fr"):
        body = creator_summary(ADA)
    assert "Questions pour vous" in body and "Est-ce une vente ?" in body
    assert "&lt;b&gt;what&lt;/b&gt; is this?" in body and "<b>what</b>" not in body
