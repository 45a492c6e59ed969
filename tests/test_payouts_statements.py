"""Monthly statements (CSV and PDF) and the rail comparison, on real warehouses."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal as D

import pytest
from payouts_support import OP, creator, rate, sale

from warehouse.access import Actor
from warehouse.errors import InvalidInput, PermissionDenied
from warehouse.payouts.compare import compare_rails
from warehouse.payouts.runs import run_payouts
from warehouse.payouts.statements import (
    KIND_WORDS,
    monthly_statement,
    statement_csv,
    statement_months,
    statement_pdf,
)

ADA = Actor("ada@example.org", "creator", creator_id="ada")


@pytest.fixture
def march():
    r = creator("ada", "NG", "paystack", name="Adà Ọlọ́ja ক")
    sale(r, "ada", "feb", date(2026, 2, 27), "3000.00", "NGN", fees="45.00")
    sale(r, "ada", "m1", date(2026, 3, 2), "10000.00", "NGN", fees="250.00", product='=HYPERLINK("http://x")')
    sale(r, "ada", "m2", date(2026, 3, 3), "2500.00", "NGN", fees="137.50", refunded="2500.00", product="+Pack")
    run_payouts(OP, r, date(2026, 3, 4))
    return r


def test_opening_plus_entries_is_closing_exactly(march):
    st = monthly_statement(ADA, "ada", 2026, 3)
    assert st.opening == {"NGN": D("2955.00")}
    assert st.opening["NGN"] + sum(e["amount"] for e in st.entries) == st.closing["NGN"] == D("0")
    totals = st.totals("NGN")
    assert totals["sale"] == D("12500.00") and totals["refund"] == D("-2500.00")
    assert totals["payout"] == D("-12567.50")  # 2,955 + 9,750 + 2,362.50 - 2,500
    assert statement_months(ADA, "ada") == [(2026, 3), (2026, 2)]


def test_csv_is_guarded_and_balances_run(march):
    rows = list(csv.reader(io.StringIO(statement_csv(monthly_statement(ADA, "ada", 2026, 3)).decode("utf-8-sig"))))
    assert rows[0][:6] == ["Date", "Currency", "Entry", "Description", "Amount", "Balance"]  # words
    described = {r[3] for r in rows[1:]}
    assert "'=HYPERLINK(\"http://x\")" in described and "'+Pack" in described
    assert not any(d.startswith(("=", "+", "@")) for d in described)
    amounts = [r[4] for r in rows[1:] if r[4]]
    assert "-250.00" in amounts  # numbers stay numbers
    assert rows[1][2] == "Opening balance" and rows[-1][2] == "Closing balance" and rows[-1][5] == "0.00"
    assert {r[2] for r in rows[1:]} <= {"Opening balance", "Closing balance", *KIND_WORDS.values()}


def test_a_french_readers_csv_opens_in_columns_with_numbers_french_excel_can_add(march):
    from warehouse.i18n import use_language

    with use_language("fr"):
        data = statement_csv(monthly_statement(ADA, "ada", 2026, 3), "fr_SN").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    assert rows[0][:2] == ["Date", "Devise"] and len(rows[0]) == 9  # cells apart, headers in French
    assert rows[1][0] == "01/03/2026" and rows[1][5] == "2955,00"  # the reader's day order, decimal comma
    assert "-250,00" in [r[4] for r in rows[1:]]  # a number French Excel adds, not text
    assert "'=HYPERLINK(\"http://x\")" in {r[3] for r in rows[1:]}  # still guarded
    assert not any("2026-03" in cell for r in rows for cell in r)  # no ISO day left


def test_pdf_is_a_pdf_even_with_unicode_names(march):
    pdf = statement_pdf(monthly_statement(ADA, "ada", 2026, 3))
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000
    empty = statement_pdf(monthly_statement(ADA, "ada", 2025, 1))
    assert empty.startswith(b"%PDF")


def test_statements_are_the_creators_own(march):
    creator("bob", "NG", "paystack")
    with pytest.raises(PermissionDenied):
        monthly_statement(Actor("b@example.org", "creator", creator_id="bob"), "ada", 2026, 3)
    with pytest.raises(PermissionDenied):
        monthly_statement(Actor("m@example.org", "manager"), "ada", 2026, 3)
    with pytest.raises(InvalidInput):
        monthly_statement(ADA, "ada", 2026, 13)


def test_rail_comparison_prices_the_last_90_days_on_every_rail_of_the_country():
    r = creator("ada", "NG", "paystack")
    rate(r, date(2026, 1, 1), "NGN", "0.000625")  # 1,600 NGN per USD
    today = date(2026, 3, 20)
    sale(r, "ada", "s1", date(2026, 3, 2), "20000.00", "NGN", buyer_country="NG")
    sale(r, "ada", "s2", date(2026, 3, 6), "2000.00", "NGN", buyer_country="NG")
    sale(r, "ada", "old", date(2025, 12, 1), "90000.00", "NGN")  # outside the 90 days
    costs = {c.rail: c for c in compare_rails(ADA, "ada", today)}
    assert set(costs) == {"gumroad", "selar", "lemonsqueezy", "paystack", "flutterwave", "payoneer",
                          "bank_transfer"}
    ps = costs["paystack"]
    # 20,000: 300 + 100 = 400; 2,000: 30 (₦100 waived under ₦2,500)
    assert (ps.sales, ps.sale_fees, ps.payout_fees, ps.current, ps.custodial) == (2, D("430.00"), 0, True, False)
    # Mon 2 Mar -> Tue 3 Mar (1 day); Fri 6 Mar -> Mon 9 Mar (3 days)
    assert (ps.mean_days, ps.max_days) == (D("2.0"), 3)
    fw = costs["flutterwave"]
    # 20,000: 280 + 21 VAT + 50 stamp duty = 351; 2,000: 28 + 2.10 = 30.10
    assert fw.sale_fees == D("381.10")
    gr = costs["gumroad"]
    # USD tariff on converted amounts: 12.50 USD -> 1.6125 + 0.80 = 2.41 USD = 3,856 NGN;
    # 1.25 USD -> 0.16125 -> 0.16 + 0.80 = 0.96 USD = 1,536 NGN
    assert gr.sale_fees == D("5392.00") and gr.custodial
    # 7-day hold, then Friday: 2 Mar -> 9 Mar -> Fri 13 Mar (11 days); 6 Mar -> Fri 13 Mar (7 days)
    assert (gr.mean_days, gr.max_days) == (D("9.0"), 11)
    ls = costs["lemonsqueezy"]
    assert ls.payout_fees > 0 and ls.minimum is None


def test_rail_comparison_counts_sales_it_cannot_price():
    r = creator("ada", "NG", "gumroad")
    sale(r, "ada", "s1", date(2026, 3, 2), "20000.00", "NGN")  # no NGN rate: USD rails cannot price it
    costs = {c.rail: c for c in compare_rails(ADA, "ada", date(2026, 3, 20))}
    assert costs["gumroad"].unpriced == 1 and "no NGN rate" in " ".join(costs["gumroad"].unpriced_reasons)
    assert costs["paystack"].sales == 1 and costs["paystack"].unpriced == 0


def test_pdf_without_dejavu_falls_back_to_latin1_text(march, monkeypatch):
    import warehouse.payouts.statements as statements

    monkeypatch.setattr(statements, "_FONT_DIRS", ())
    pdf = statement_pdf(monthly_statement(ADA, "ada", 2026, 3))
    assert pdf.startswith(b"%PDF")


def test_the_urdu_statement_pdf_names_the_rail_and_the_region_in_urdu(march, tmp_path):
    import shutil
    import subprocess

    from warehouse.i18n import use_language
    from warehouse.payouts.statements import note_words

    with use_language("ur"):
        assert note_words("paid via Bank transfer", False) != "paid via Bank transfer"
        assert note_words("paid via Bank transfer", True) == "paid via Bank transfer"  # a product keeps its name
        pdf = statement_pdf(monthly_statement(ADA, "ada", 2026, 3))
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext is needed to read the PDF")
    (tmp_path / "s.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "s.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "paid via" not in text and "west-africa" not in text and "2026-03-" not in text
