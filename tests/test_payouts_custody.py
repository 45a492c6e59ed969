"""Who holds each sale's money (issue 16, DESIGN.md invariant 10): the programme pays only what
it holds; money in the creator's own account is received, money a platform holds is on its way
(then received), money whose custody is unknown is never owed. Real warehouses, real ingest."""

from __future__ import annotations

import json
import tomllib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from payouts_support import OP, creator, rate, sale

from warehouse.cli import main
from warehouse.db import warehouse
from warehouse.errors import ConfigError
from warehouse.ingest import ingest_file
from warehouse.payouts.custody import HOLDERS, custody_of
from warehouse.payouts.outlook import payout_outlook
from warehouse.payouts.rails import parse_rails
from warehouse.payouts.runs import run_payouts
from warehouse.payouts.whereabouts import where_is_my_money

ROOT = Path(__file__).resolve().parent.parent
PAYPAL = ROOT / "tests" / "samples" / "real" / "paypal" / "oca_activity_en.csv"
TODAY = date(2026, 12, 7)  # a Monday
#: the sources the readers use or will use, by name (the reader's branch adds the same names)
SOURCES = {
    "programme-store": "programme",
    "paypal": "creator", "mpesa": "creator", "bkash": "creator", "wave": "creator", "stripe": "creator",
    "payhip": "creator", "kofi": "creator", "buymeacoffee": "creator", "paystack": "creator",
    "flutterwave": "creator",
    "gumroad": "platform", "lemonsqueezy": "platform", "selar": "platform", "etsy": "platform",
    "etsy-items": "platform", "shopify-payments": "platform",
    "shopify": "unknown", "generic": "unknown",
}


def test_every_source_has_its_custody_and_every_fact_says_where_it_comes_from():
    for source, holds in SOURCES.items():
        c = custody_of(source)
        assert c.holds == holds, source
        assert holds == "unknown" or c.basis, source
    for f in (ROOT / "data" / "profiles").glob("*.toml"):
        source = tomllib.loads(f.read_text(encoding="utf-8"))["source"]
        assert source in SOURCES, f"{f.name}: source {source!r} has no declared custody in this test"
    gumroad = custody_of("gumroad")
    assert gumroad.expected_on(date(2026, 12, 1), "USD") == date(2026, 12, 11)  # 7 days, then Friday
    lemon = custody_of("lemonsqueezy")
    assert lemon.expected_on(date(2026, 12, 1), "USD") == date(2026, 12, 15)  # 13 days, then 1st/15th
    assert lemon.expected_on(date(2026, 12, 5), "USD") == date(2027, 1, 1)


def test_custody_table_rejects_unknown_keys_and_holders(tmp_path):
    text = (ROOT / "data" / "rails.toml").read_text(encoding="utf-8")
    bad = tmp_path / "rails.toml"
    bad.write_text(text.replace('[custody.kofi]\nname = "Ko-fi"', '[custody.kofi]\nname = "Ko-fi"\npays = "x"'))
    with pytest.raises(ConfigError, match="custody kofi: unknown key 'pays'"):
        parse_rails(bad)
    bad.write_text(text.replace('holds = "creator"                     # formats.md custody: straight to the '
                                "creator's PayPal/Stripe, at once\nbasis = \"formats.md custody: Ko-fi",
                                'holds = "nobody"\nbasis = "formats.md custody: Ko-fi'))
    with pytest.raises(ConfigError, match="holds must be one of"):
        parse_rails(bad)
    assert set(HOLDERS) == {"creator", "platform", "programme"}


@pytest.fixture
def ada():
    """Ada (NG, paid through Paystack) with programme-store sales: ₦4,500 due today."""
    region = creator("ng-ada", "NG", "paystack", "Ada Okafor Designs")
    for i in range(40):
        rate(region, TODAY - timedelta(days=i), "NGN", "0.00065")
        rate(region, TODAY - timedelta(days=i), "EUR", "1.08")
    sale(region, "ng-ada", "st-1", TODAY - timedelta(days=3), "4500.00", "NGN")
    return region


def _run_json(region: str, capsys) -> list[dict]:
    assert main(["payouts", "run", "--region", region, "--as-of", TODAY.isoformat(), "--json"]) == 0
    return [json.loads(x) for x in capsys.readouterr().out.splitlines()]


def test_ada_paypal_history_changes_nothing_the_programme_pays_and_shows_as_received_in_paypal(ada, capsys):
    before = payout_outlook(OP, "ng-ada", TODAY)
    assert before.next_amount == Decimal("4500.00") and before.next_date == TODAY
    res = ingest_file(OP, "ng-ada", PAYPAL.name, PAYPAL)
    assert res.status == "loaded" and res.rows_loaded > 0
    after = payout_outlook(OP, "ng-ada", TODAY)
    assert (after.next_amount, after.next_date, after.balances) == (before.next_amount, before.next_date,
                                                                   before.balances)
    lines = _run_json(ada, capsys)
    mine = next(x for x in lines if x.get("creator_id") == "ng-ada")
    assert mine["decision"] == "scheduled" and mine["amount"] == "4500.00" and mine["currency"] == "NGN"
    w = where_is_my_money(OP, "ng-ada", TODAY)
    paypal = [p for p in w.received if p.source == "paypal"]
    assert paypal and {p.name for p in paypal} == {"PayPal"}
    assert sum(p.sales for p in paypal) == res.rows_loaded
    assert not w.on_its_way and not w.owed  # today's run scheduled the ₦4,500: the balance is nil
    assert w.total("owed") == 0 and w.total("received") > 0


def test_platform_money_is_on_its_way_until_a_later_export_covers_its_payout_day(ada):
    sale(ada, "ng-ada", "g-old", date(2026, 11, 2), "20.00", "USD", source="gumroad", upload_id="up-g1")
    sale(ada, "ng-ada", "g-new", date(2026, 12, 3), "30.00", "USD", source="gumroad", upload_id="up-g1")
    w = where_is_my_money(OP, "ng-ada", TODAY)
    # 2 Nov + 7 days -> Friday 13 Nov, and the export reaches 3 Dec: received
    assert [(p.source, p.amount) for p in w.received] == [("gumroad", Decimal("20.0000"))]
    # 3 Dec + 7 days -> Friday 11 Dec: on its way
    assert [(p.source, p.amount, p.expected) for p in w.on_its_way] == [
        ("gumroad", Decimal("30.0000"), date(2026, 12, 11))]
    assert w.on_its_way[0].usd == Decimal("30.00")
    assert w.on_its_way[0].local == Decimal("46153.85")  # 30 USD at 0.00065 USD per naira
    # none of it is owed by the programme
    assert payout_outlook(OP, "ng-ada", TODAY).next_amount == Decimal("4500.00")


def test_money_whose_custody_is_unknown_is_never_owed(ada):
    sale(ada, "ng-ada", "x1", TODAY - timedelta(days=5), "900000.00", "NGN", source="generic", upload_id="up-x")
    sale(ada, "ng-ada", "m1", TODAY - timedelta(days=5), "1000.00", "NGN", source="mpesa", upload_id="up-m")
    run = run_payouts(OP, ada, TODAY)
    d = next(d for d in run.decisions if d.creator_id == "ng-ada")
    assert d.amount == Decimal("4500.00")
    w = where_is_my_money(OP, "ng-ada", TODAY)
    assert [(p.source, p.amount) for p in w.elsewhere] == [("generic", Decimal("900000.0000"))]
    assert [(p.source, p.amount) for p in w.received] == [("mpesa", Decimal("1000.0000"))]
    assert warehouse(ada).one("SELECT count(*) FROM ledger WHERE sale_id IN ('x1', 'm1')") == (0,)


def test_payouts_page_shows_the_three_kinds_in_naira_first_and_dollars_second():
    from payouts_support import page, shown_text

    from warehouse.access import Actor

    today = date.today()
    region = creator("ng-ada", "NG", "paystack", "Ada Okafor Designs")
    for i in range(30):
        rate(region, today - timedelta(days=i), "NGN", "0.00065")
    sale(region, "ng-ada", "st-1", today - timedelta(days=3), "4500.00", "NGN")
    sale(region, "ng-ada", "g1", today - timedelta(days=1), "30.00", "USD", source="gumroad", upload_id="up-g")
    sale(region, "ng-ada", "p1", today - timedelta(days=2), "13000.00", "NGN", source="paypal", upload_id="up-p")
    at = page("pages/payouts.py", Actor("ada@example.org", "creator", creator_id="ng-ada")).run()
    assert not at.exception and not at.error
    metrics = {m.label: (m.value, m.delta) for m in at.metric}
    assert metrics["Received"] == ("₦13,000.00", "US$8.45")
    assert metrics["On its way"] == ("₦46,153.85", "US$30.00")
    assert metrics["Owed by the programme"] == ("₦4,500.00", "US$2.93")
    text = shown_text(at)
    assert "Received: ₦13,000.00 (US$8.45) in your own PayPal account." in text
    assert "On its way: ₦46,153.85 (US$30.00) held by Gumroad, expected on" in text
    assert "Owed by the programme: ₦4,500.00 (US$2.93) from sales in the programme's store" in text
