"""Undo an upload from the app (issue 21): the creator's uploads list and the reviewer's queue,
with Streamlit's AppTest on real ingests. Uploads are named by file and date, never by id."""

from __future__ import annotations

from sales_support import OP, creator, page, shown_text

from warehouse.access import Actor
from warehouse.db import warehouse
from warehouse.ingest import ingest_file

WA = "west-africa"
ADA = Actor("ada@x", "creator", creator_id="ng-ada")
REVIEWER = Actor("rev@x", "reviewer", regions=frozenset({WA}))
FILE = (b"order_id,date,product,quantity,amount,currency,buyer_country\n"
        b"A1,2025-02-03,Beads,1,1500.00,NGN,NG\nA2,2025-02-04,Cloth,1,abc,NGN,NG\n")


def _undo(at, key: str, reason: str):
    at.text_input(key=f"{key}_undo_reason").input(reason)
    at.checkbox(key=f"{key}_undo_sure").check()
    return next(b for b in at.button if b.label == "Undo the upload").click().run()


def test_a_creator_undoes_their_upload_from_my_sales():
    creator("ng-ada", "NG", name="Ada")
    res = ingest_file(ADA, "ng-ada", "feb.csv", FILE)
    at = page("pages/sales.py", ADA).run()
    assert not at.exception
    pick = at.selectbox(key="my_uploads_undo_pick")
    assert len(pick.options) == 1 and pick.options[0].startswith("feb.csv, received ")
    assert res.upload_id not in shown_text(at) and res.upload_id not in pick.options[0]
    at = _undo(at, "my_uploads", "wrong month")
    assert not at.exception
    text = shown_text(at)
    assert "feb.csv (uploaded" in text and "1 sale, 1 row waiting for review" in text, text
    assert warehouse(WA).one("SELECT status, undone_reason FROM uploads")[0:2] == ("undone", "wrong month")
    assert not [s for s in at.selectbox if s.key == "my_uploads_undo_pick"]  # nothing left to undo


def test_a_creator_sees_no_undo_for_an_upload_someone_else_made():
    creator("ng-ada", "NG", name="Ada")
    ingest_file(OP, "ng-ada", "feb.csv", FILE)
    at = page("pages/sales.py", ADA).run()
    assert not at.exception and not [s for s in at.selectbox if s.key == "my_uploads_undo_pick"]


def test_a_reviewer_undoes_an_upload_from_the_queue():
    creator("ng-ada", "NG", name="Ada")
    ingest_file(OP, "ng-ada", "feb.csv", FILE)
    at = page("pages/review.py", REVIEWER).run()
    assert not at.exception
    assert at.selectbox(key="review_undo_pick").options[0].startswith("Ada: feb.csv, received ")
    at = _undo(at, "review", "another shop's file")
    assert not at.exception
    assert warehouse(WA).one("SELECT count(*) FROM flagged_rows")[0] == 0
    assert "Nothing to review" in shown_text(at)
