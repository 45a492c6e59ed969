"""Ask the creator, in a real browser (issue 21): the reviewer asks about a flagged row from the
queue; the creator, on a 390-px phone and reading the app in French, sees "Questions pour vous"
and answers with a tap; the row comes back to the queue answered, with the answer; the reviewer
approves it with the creator's correction; the row's history shows each step.

The reviewer stays in one session throughout (the asked row closes when it leaves the queue, so
it opens afresh when it comes back). Its own data directory and server (the session's seeded
app is shared with other tests whose counts this would change). Every wait is on something the
page shows."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import OP, WAIT_MS, open_nav, settle, sign_in, streamlit_server, tap_queue_row
from playwright.sync_api import Browser, Page, expect

from control import accounts
from warehouse import review
from warehouse.creators import add_creator
from warehouse.db import close_all
from warehouse.ingest import ingest_file
from warehouse.review import QueueFilter

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
FILE = (b"order_id,date,product,quantity,amount,currency,buyer_country\n"
        b"Q1,2024-05-01,Beads,1,1500.00,NGN,NG\nQ2,2024-05-02,Basket,1,2500.00,ZZZ,NG\n")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, tuple[str, str]], Path]]:
    base = tmp_path_factory.mktemp("ask")
    data_dir = base / "kasuwa-data"
    data_dir.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KASUWA_DATA_DIR", str(data_dir))
        close_all()
        add_creator(OP, "ng-ada", "NG", "Ada")
        users = {role: (email, password) for email, password, role in accounts.create_demo_users()}
        accounts.set_language(OP, users["creator"][0], "fr")
        res = ingest_file(OP, "ng-ada", "mai.csv", FILE)
        assert res.rows_flagged == 1, res.message
        close_all()
        with streamlit_server("app/main.py", base / "serve.log") as url:
            yield url, users, data_dir


def _context(chromium: Browser, viewport: dict[str, int], touch: bool = False):
    context = chromium.new_context(viewport=viewport, has_touch=touch)
    context.set_default_timeout(WAIT_MS)
    return context


def _success(page: Page, text: str) -> None:
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=text)).to_be_visible(timeout=WAIT_MS)


def _history(data_dir: Path, scratch: Path) -> list[tuple[str, str]]:
    """The row's history as the server's warehouse holds it (read from a copy of its data)."""
    copy = scratch / "copy"
    shutil.copytree(data_dir, copy)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KASUWA_DATA_DIR", str(copy))
        close_all()
        try:
            (row,) = review.list_queue(OP, "west-africa", QueueFilter(status=None)).rows
            detail = review.flag_detail(OP, "west-africa", row.flag_id)
            return [(h["decision"], h["decided_by"]) for h in detail.history]
        finally:
            close_all()


def test_ask_then_the_creator_answers_on_a_phone_in_french_then_the_reviewer_approves(app, chromium, tmp_path):
    url, users, data_dir = app
    desk = _context(chromium, {"width": 1400, "height": 1000})
    reviewer = desk.new_page()
    sign_in(reviewer, url, *users["reviewer"])
    reviewer.get_by_role("heading", name="Review queue").first.wait_for(timeout=WAIT_MS)
    tap_queue_row(reviewer, "Q2")
    box = reviewer.locator('[class*="st-key-rq_row_box"]')
    box.get_by_text("Ask the creator about this row").click()
    box.get_by_text("Which currency is this amount in?").click()
    box.get_by_role("button", name="Ask the creator").click()
    _success(reviewer, "1 row was sent to the creator with your question.")

    phone = _context(chromium, PHONE, touch=True)
    creator = phone.new_page()
    creator.goto(url)
    creator.get_by_label("Email", exact=True).fill(users["creator"][0])
    creator.get_by_label("Password", exact=True).fill(users["creator"][1])
    creator.get_by_role("button", name="Sign in").click()
    creator.get_by_text("Questions pour vous").wait_for(timeout=WAIT_MS)
    settle(creator)
    question = creator.locator('[class*="st-key-kasuwa-question-0"]')
    expect(question).to_contain_text("Dans quelle devise est ce montant ?")
    expect(question).to_contain_text("Ligne 2 de mai.csv")
    assert creator.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    tap = question.get_by_role("button", name="USD", exact=True)
    assert (tap.bounding_box() or {"height": 0})["height"] >= 40  # a tap target a thumb can hit
    tap.tap()
    _success(creator, "Merci : votre réponse a été envoyée au vérificateur.")
    expect(creator.get_by_text("Questions pour vous")).to_have_count(0)
    creator.screenshot(path=str(tmp_path / "creator-answered.png"), full_page=True)

    open_nav(reviewer, "Review queue")  # the same session: the answered row is back in the queue
    tap_queue_row(reviewer, "Q2")
    box = reviewer.locator('[class*="st-key-rq_row_box"]')
    expect(box).to_contain_text("Answered by the creator")
    expect(reviewer.locator('[class*="st-key-rq_question_box"]')).to_contain_text("The creator's answer: USD")
    expect(box.get_by_label("Currency", exact=True)).to_have_value("USD")  # the creator's answer, in the form
    box.get_by_label("Note (optional)", exact=True).fill("currency from the creator")
    reviewer.keyboard.press("Alt+A")
    reviewer.get_by_text("Approved and loaded into the sales: order Q2 of Ada.").wait_for(timeout=WAIT_MS)
    settle(reviewer)
    assert _history(data_dir, tmp_path) == [("asked", users["reviewer"][0]), ("answered", users["creator"][0]),
                                           ("approved", users["reviewer"][0])]
    desk.close()
    phone.close()
