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
from payouts_support import OP, creator, rate, sale, store_export

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
    "paypal": "own_account", "mpesa": "own_account", "bkash": "own_account", "wave": "own_account",
    "stripe": "own_account",
    "payhip": "own_account", "kofi": "own_account", "buymeacoffee": "own_account", "paystack": "own_account",
    "flutterwave": "own_account",
    "gumroad": "platform", "lemonsqueezy": "platform", "selar": "platform", "etsy": "platform",
    "etsy-items": "platform", "shopify-payments": "platform",
    "shopify": "unknown", "generic": "unknown",
    # an order's transactions name their gateway (Shopify Payments, PayPal, cash on delivery): who
    # holds the money differs row by row, so the source as a whole is not placed
    "shopify-transactions": "unknown",
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
    kofi = text.index("[custody.kofi]")
    bad.write_text(text[:kofi] + text[kofi:].replace('holds = "own_account"', 'holds = "nobody"', 1))
    with pytest.raises(ConfigError, match="holds must be one of"):
        parse_rails(bad)
    assert set(HOLDERS) == {"own_account", "platform", "programme"}


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
    assert metrics["Already received"] == ("₦13,000.00", "US$8.45")
    assert metrics["On its way"] == ("₦46,153.85", "US$30.00")
    assert metrics["Owed by the programme"] == ("₦4,500.00", "US$2.93")
    text = shown_text(at)
    assert "Received: ₦13,000.00 (US$8.45) in your own PayPal account." in text
    assert "On its way: ₦46,153.85 (US$30.00) held by Gumroad, expected on" in text
    assert "Owed by the programme: ₦4,500.00 (US$2.93) from sales in the programme's store" in text


# --- guard rails on money -------------------------------------------------------------------




@pytest.fixture
def usual():
    """Ada with three ordinary months through the programme's store (₦20,000 a month)."""
    today = date.today()
    region = creator("ng-ada", "NG", "paystack", "Ada Okafor Designs")
    for m in (20, 50, 80):
        sale(region, "ng-ada", f"h{m}", today - timedelta(days=m), "20000.00", "NGN", upload_id="up-h")
    return region


def _owed(region: str) -> Decimal:
    return Decimal(warehouse(region).one("SELECT coalesce(sum(amount), 0) FROM ledger WHERE creator_id = 'ng-ada'")[0])


def test_an_ordinary_store_upload_counts_at_once(usual, tmp_path):
    res = ingest_file(OP, "ng-ada", "store.csv", store_export(tmp_path, [("1", date.today(), "15000.00")]),
                      profile="programme-store")
    assert res.status == "loaded" and "Held" not in res.message
    assert _owed(usual) == Decimal("75000.00")


def test_an_unusual_amount_waits_for_a_reviewer_then_counts_once_released(usual, tmp_path, capsys):
    path = store_export(tmp_path, [("2", date.today() - timedelta(days=1), "5000000.00")])
    res = ingest_file(OP, "ng-ada", "store.csv", path, profile="programme-store")
    assert res.status == "loaded" and res.rows_loaded == 1
    assert "Held for a reviewer" in res.message
    assert any(s.startswith("Unusual amount: this file adds 5,000,000.00 NGN") and "(20,000.00 NGN)" in s
               for s in res.next_steps)
    assert _owed(usual) == Decimal("60000.00")  # nothing of it is owed yet
    w = where_is_my_money(OP, "ng-ada")
    assert [p.amount for p in w.held] == [Decimal("5000000.0000")]
    assert main(["payouts", "holds", "--region", usual, "--json"]) == 0
    held = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(h["upload_id"], h["amount"], h["currency"]) for h in held] == [(res.upload_id, "5000000.00", "NGN")]
    assert main(["payouts", "release", res.upload_id, "--region", usual, "--note", "checked with Ada"]) == 0
    assert f"{res.upload_id}: released" in capsys.readouterr().out
    assert _owed(usual) == Decimal("5060000.00")
    assert main(["payouts", "release", res.upload_id, "--region", usual, "--refuse"]) == 1  # decided already


def test_sales_months_older_than_the_hold_wait_and_a_refused_upload_never_counts(usual, tmp_path, capsys):
    old = date.today() - timedelta(days=200)
    res = ingest_file(OP, "ng-ada", "store.csv", store_export(tmp_path, [("3", old, "10000.00")]),
                      profile="programme-store")
    assert "Held for a reviewer" in res.message
    assert any(s.startswith("Old sales: 1 sale(s) in this file are older than the payout hold by more than 60 days")
               for s in res.next_steps)
    assert main(["payouts", "release", res.upload_id, "--region", usual, "--refuse", "--note", "wrong file"]) == 0
    assert _owed(usual) == Decimal("60000.00")
    run = run_payouts(OP, usual, date.today())
    d = next(d for d in run.decisions if d.creator_id == "ng-ada")
    assert d.amount is None or d.amount <= Decimal("60000.00")


def test_money_the_programme_does_not_hold_is_never_held_for_review(usual):
    res = ingest_file(OP, "ng-ada", PAYPAL.name, PAYPAL)  # 2015-16 sales, far above Ada's usual
    assert res.status == "loaded" and "Held" not in res.message
    assert main(["payouts", "holds", "--region", usual, "--all"]) == 0


def test_demo_ada_paypal_upload_pays_her_what_it_paid_without_it_and_her_page_says_received_in_paypal(capsys):
    """Issue 16 as filed: the demo, Ada's PayPal activity of 2015–16 uploaded, a run for today."""
    from payouts_support import page, shown_text

    from warehouse.access import Actor
    from warehouse.demo import build_demo
    from warehouse.payouts.outlook import today_in

    build_demo()
    capsys.readouterr()
    region = "west-africa"
    today = today_in(warehouse(region).region.time_zone)
    before = payout_outlook(OP, "ng-ada", today)
    assert before.status == "due" and before.next_amount and before.next_amount < Decimal("1000000")
    ada = Actor("creator@demo.kasuwa", "creator", creator_id="ng-ada")
    res = ingest_file(ada, "ng-ada", PAYPAL.name, PAYPAL)
    assert res.status == "loaded" and res.profile == "paypal" and "Held" not in res.message
    assert "The money of these sales is in your own PayPal account: My payouts shows it as received, and the " \
        "programme does not pay it." in res.next_steps
    after = payout_outlook(OP, "ng-ada", today)
    assert (after.next_date, after.next_amount, after.balances) == (before.next_date, before.next_amount,
                                                                   before.balances)
    assert main(["payouts", "run", "--region", region, "--as-of", today.isoformat(), "--json"]) == 0
    mine = next(json.loads(x) for x in capsys.readouterr().out.splitlines() if '"ng-ada"' in x)
    assert Decimal(mine["amount"]) == before.next_amount and mine["amount"].count(".") == 1
    assert len(mine["amount"].split(".")[1]) == 2  # naira: two decimals
    at = page("pages/payouts.py", ada).run()
    assert not at.exception and not at.error
    text = shown_text(at)
    assert "in your own PayPal account." in text and "Received: ₦" in text


def test_statements_keep_money_the_programme_does_not_hold_out_of_the_balance(ada):
    from warehouse.payouts.statements import monthly_statement, statement_csv, statement_months, statement_pdf

    sale(ada, "ng-ada", "g1", TODAY - timedelta(days=2), "30.00", "USD", source="gumroad", upload_id="up-g")
    sale(ada, "ng-ada", "p1", TODAY - timedelta(days=2), "13000.00", "NGN", source="paypal", upload_id="up-p")
    sale(ada, "ng-ada", "x1", TODAY - timedelta(days=2), "700.00", "NGN", source="generic", upload_id="up-x")
    st = monthly_statement(OP, "ng-ada", TODAY.year, TODAY.month)
    assert st.closing == {"NGN": Decimal("4500.0000")}  # the programme's store only
    assert {(o["where"], o["name"], o["currency"], o["amount"]) for o in st.elsewhere} == {
        ("platform", "Gumroad", "USD", Decimal("30.0000")),
        ("own_account", "PayPal", "NGN", Decimal("13000.0000")),
        ("unknown", "Other files", "NGN", Decimal("700.0000")),
    }
    text = statement_csv(st).decode("utf-8-sig")
    main_part, _blank, other = text.partition("\r\n\r\n")
    assert "13000" not in main_part and "Closing balance" in main_part
    assert other.splitlines()[0] == "Not held by the programme,Currency,Where the money is,Source,Amount,Sales"
    assert f"{st.label},NGN,In your own account,PayPal,13000.00,1" in other
    assert statement_pdf(st).startswith(b"%PDF")
    only_paypal = creator("ng-bola", "NG", "paystack")
    sale(only_paypal, "ng-bola", "bp1", TODAY - timedelta(days=2), "100.00", "USD", source="paypal", upload_id="up-b")
    assert statement_months(OP, "ng-bola") == [(TODAY.year, TODAY.month)]


def test_managers_see_where_creators_money_is_and_only_owed_money_is_the_programmes(ada):
    from payouts_support import page, shown_text

    from warehouse.access import Actor
    from warehouse.payouts.overview import export_rows, payouts_overview

    sale(ada, "ng-ada", "g1", TODAY - timedelta(days=2), "30.00", "USD", source="gumroad", upload_id="up-g")
    sale(ada, "ng-ada", "p1", TODAY - timedelta(days=2), "13000.00", "NGN", source="paypal", upload_id="up-p")
    manager = Actor("m@example.org", "manager")
    ov = payouts_overview(manager)
    rows = {(r["currency"]): r for r in export_rows(ov, "by_custody")}
    assert rows["NGN"]["own_account"] == Decimal("13000.00") and rows["NGN"]["owed"] == Decimal("4500.00")
    assert rows["USD"]["platform"] == Decimal("30.00") and rows["USD"]["owed"] == Decimal("0.00")
    at = page("pages/payouts_overview.py", manager).run()
    assert not at.exception and not at.error
    assert "Where creators' money is" in shown_text(at)
    table = at.dataframe[0].value
    assert {"In creators' own accounts", "Held by platforms", "Owed by the programme"} <= set(table.columns)


def test_sales_headline_is_in_the_creators_own_currency_first_with_estimated_fees_marked():
    from payouts_support import page, shown_text

    from warehouse.access import Actor
    from warehouse.queries.common import Period
    from warehouse.queries.local_figures import local_figures

    today = date.today()
    region = creator("ke-wanjiku", "KE", "mpesa", "Wanjiku Learns")
    for i in range(10):
        rate(region, today - timedelta(days=i), "KES", "0.0077")
    # an M-Pesa statement gives no fee: M-Pesa's published 0.5% over KES 200 is estimated
    sale(region, "ke-wanjiku", "m1", today - timedelta(days=1), "1200.00", "KES", source="mpesa", upload_id="up-m")
    sale(region, "ke-wanjiku", "m2", today - timedelta(days=1), "150.00", "KES", source="mpesa", upload_id="up-m")
    # a Gumroad export gives its fee: known, converted from dollars
    sale(region, "ke-wanjiku", "g1", today - timedelta(days=2), "10.00", "USD", fees="1.50", source="gumroad",
         upload_id="up-g")
    w = Actor("w@example.org", "creator", creator_id="ke-wanjiku")
    f = local_figures(w, "ke-wanjiku", Period(today - timedelta(days=6), today))
    assert f.currency == "KES" and f.fees_estimated == Decimal("6.00") and f.fees_known == Decimal("194.81")
    assert f.gross == Decimal("1350.00") + Decimal("1298.70")
    assert f.net == f.gross - f.fees_known - f.fees_estimated
    at = page("pages/sales.py", w).run()
    assert not at.exception and not at.error
    labels = [m.label for m in at.metric]
    assert labels[:3] == ["Gross sales (KES)", "Net after fees (KES, estimated)", "Refunded (KES)"]
    text = shown_text(at)
    assert labels[3] == "Gross sales (USD)"  # US dollars second
    from app.format import money as shown_money

    assert f"Fees marked estimated: {shown_money(Decimal('6.00'), 'KES', 'en_KE')} of fees" in text


def test_a_reviewer_sees_why_an_upload_waits_and_releases_it_on_the_review_page(usual, tmp_path):
    from payouts_support import page, shown_text

    from warehouse.access import Actor

    path = store_export(tmp_path, [("9", date.today() - timedelta(days=1), "5000000.00")])
    res = ingest_file(OP, "ng-ada", "store.csv", path, profile="programme-store")
    assert "Held for a reviewer" in res.message
    reviewer = Actor("r@example.org", "reviewer", regions=(usual,))
    at = page("pages/review.py", reviewer).run()
    assert not at.exception and not at.error
    assert "Unusual amount: this file adds 5,000,000.00 NGN" in shown_text(at)
    assert "1 upload waits before any payout" in shown_text(at)
    at.text_input(key=f"hold_note_{res.upload_id}").input("checked with Ada")
    at.button(key=f"hold_release_{res.upload_id}").click().run()
    assert not at.exception and not at.error
    assert "waits before any payout" not in shown_text(at)
    assert _owed(usual) == Decimal("5060000.00")


def test_an_upload_left_unchecked_by_a_stopped_process_is_checked_before_a_run_pays_it(usual, tmp_path):
    path = store_export(tmp_path, [("7", date.today() - timedelta(days=1), "5000000.00")])
    res = ingest_file(OP, "ng-ada", "store.csv", path, profile="programme-store")
    ordinary = ingest_file(OP, "ng-ada", "small.csv", store_export(tmp_path, [("8", date.today(), "1000.00")]),
                           profile="programme-store")
    assert warehouse(usual).one("SELECT status FROM payout_holds WHERE upload_id = ?", [ordinary.upload_id]) == (
        "clear",)
    # the process died after the load committed and before the check: no decision recorded
    warehouse(usual).execute("DELETE FROM payout_holds WHERE upload_id = ?", [res.upload_id])
    run = run_payouts(OP, usual, date.today())
    assert warehouse(usual).one("SELECT status FROM payout_holds WHERE upload_id = ?", [res.upload_id]) == ("held",)
    d = next(d for d in run.decisions if d.creator_id == "ng-ada")
    assert d.amount is None or d.amount < Decimal("1000000")
