"""The payouts pages with Streamlit's AppTest, on real warehouses built by the payouts API."""

from __future__ import annotations

import re
from datetime import date

import pytest
from payouts_support import OP, creator, page, sale, scenario, shown_text

from warehouse.access import Actor
from warehouse.db import warehouse
from warehouse.payouts.runs import run_payouts

ADA = Actor("ada@example.org", "creator", creator_id="ada")
BOB = Actor("bob@example.org", "creator", creator_id="bob")
MANAGER = Actor("m@example.org", "manager")
ADMIN = Actor("admin@example.org", "admin")


def frames(at) -> list:
    return [df.value for df in at.dataframe]


def test_creator_sees_balance_next_payout_history_statements_and_rail_comparison():
    scenario()
    at = page("pages/payouts.py", ADA).run()
    assert not at.exception and not at.error
    labels = {m.label: m.value for m in at.metric}
    assert labels["Balance in NGN"].startswith("₦") and "Balance in USD" in labels
    assert any(label.startswith("Next payout") for label in labels)
    text = shown_text(at)
    assert "Schedule: Gumroad pays every Friday." in text
    history = frames(at)[0]
    assert set(history["Status"]) >= {"Paid", "Scheduled"} and "GUM-REF-1" in set(history["Reference"])
    assert [b.label for b in at.get("download_button")] == ["Statement (CSV)", "Statement (PDF)"]
    rails = frames(at)[1]
    assert "Gumroad (yours)" in set(rails["Rail"]) and {"Held by rail", "Paid direct"} <= set(rails["Kind"])
    assert len(at.get("plotly_chart")) == 1


def test_creator_sees_only_their_own_payouts():
    scenario()
    at = page("pages/payouts.py", BOB)
    at.query_params["creator"] = "ada"
    at.run()
    assert not at.exception
    history = frames(at)[0]
    assert set(history["Rail"]) == {"Paystack"}  # bob's rail: none of ada's (Gumroad) payouts
    assert "Payout" not in history.columns  # no payout ids on the creator's page
    assert "GUM-REF-1" not in shown_text(at)


def test_creator_without_rail_is_told_who_sets_it():
    r = creator("ada", "NG", None)
    sale(r, "ada", "s1", date.today(), "5000.00", "NGN")
    at = page("pages/payouts.py", ADA).run()
    assert not at.exception
    assert "No payout rail is set for you yet" in shown_text(at)


def test_unknown_creator_gets_a_titled_error_not_a_trace():
    at = page("pages/payouts.py", Actor("x@example.org", "creator", creator_id="ghost")).run()
    assert not at.exception
    assert at.error and "Not found" in at.error[0].value


@pytest.mark.parametrize(("path", "actor"), [("pages/payouts.py", MANAGER), ("pages/payouts_overview.py", ADA)])
def test_pages_refuse_other_roles(path, actor):
    at = page(path, actor).run()
    assert not at.exception and "not available to your account" in at.error[0].value


def test_manager_sees_aggregates_only_and_no_mark_form():
    scenario()
    at = page("pages/payouts_overview.py", MANAGER).run()
    assert not at.exception and not at.error
    _by_custody, chart_data, by_month, by_rail, waiting = frames(at)
    assert set(by_month["Region"]) == {"West Africa"} and "creator_id" not in by_month.columns
    # months in words, the amounts first after what the row is about, exact in their currency
    assert not any(re.fullmatch(r"\d{4}-\d{2}", m) for m in by_month["Month"])
    assert list(by_month.columns[:4]) == ["Region", "Month", "Currency", "Paid or scheduled"]
    assert all(re.fullmatch(r"(₦|NGN)[\d,]+\.\d\d", a) for a in by_month["Paid or scheduled"])
    assert list(chart_data.columns) == ["Month", "Region", "Paid or scheduled (USD)"]
    assert {"Gumroad", "Paystack"} <= set(by_rail["Rail"]) and "Fees on sales (exports)" in by_rail.columns
    assert list(waiting["Creators"]) == [1] and "creator_id" not in waiting.columns
    assert not at.get("form") and "ada" not in shown_text(at)


def test_admin_marks_a_payout_paid_with_a_reference():
    r = creator("ada", "NG", "paystack")
    sale(r, "ada", "s1", date(2026, 3, 11), "5000.00", "NGN")
    run_payouts(OP, r, date(2026, 3, 13))
    at = page("pages/payouts_overview.py", ADMIN).run()
    assert not at.exception
    at.radio(key="mark_status").set_value("paid")
    at.button[0].click().run()  # no reference: refused, with the reason
    assert "Invalid input" in at.error[0].value and "reference" in at.error[0].value
    at.text_input(key="mark_reference").input("PSK-42")
    at.button[0].click().run()
    said = at.success[0].value.replace("\\", "")
    assert not at.exception and "is now paid" in said and "PO-" not in said  # the payout in words, no id
    assert "5,000.00" in said  # … by its amount
    assert warehouse(r).one("SELECT status, reference FROM payouts") == ("paid", "PSK-42")


ISO_DAY = re.compile(r"\b\d{4}-\d{2}(-\d{2})?\b")


def test_payouts_page_writes_days_and_months_in_the_readers_locale():
    scenario()
    at = page("pages/payouts.py", ADA).run()
    assert not at.exception and not at.error
    assert not ISO_DAY.search(shown_text(at))
    history = frames(at)[0]
    assert not any(ISO_DAY.search(d) for d in history["Date"]) and all(history["Date"])
    months = at.selectbox(key="statement_month").options
    assert months and not any(ISO_DAY.search(m) for m in months) and all(re.search(r"[A-Z][a-z]{2,3} \d{4}", m)
                                                                          for m in months)


def test_outlook_reasons_write_the_day_and_amounts_for_the_reader():
    from warehouse.i18n import use_language
    from warehouse.payouts.outlook import payout_outlook

    scenario()
    with use_language("fr"):
        o = payout_outlook(OP, "bob", locale="fr_SN")
    words = " ".join(o.reasons)
    assert o.reasons and not ISO_DAY.search(words), words
    assert re.search(r"\d{1,2} [a-zéû]+\.? 2026", words), words  # "13 mars 2026"
    cli = payout_outlook(OP, "bob")  # the command line keeps ISO days
    assert ISO_DAY.search(" ".join(cli.reasons))
