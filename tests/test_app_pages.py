"""The app with Streamlit's AppTest: sign-in, navigation per role, the review and admin pages,
and a smoke test that every page on disk runs for every role allowed to open it."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app import review_widgets as rw
from app.registry import PAGES
from app.session import ACTOR_KEY, LAST_SEEN_KEY
from control import accounts
from warehouse import review
from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse
from warehouse.ingest import ingest_file

ROOT = Path(__file__).resolve().parent.parent
MAIN = str(ROOT / "app" / "main.py")
OP = Actor.operator()
DEMO = {role: (email, password) for email, password, role, _, _ in accounts.DEMO_USERS}
ON_DISK = [p for p in PAGES if (ROOT / p.path).exists()]


@pytest.fixture
def world():
    """Creators, one demo account per role, and an upload of ng-ada's with two flagged rows."""
    add_creator(OP, "ng-ada", "NG", "Ada")
    add_creator(OP, "ke-wanjiru", "KE", "Wanjiru")
    accounts.create_demo_users()
    result = ingest_file(
        OP,
        "ng-ada",
        "ada.csv",
        (
            b"order_id,date,product,quantity,amount,currency,buyer_country\n"
            b"A1,2024-05-01,Beads,1,1500.00,NGN,NG\n"
            b"A2,2024-05-02,Cloth,2,abc,NGN,NG\n"
            b"A3,2024-05-03,Basket,1,100.123,NGN,NG\n"
        ),
    )
    assert result.rows_flagged == 2
    return result.upload_id


def app() -> AppTest:
    return AppTest.from_file(MAIN, default_timeout=60)


def signed_in(role: str) -> AppTest:
    """The app with the demo ``role`` user already in the server-side session."""
    at = app()
    at.session_state[ACTOR_KEY] = accounts.current_actor(DEMO[role][0])
    at.session_state[LAST_SEEN_KEY] = time.time()
    return at.run()


def page_as(role: str, path: str) -> AppTest:
    at = signed_in(role)
    return at.switch_page(f"../{path}").run()


def direct(path: str, role: str | None) -> AppTest:
    """A page script run on its own, as if its URL were opened without going through main."""
    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    if role:
        at.session_state[ACTOR_KEY] = accounts.current_actor(DEMO[role][0])
        at.session_state[LAST_SEEN_KEY] = time.time()
    return at.run()


def log_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    return at.button[0].click().run()


def texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "text", "error", "success", "info", "warning", "caption")
        for e in getattr(at, kind)
    ]
    shown = re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))  # as shown: escapes removed
    return shown.replace("\u2060", "")  # and the invisible autolink breakers


def registered(at: AppTest, path: str) -> bool:
    try:
        at.switch_page(f"../{path}")
    except ValueError:
        return False
    return True


def test_anonymous_visitors_get_the_sign_in_form_only(world):
    at = app().run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Email", "Password"]
    assert not any(registered(at, p.path) for p in ON_DISK)
    for page in ON_DISK:  # opening a page's URL without a session
        alone = direct(page.path, None)
        assert not alone.exception
        assert "Please sign in first." in [w.value for w in alone.warning]
        assert not alone.dataframe and not alone.text_input


def test_a_wrong_password_is_refused_with_the_common_message(world):
    for email, password in [(DEMO["admin"][0], "wrong password"), ("nobody@example.org", "whatever1")]:
        at = log_in(app().run(), email, password)
        assert accounts.LOGIN_FAILED in texts(at)
        assert ACTOR_KEY not in at.session_state
        assert [t.label for t in at.text_input] == ["Email", "Password"]


@pytest.mark.parametrize("role", ["creator", "reviewer", "manager", "admin"])
def test_signing_in_builds_the_navigation_of_the_role(world, role):
    at = log_in(app().run(), *DEMO[role])
    assert not at.exception
    assert at.session_state[ACTOR_KEY].role == role
    for page in ON_DISK:
        assert registered(at, page.path) == (role in page.roles), page.path
    assert any(b.label == "Sign out" for b in at.sidebar.button)


def test_sign_out_ends_the_session(world):
    at = signed_in("reviewer")
    next(b for b in at.sidebar.button if b.label == "Sign out").click().run()
    assert ACTOR_KEY not in at.session_state
    assert [t.label for t in at.text_input] == ["Email", "Password"]
    assert "signed out" in texts(at)


def test_an_idle_session_expires(world, monkeypatch):
    monkeypatch.setenv("KASUWA_SESSION_IDLE_MINUTES", "5")
    at = signed_in("admin")
    at.session_state[LAST_SEEN_KEY] = time.time() - 6 * 60
    at.run()
    assert ACTOR_KEY not in at.session_state
    assert "5 minutes without activity" in texts(at)


def test_a_deactivated_account_is_signed_out_on_its_next_page_run(world):
    at = signed_in("reviewer")
    accounts.deactivate_user(OP, DEMO["reviewer"][0])
    at.run()
    assert ACTOR_KEY not in at.session_state
    assert "no longer active" in texts(at)


def _account_script() -> None:
    from app.login import account_page

    account_page()


def test_the_account_page_changes_ones_own_password(world):
    at = AppTest.from_function(_account_script, default_timeout=60)
    at.session_state[ACTOR_KEY] = accounts.current_actor(DEMO["manager"][0])
    at.session_state[LAST_SEEN_KEY] = time.time()
    at.run()
    assert f"Email: {DEMO['manager'][0]}" in texts(at)
    old, new, again = at.text_input[0], at.text_input[1], at.text_input[2]
    old.input(DEMO["manager"][1])
    new.input("a new passphrase")
    again.input("a new passphrase")
    next(b for b in at.button if b.label == "Change password").click().run()
    assert "Password changed." in texts(at)
    assert accounts.authenticate(DEMO["manager"][0], "a new passphrase").role == "manager"


def queue_ids(at: AppTest) -> list[str]:
    """The flag ids of the rows the queue table draws, in its order (the table itself shows none)."""
    (key,) = at.session_state["rq_drawn"]
    reviewer = accounts.current_actor(DEMO["reviewer"][0])
    ids = [r.flag_id for r in review.list_queue(reviewer, "west-africa", limit=rw.PAGE_SIZE).rows]
    assert rw.table_key(ids) == key
    return ids


def tap_row(at: AppTest, position: int) -> str:
    """Tap the queue table's row at ``position`` (a single-row selection), as a reviewer does."""
    ids = queue_ids(at)
    (key,) = at.session_state["rq_drawn"]
    at.session_state[key] = {"selection": {"rows": [position], "columns": [], "cells": []}}
    at.run()
    return ids[position]


def test_the_review_page_fixes_and_approves_a_row(world):
    at = page_as("reviewer", "pages/review.py")
    assert not at.exception
    queue = at.dataframe[0].value
    assert list(queue["Status"]) == ["Pending", "Pending"]  # the status in words
    assert "Row" not in queue.columns and {"Creator", "Order", "Product", "Amount", "What is wrong"} <= set(queue)
    flag_ids = queue_ids(at)
    assert not any(f in str(queue.to_dict()) for f in flag_ids)  # never an internal id
    assert "None" not in queue.astype(str).to_numpy().tolist().__str__()
    flag_id = tap_row(at, 0)
    form = [t.key for t in at.text_input if t.form_id == f"rq_fix_{flag_id}"]
    assert form[0] == f"rq_fix_{flag_id}_gross"  # the field the row was flagged for comes first
    at.text_input(key=f"rq_fix_{flag_id}_gross").input("2500.00")
    at.text_input(key=f"rq_fix_note_{flag_id}").input("from the invoice")
    next(b for b in at.button if b.label == "Approve").click().run()
    assert not at.exception
    assert "Approved and loaded into the sales" in texts(at) and flag_id not in texts(at)
    sale = warehouse("west-africa").one("SELECT gross FROM sales WHERE sale_id = ?", [flag_id])
    assert sale is not None and str(sale[0]) == "2500.0000"
    assert len(at.dataframe[0].value) == 1  # the queue no longer lists it
    assert at.session_state["rq_open"] == flag_ids[1]  # the next row is open


def test_the_review_page_keeps_a_bad_fix_and_needs_a_note_to_reject(world):
    at = page_as("reviewer", "pages/review.py")
    flag_id = tap_row(at, 0)
    at.text_input(key=f"rq_fix_{flag_id}_gross").input("not money")
    next(b for b in at.button if b.label == "Approve").click().run()
    assert "still does not pass" in texts(at)
    next(b for b in at.button if b.label == "Reject").click().run()
    assert "note is required" in texts(at)
    at.text_input(key=f"rq_reject_note_{flag_id}").input("test data")
    next(b for b in at.button if b.label == "Reject").click().run()
    assert "Rejected: " in texts(at) and flag_id not in texts(at)
    row = warehouse("west-africa").one("SELECT status, note FROM flagged_rows WHERE flag_id = ?", [flag_id])
    assert row == ("rejected", "test data")


def test_the_review_page_rejects_chosen_rows_in_bulk(world):
    at = page_as("reviewer", "pages/review.py")
    next(b for b in at.button if b.label == "Choose every row on this page").click().run()
    assert "**2 rows chosen**" in [m.value for m in at.markdown]
    at.text_input(key="rq_bulk_note").input("duplicate export")
    next(b for b in at.button if b.label == "Reject chosen rows…").click().run()
    next(b for b in at.button if b.label == "Confirm: reject 2 rows").click().run()
    assert "2 rejected" in texts(at)
    assert warehouse("west-africa").one("SELECT count(*) FROM flagged_rows WHERE status = 'rejected'") == (2,)
    assert at.text_input(key="rq_bulk_note").value == ""  # the note does not stay for the next decision


def test_the_admin_page_manages_users_and_creators(world):
    at = page_as("admin", "pages/admin.py")
    assert not at.exception
    assert set(at.dataframe[0].value["Email"]) >= {e for e, _ in DEMO.values()}
    form_inputs = [t for t in at.text_input if t.form_id == "adm_add_user"]
    form_inputs[0].input("new.reviewer@example.org")
    form_inputs[1].input("long enough pw")
    form_inputs[2].input("long enough pw")
    role = next(s for s in at.selectbox if s.label == "Role")
    role.set_value("reviewer")
    next(m for m in at.multiselect if m.label.startswith("Regions")).set_value(["east-africa"])
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception
    assert "new.reviewer@example.org can now sign in as reviewer" in texts(at)
    assert accounts.authenticate("new.reviewer@example.org", "long enough pw").regions == {"east-africa"}

    at.selectbox(key="adm_active_who").set_value("new.reviewer@example.org")
    next(b for b in at.button if b.label == "Deactivate").click().run()
    assert accounts.current_actor("new.reviewer@example.org") is None

    at.selectbox(key="adm_reset_who").set_value(DEMO["creator"][0])
    reset = [t for t in at.text_input if t.form_id == "adm_reset"]
    reset[0].input("fresh password 1")
    reset[1].input("fresh password 1")
    next(b for b in at.button if b.label == "Reset password").click().run()
    assert accounts.authenticate(DEMO["creator"][0], "fresh password 1").creator_id == "ng-ada"

    new_creator = [t for t in at.text_input if t.form_id == "adm_add_creator"]
    new_creator[0].input("sn-awa")
    new_creator[1].input("Awa")
    next(s for s in at.selectbox if s.label == "Country").set_value("SN")
    next(b for b in at.button if b.label == "Register creator").click().run()
    assert "Creator sn-awa registered in west-africa" in texts(at)
    assert "sn-awa" in set(at.dataframe[1].value["Creator"])


def test_the_admin_page_shows_bad_input_as_a_titled_error(world):
    at = page_as("admin", "pages/admin.py")
    form_inputs = [t for t in at.text_input if t.form_id == "adm_add_user"]
    form_inputs[0].input("x@example.org")
    form_inputs[1].input("short")
    form_inputs[2].input("short")
    next(s for s in at.selectbox if s.label == "Role").set_value("admin")
    next(b for b in at.button if b.label == "Add user").click().run()
    assert not at.exception
    assert any("Invalid input" in e.value and "at least 8" in e.value for e in at.error)


@pytest.mark.parametrize(
    ("path", "role"),
    [
        ("pages/review.py", "creator"),
        ("pages/review.py", "manager"),
        ("pages/admin.py", "creator"),
        ("pages/admin.py", "reviewer"),
        ("pages/admin.py", "manager"),
    ],
)
def test_my_pages_refuse_roles_that_may_not_open_them(world, path, role):
    at = direct(path, role)
    assert not at.exception
    assert "This page is not available to your account." in [e.value for e in at.error]
    assert not at.dataframe and not at.button


@pytest.mark.parametrize(
    ("path", "role"),
    [(p.path, r) for p in ON_DISK for r in sorted(p.roles)],
    ids=lambda v: str(v).removeprefix("pages/"),
)
def test_every_page_runs_for_every_role_allowed_to_open_it(world, path, role):
    at = page_as(role, path)
    assert not at.exception, [e.value for e in at.exception]
