"""Every source profile on a sample written in that platform's real format, ingested into a real
warehouse with the real suite: detected profile, exact row accounting, exact sums, currencies,
buyer countries, instants, and why each bad row was flagged or skipped.

Samples live in tests/samples/<profile>/; the bKash statements (XLSX) are built here with openpyxl.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse
from warehouse.errors import ConfigError, NotFound
from warehouse.ingest import IngestResult, ingest_file, profiles, readers

SAMPLES = Path(__file__).parent / "samples"
OP = Actor.operator()
D = Decimal


@pytest.fixture(autouse=True)
def creators(data_dir):
    """One creator per region (and a second West African one for a second upload of a file)."""
    for cid, country in (("ng-ada", "NG"), ("ng-bola", "NG"), ("ke-wanjiru", "KE"), ("sn-awa", "SN"),
                         ("sn-fatou", "SN"), ("bd-rima", "BD")):
        add_creator(OP, cid, country, cid)


def ingest(creator: str, sample: str | Path | bytes, name: str | None = None, **kw) -> IngestResult:
    if isinstance(sample, bytes):
        return ingest_file(OP, creator, name or "upload.csv", sample, **kw)
    path = sample if isinstance(sample, Path) else SAMPLES / sample
    return ingest_file(OP, creator, name or path.name, path, **kw)


def counts(res: IngestResult, total: int, loaded: int, flagged: int, skipped: int, known: int = 0) -> None:
    """Exact accounting, in the result and in the warehouse itself."""
    assert res.status == "loaded", res.message
    assert (res.rows_total, res.rows_loaded, res.rows_flagged, res.rows_skipped, res.rows_known) == \
        (total, loaded, flagged, skipped, known)
    assert loaded + flagged + skipped + known == total
    wh = warehouse(res.region)
    up = wh.one("SELECT rows_total, rows_loaded, rows_flagged, rows_skipped, rows_known FROM uploads"
                " WHERE upload_id = ?", [res.upload_id])
    assert up == (total, loaded, flagged, skipped, known)
    in_tables = wh.one(
        "SELECT (SELECT count(*) FROM sales WHERE upload_id = $u), (SELECT count(*) FROM flagged_rows"
        " WHERE upload_id = $u), (SELECT count(*) FROM skipped_rows WHERE upload_id = $u)", {"u": res.upload_id})
    assert in_tables == (loaded, flagged, skipped)


def sums(res: IngestResult, currency: str | None = None) -> tuple[Decimal, Decimal, Decimal]:
    sql = "SELECT sum(gross), sum(fees), sum(net) FROM sales WHERE upload_id = ?"
    params = [res.upload_id]
    if currency:
        sql += " AND currency = ?"
        params.append(currency)
    row = warehouse(res.region).one(sql, params)
    assert row is not None
    return row  # type: ignore[return-value]


def sales(res: IngestResult) -> list[dict]:
    cols = ("order_id", "line", "product", "quantity", "sold_at", "currency", "gross", "fees", "net", "refunded",
            "buyer_country", "channel")
    rows = warehouse(res.region).rows(
        f"SELECT {', '.join(cols)} FROM sales WHERE upload_id = ? ORDER BY row_number", [res.upload_id])
    return [dict(zip(cols, r, strict=True)) for r in rows]


def flags(res: IngestResult) -> dict[int, list[str]]:
    rows = warehouse(res.region).rows(
        "SELECT row_number, reasons FROM flagged_rows WHERE upload_id = ? ORDER BY row_number", [res.upload_id])
    return {int(n): list(r) for n, r in rows}


def skips(res: IngestResult) -> dict[int, str]:
    rows = warehouse(res.region).rows(
        "SELECT row_number, reason FROM skipped_rows WHERE upload_id = ? ORDER BY row_number", [res.upload_id])
    return {int(n): r for n, r in rows}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


UNKNOWN_COUNTRY = "name a buyer country in"
TOO_MANY_DECIMALS = "an amount has more decimals than its currency has (ISO 4217) or is implausibly large"
BAD_DATE = "date is missing or not understood"


# --- Gumroad ------------------------------------------------------------------------------------

def test_gumroad_sales_export_skips_totals_row_and_reads_refunds():
    res = ingest("ng-ada", "gumroad/Sales.csv")
    assert res.profile == "gumroad"
    assert len(res.headers) == 72
    counts(res, total=8, loaded=6, flagged=1, skipped=1)
    assert sums(res) == (D("89.00"), D("12.15"), D("76.85"))
    assert skips(res) == {8: "Gumroad's totals row (sums of the rows above), not a sale"}
    assert flags(res) == {7: [TOO_MANY_DECIMALS]}
    # a country Kasuwa does not know ("Wakanda") describes the sale, it does not decide it: the
    # sale loads with the country blank and the report says so
    assert any(UNKNOWN_COUNTRY in a for a in res.assumptions)
    rows = [r for r in sales(res) if r["buyer_country"] is not None]
    assert [r["buyer_country"] for r in sales(res)].count(None) == 1
    assert {r["currency"] for r in rows} == {"USD"}
    assert [r["buyer_country"] for r in rows] == ["NG", "US", "GH", "CI", "KE"]
    # "Purchase Time (UTC timezone)" holds the whole timestamp ("2025-03-20 23:59:59 UTC")
    assert [r["sold_at"] for r in rows] == [utc(2025, 3, 2, 9, 15), utc(2025, 3, 5, 14), utc(2025, 3, 9, 18, 30, 5),
                                           utc(2025, 3, 11, 7, 45), utc(2025, 3, 20, 23, 59, 59)]
    # the formula guard (a leading ') is removed; partial refund amount vs the full-refund flag
    assert rows[1]["product"] == "=SUM Template Pack"
    assert [r["refunded"] for r in rows] == [D(0), D(0), D("4.00"), D("8.00"), D(0)]
    # the custom fields "Country" and "Quantity" repeat built-in names: the built-in columns win
    assert rows[4]["quantity"] == 2 and rows[4]["buyer_country"] == "KE"
    assert [r["channel"] for r in rows] == ["Card", "Card", "PayPal", "Card", "Card"]


def test_gumroad_time_only_cells_are_joined_to_the_purchase_date():
    text = (SAMPLES / "gumroad/Sales.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    t = rows[0].index("Purchase Time (UTC timezone)")
    for r in rows[1:-1]:
        r[t] = r[t].split(" ")[1]  # "2025-03-02 09:15:00 UTC" -> "09:15:00"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    assert rows[1][t] == "09:15:00"
    res = ingest("ng-ada", out.getvalue().encode(), "Sales-times.csv")
    counts(res, total=8, loaded=6, flagged=1, skipped=1)
    assert [r["sold_at"] for r in sales(res)][:2] == [utc(2025, 3, 2, 9, 15), utc(2025, 3, 5, 14)]


# --- Etsy -----------------------------------------------------------------------------------------

def test_etsy_sold_orders_month_first_dollar_cells_and_country_names():
    res = ingest("ng-ada", "etsy/EtsySoldOrders2025-3.csv")
    assert res.profile == "etsy"
    counts(res, total=7, loaded=3, flagged=3, skipped=1)
    assert sums(res) == (D("90.80"), D("3.48"), D("87.32"))
    rows = sales(res)
    assert [r["order_id"] for r in rows] == ["3301001", "3301002", "3301003"]
    assert [r["sold_at"] for r in rows] == [utc(2025, 3, 14), utc(2025, 3, 20), utc(2025, 4, 2)]
    assert [r["buyer_country"] for r in rows] == ["NG", "US", "GH"]  # "Nigeria", "United States", "Ghana"
    assert {r["currency"] for r in rows} == {"USD"}
    assert [r["quantity"] for r in rows] == [2, 3, 1]
    assert {r["product"] for r in rows} == {"Etsy order"}  # the orders file names no items
    dup = "the same order id (and line) appears more than once in this file"
    assert flags(res) == {5: [dup], 6: [dup], 7: [BAD_DATE]}  # 13/04/25 is not MM/DD/YY
    assert skips(res) == {4: "order cancelled (status: Canceled)"}


def test_etsy_sold_order_items_one_row_per_item():
    res = ingest("ng-ada", "etsy-items/EtsySoldOrderItems2025-3.csv")
    assert res.profile == "etsy-items"
    counts(res, total=4, loaded=3, flagged=1, skipped=0)
    assert sums(res) == (D("36.00"), D("0.00"), D("36.00"))
    rows = sales(res)
    assert [(r["order_id"], r["product"], r["quantity"], r["gross"]) for r in rows] == [
        ("4100000001", "Adire Print A4, indigo", 2, D("7.00")),
        ("4100000002", "Kente Bookmark", 1, D("2.00")),
        ("4100000003", "Ankara Tote", 3, D("27.00")),
    ]
    assert [r["buyer_country"] for r in rows] == ["NG", "NG", "US"]
    assert flags(res) == {4: ["amount is missing or not a number", "net amount is not a number"]}


# --- Shopify --------------------------------------------------------------------------------------

def test_shopify_line_items_fill_down_order_columns_and_skip_unpaid_orders():
    res = ingest("ng-ada", "shopify/orders_export_1.csv")
    assert res.profile == "shopify"
    counts(res, total=9, loaded=5, flagged=1, skipped=3)
    assert sums(res) == (D("71500.00"), D("0.00"), D("71500.00"))
    rows = sales(res)
    assert [(r["order_id"], r["line"], r["product"], r["quantity"], r["gross"]) for r in rows] == [
        ("#1001", 1, "Ankara Tote", 2, D("30000.00")),
        ("#1001", 2, "Adire Scarf", 1, D("8500.00")),
        ("#1002", 1, "Beaded Necklace", 1, D("12000.00")),
        ("#1005", 1, "Ankara Tote", 1, D("15000.00")),
        ("#1005", 2, "Kente Bookmark", 4, D("6000.00")),
    ]
    # order-level columns reach the later lines of an order
    assert {r["currency"] for r in rows} == {"NGN"}
    assert [r["buyer_country"] for r in rows] == ["NG", "NG", "GH", "NG", "NG"]
    # the sale time is "Created at" (on an order's first line here, filled down to the others)
    assert [r["sold_at"] for r in rows] == [utc(2025, 5, 1, 8, 58, 41), utc(2025, 5, 1, 8, 58, 41),
                                           utc(2025, 5, 3, 18, 29, 2), utc(2025, 5, 10, 7, 59),
                                           utc(2025, 5, 10, 7, 59)]
    assert {r["channel"] for r in rows} == {"Paystack"}
    assert [r["refunded"] for r in rows] == [D(0), D(0), D("2000.00"), D(0), D(0)]
    voided = "order voided: the payment was cancelled before it was captured"
    pending = "order not paid yet (financial status: pending); a later export that shows it paid loads it"
    assert skips(res) == {4: voided, 5: voided, 6: pending}
    assert flags(res) == {9: ["quantity must be between 1 and 1,000,000"]}  # a line edited down to 0


# --- Stripe ---------------------------------------------------------------------------------------

def test_stripe_payments_lowercase_currencies_failed_and_uncaptured_skipped():
    res = ingest("ng-ada", "stripe/unified_payments.csv")
    assert res.profile == "stripe"
    counts(res, total=7, loaded=4, flagged=1, skipped=2)
    assert sums(res, "USD") == (D("1578.00"), D("46.66"), D("1531.34"))
    assert sums(res, "NGN") == (D("25000.00"), D("400.00"), D("24600.00"))
    rows = sales(res)
    assert [r["currency"] for r in rows] == ["USD", "USD", "USD", "NGN"]
    assert [r["buyer_country"] for r in rows] == ["US", None, "NG", "NG"]
    assert [r["refunded"] for r in rows] == [D(0), D(0), D("49.00"), D(0)]
    assert [r["sold_at"] for r in rows] == [utc(2025, 4, 1, 8, 30), utc(2025, 4, 2, 12), utc(2025, 4, 3, 15, 45, 10),
                                           utc(2025, 4, 5, 11, 11, 11)]
    assert rows[3]["product"] == "Stripe payment"  # blank Description: the profile's default
    assert skips(res) == {4: "payment failed", 6: "payment authorised but never captured"}
    assert flags(res) == {7: [TOO_MANY_DECIMALS]}  # 5000.50 XOF: XOF has no minor unit


# --- PayPal ---------------------------------------------------------------------------------------

def test_paypal_us_locale_only_completed_payments_received_are_sales():
    res = ingest("ke-wanjiru", "paypal/Download-mdy.CSV")
    assert res.profile == "paypal"
    counts(res, total=9, loaded=3, flagged=1, skipped=5)
    assert sums(res) == (D("1310.00"), D("38.90"), D("1271.10"))  # fees stored positive
    rows = sales(res)
    # times are local to the TimeZone column: PST is UTC-8, PDT UTC-7
    assert [r["sold_at"] for r in rows] == [utc(2025, 3, 2, 18, 15), utc(2025, 3, 14, 23, 40, 12),
                                           utc(2025, 3, 22, 14, 12, 44)]
    assert [r["buyer_country"] for r in rows] == ["US", "GB", "KE"]
    assert [r["product"] for r in rows] == ["Beadwork masterclass", "Photo presets", "PayPal payment"]
    out = "money out of the account ({}): a payment sent, a withdrawal or a refund given, not a sale"
    assert skips(res) == {
        3: out.format("-1,000.00"),
        4: "memo entry (a hold or an authorisation): no money moved",
        5: out.format("-45.00"),
        6: "payment not completed yet (status: Pending); a later export that shows it completed loads it",
        8: "a currency conversion between the account's own balances (General Currency Conversion), not a sale",
    }
    assert flags(res) == {9: [BAD_DATE]}  # 31/03/2025 in a month-first column
    assert not any("first" in a for a in res.assumptions)  # 03/14 etc. settled month-first


def test_paypal_day_first_decimal_comma_decided_per_column():
    res = ingest("ke-wanjiru", "paypal/Download-dmy-comma.CSV")
    assert res.profile == "paypal"
    counts(res, total=3, loaded=2, flagged=0, skipped=1)
    assert sums(res) == (D("1324.46"), D("43.06"), D("1281.40"))
    assert [r["sold_at"] for r in sales(res)] == [utc(2025, 3, 2, 9, 15), utc(2025, 3, 25, 15, 40, 12)]  # CET
    assert "'Gross' uses a decimal comma (1.234,56)." in res.assumptions
    assert "'Fee' uses a decimal comma (1.234,56)." in res.assumptions


# --- Paystack -------------------------------------------------------------------------------------

def test_paystack_csv_subunits_and_only_success_is_a_sale():
    res = ingest("ng-ada", "paystack/transactions.csv")
    assert res.profile == "paystack"
    counts(res, total=7, loaded=3, flagged=1, skipped=3)
    assert sums(res, "NGN") == (D("17500.00"), D("362.50"), D("17137.50"))  # 1500000 kobo = 15,000.00
    assert sums(res, "GHS") == (D("50.00"), D("0.98"), D("49.02"))  # pesewas
    assert [r["sold_at"] for r in sales(res)] == [utc(2025, 6, 1, 10, 0, 5), utc(2025, 6, 2, 14, 30),
                                                 utc(2025, 6, 5, 16, 45, 30)]
    assert skips(res) == {3: "payment failed", 4: "checkout abandoned: the buyer never paid",
                          5: "payment reversed (refunded or charged back)"}
    assert flags(res) == {7: [TOO_MANY_DECIMALS]}  # 1500000.5 kobo


def test_paystack_api_json_with_nested_customer():
    res = ingest("ng-ada", "paystack/transactions.json")
    assert res.profile == "paystack"
    assert "customer.email" in res.headers and "authorization.country_code" in res.headers
    counts(res, total=3, loaded=2, flagged=0, skipped=1)
    assert sums(res) == (D("19500.00"), D("492.50"), D("19007.50"))
    rows = sales(res)
    assert [(r["order_id"], r["buyer_country"], r["channel"]) for r in rows] == [
        ("KSW-PS-2001", "NG", "card"), ("KSW-PS-2002", "GH", "bank_transfer")]
    assert rows[0]["sold_at"] == utc(2025, 7, 1, 8, 15)
    assert skips(res) == {3: "checkout abandoned: the buyer never paid"}


# --- Flutterwave ----------------------------------------------------------------------------------

def test_flutterwave_major_units_successful_only():
    res = ingest("ng-ada", "flutterwave/transactions.csv")
    assert res.profile == "flutterwave"
    counts(res, total=6, loaded=3, flagged=1, skipped=2)
    assert sums(res, "NGN") == (D("15210.00"), D("210.00"), D("15000.00"))
    assert sums(res, "USD") == (D("25.00"), D("0.95"), D("24.05"))
    assert [r["sold_at"] for r in sales(res)] == [utc(2025, 7, 1), utc(2025, 7, 2), utc(2025, 7, 4)]
    assert skips(res) == {3: "payment not successful (status: failed)", 4: "payment not successful (status: pending)"}
    assert flags(res) == {5: ["amount is negative"]}


# --- M-Pesa ---------------------------------------------------------------------------------------

def test_mpesa_statement_only_money_paid_in_is_a_sale():
    res = ingest("ke-wanjiru", "mpesa/statement.csv")
    assert res.profile == "mpesa"
    counts(res, total=8, loaded=3, flagged=1, skipped=4)
    assert sums(res) == (D("15850.00"), D("0.00"), D("15850.00"))
    rows = sales(res)
    assert {(r["currency"], r["buyer_country"], r["channel"]) for r in rows} == {("KES", "KE", "M-Pesa")}
    # Completion Time is Kenya time (UTC+3)
    assert [r["sold_at"] for r in rows] == [utc(2025, 3, 1, 6, 12, 45), utc(2025, 3, 1, 9), utc(2025, 3, 5, 18, 5, 33)]
    out = "money out (a payment, a transfer, a withdrawal or a charge): Paid In is blank"
    assert skips(res) == {3: out, 4: out, 5: "transaction not completed (status: Failed)",
                          6: "cash paid in at an agent, not a sale"}
    assert flags(res) == {7: [BAD_DATE]}  # 2025-02-30


# --- Lemon Squeezy --------------------------------------------------------------------------------

def test_lemonsqueezy_csv_with_bom():
    res = ingest("ng-ada", "lemonsqueezy/orders.csv")
    assert res.profile == "lemonsqueezy"
    assert res.headers[0] == "order_number"  # the BOM is not part of the first header
    counts(res, total=4, loaded=3, flagged=0, skipped=1)
    assert [(r["order_id"], r["buyer_country"], r["sold_at"]) for r in sales(res)][:2] == [
        ("1001", "NG", utc(2025, 8, 1, 10)), ("1002", "GB", utc(2025, 8, 2, 11, 30))]
    assert sales(res)[2]["buyer_country"] is None  # "Wakanda": loaded, country blank, said in the report
    assert any(UNKNOWN_COUNTRY in a for a in res.assumptions)
    assert skips(res) == {3: "payment not completed (status: pending)"}


# --- bKash (XLSX) ---------------------------------------------------------------------------------

BKASH_EN = ["SL", "Trx Id", "Transaction Date", "Trx Type", "Sender", "Receiver", "Receiver Name", "Reference",
            "Transacted Amount", "Fee", "Balance"]
# "লেনদেনের সময়" with য় as the single code point U+09DF: the profile file spells it U+09AF U+09BC
BKASH_BN = ["ক্রমিক নং", "ট্রানজেকশন আইডি", "লেনদেনের সম\u09df", "লেনদেনের বিবরণ", "প্রেরক", "প্রাপক", "রেফারেন্স",
            "টাকার পরিমাণ", "ফি", "বর্তমান ব্যালেন্স"]


def xlsx(path: Path, titles: list[list], header: list[str], rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in [*titles, header, *rows]:
        ws.append(row)
    wb.save(path)
    return path


def test_bkash_english_statement_with_title_rows(tmp_path):
    me = "01999000009"
    path = xlsx(tmp_path / "bkash-statement.xlsx",
                [["bKash Limited"], ["Statement of Account"],
                 ["Account: " + me, None, "Period: 01-Mar-25 to 31-Mar-25"]],
                BKASH_EN, [
                    [1, "BCD4X7K2Q1", "04-Mar-25 02:05:11 PM", "Payment Received", "01711000001", me, "Rima Crafts",
                     "Nakshi kantha", "1,500.00", "0.00", "11,500.00"],
                    [2, "BCD4X7K2Q2", "05-Mar-25 09:10:00 AM", "Cash Out", me, "01800000001", "Agent", None,
                     "5,000.00", "92.50", "6,407.50"],
                    [3, "BCD4X7K2Q3", "06-Mar-25 11:00:00 AM", "Received Money", "01711000002", me, "Rima Crafts",
                     None, "৳750.00", "0.00", "7,157.50"],
                    [4, "BCD4X7K2Q4", "07-Mar-25 06:30:45 PM", "Send Money", me, "01711000003", "Karim", None,
                     "200.00", "5.00", "6,952.50"],
                    [5, "BCD4X7K2Q5", "08-Mar-25 12:00:00 PM", "Mobile Recharge", me, "01711000004", "Robi", None,
                     "50.00", "0.00", "6,902.50"],
                    [6, None, "09-Mar-25 03:15:00 PM", "Payment Received", "01711000005", me, "Rima Crafts",
                     "Jamdani saree", "2,200.00", "0.00", "9,102.50"],
                    [7, "BCD4X7K2Q7", "10-Mar-25 10:20:30 AM", "Payment Received", "01711000006", me, "Rima Crafts",
                     "Jamdani saree", 3200, 0, 12302.5],
                ])
    res = ingest("bd-rima", path)
    assert res.profile == "bkash"
    assert "The header is on row 4 (rows above it are titles)." in res.assumptions
    counts(res, total=7, loaded=3, flagged=1, skipped=3)
    assert sums(res) == (D("5450.00"), D("0.00"), D("5450.00"))
    rows = sales(res)
    assert [(r["order_id"], r["product"]) for r in rows] == [
        ("BCD4X7K2Q1", "Nakshi kantha"), ("BCD4X7K2Q3", "bKash payment"), ("BCD4X7K2Q7", "Jamdani saree")]
    assert {(r["currency"], r["buyer_country"], r["channel"]) for r in rows} == {("BDT", "BD", "bKash")}
    # 04-Mar-25 02:05:11 PM in Dhaka (UTC+6)
    assert [r["sold_at"] for r in rows] == [utc(2025, 3, 4, 8, 5, 11), utc(2025, 3, 6, 5), utc(2025, 3, 10, 4, 20, 30)]
    assert skips(res) == {2: "cash out: money taken out of the account, not a sale",
                          4: "not money received (Send Money), not a sale",
                          5: "not money received (Mobile Recharge), not a sale"}
    assert flags(res) == {6: ["order id is missing"]}


def bengali_statement(path: Path) -> Path:
    return xlsx(path, [["বিকাশ লিমিটেড"], ["হিসাব বিবরণী"], ["সময়কাল: ০১-Mar-২৫ থেকে ৩১-Mar-২৫"]], BKASH_BN, [
        ["১", "BKN1A2B3C1", "০৪-Mar-২৫ ০২:০৫:১১ PM", "পেমেন্ট গ্রহণ", "01711000001", "01999000009", "নকশী কাঁথা",
         "১২,৩৪,৫৬৭.৫০", "০.০০", "১২,৪৪,৫৬৭.৫০"],
        ["২", "BKN1A2B3C2", "০৫-Mar-২৫ ০৯:১০:০০ AM", "ক্যাশ আউট", "01999000009", "01800000001", None,
         "৫,০০০.০০", "৯২.৫০", "১২,৩৯,৪৭৫.০০"],
        ["৩", "BKN1A2B3C3", "০৬-Mar-২৫ ১১:০০:০০ AM", "টাকা গ্রহণ", "01711000002", "01999000009", None,
         "৳৭৫০.০০", "০.০০", "১২,৪০,২২৫.০০"],
        ["৪", "BKN1A2B3C4", "০৭-Mar-২৫ ০৬:৩০:৪৫ PM", "সেন্ড মানি", "01999000009", "01711000003", None,
         "২০০.০০", "৫.০০", "১২,৪০,০২০.০০"],
        ["৫", "BKN1A2B3C5", "৩২-Mar-২৫ ১০:০০:০০ AM", "পেমেন্ট গ্রহণ", "01711000005", "01999000009", None,
         "১,০০০.০০", "০.০০", "১২,৪১,০২০.০০"],
    ])


def test_bkash_bengali_headers_digits_and_lakh_grouping(tmp_path):
    res = ingest("bd-rima", bengali_statement(tmp_path / "বিকাশ-বিবরণী.xlsx"))
    assert res.profile == "bkash-bn"
    counts(res, total=5, loaded=2, flagged=1, skipped=2)
    assert sums(res) == (D("1235317.50"), D("0.00"), D("1235317.50"))  # ১২,৩৪,৫৬৭.৫০ + ৳৭৫০.০০
    rows = sales(res)
    assert [r["product"] for r in rows] == ["নকশী কাঁথা", "bKash payment"]
    assert [r["sold_at"] for r in rows] == [utc(2025, 3, 4, 8, 5, 11), utc(2025, 3, 6, 5)]
    assert skips(res) == {2: "cash out: money taken out of the account, not a sale",
                          4: "not money received (সেন্ড মানি), not a sale"}
    assert flags(res) == {5: [BAD_DATE]}  # day 32


def test_bkash_english_and_bengali_statements_share_a_source(tmp_path):
    """The same transaction in an English and a Bengali statement is counted once."""
    first = ingest("bd-rima", bengali_statement(tmp_path / "bn.xlsx"))
    assert first.rows_loaded == 2
    path = xlsx(tmp_path / "en.xlsx", [["bKash Limited"]], BKASH_EN, [
        [1, "BKN1A2B3C1", "04-Mar-25 02:05:11 PM", "Payment Received", "01711000001", "01999000009", "Rima",
         "নকশী কাঁথা", "1,234,567.50", "0.00", "1,244,567.50"],
        [2, "BCD9Z9Z9Z9", "11-Mar-25 01:00:00 PM", "Payment Received", "01711000009", "01999000009", "Rima",
         "Shital pati", "900.00", "0.00", "1,245,467.50"],
    ])
    res = ingest("bd-rima", path)
    assert res.profile == "bkash"
    counts(res, total=2, loaded=1, flagged=0, skipped=0, known=1)
    assert warehouse("south-asia").one("SELECT count(*), sum(gross) FROM sales WHERE creator_id = 'bd-rima'") == \
        (3, D("1236217.50"))


# --- the generic profile: a French spreadsheet ----------------------------------------------------

def test_generic_french_semicolon_decimal_comma_xof():
    res = ingest("sn-awa", "generic/ventes-fevrier.csv")
    assert res.profile == "generic"
    counts(res, total=7, loaded=5, flagged=2, skipped=0)
    assert sums(res, "XOF") == (D("1275568"), D(0), D("1275568"))  # U+202F, U+00A0 and space thousands
    assert sums(res, "EUR") == (D("12.50"), D(0), D("12.50"))
    rows = sales(res)
    assert [(r["order_id"], r["currency"], r["buyer_country"]) for r in rows] == [
        ("CMD-001", "XOF", "SN"), ("CMD-002", "XOF", "CI"), ("CMD-003", "XOF", "ML"), ("CMD-004", "XOF", "SN"),
        ("CMD-006", "EUR", "FR")]
    assert [r["sold_at"] for r in rows] == [utc(2025, 2, 3), utc(2025, 2, 15), utc(2025, 2, 20), utc(2025, 2, 21),
                                           utc(2025, 2, 23)]
    assert [r["quantity"] for r in rows] == [1, 2, 3, 1, 2]
    assert flags(res) == {5: [TOO_MANY_DECIMALS], 7: ["order id is missing"]}  # 1 500,50 XOF; no Référence
    assert "Columns separated by semicolons." in res.assumptions
    assert "'Montant' uses a decimal comma (1.234,56)." in res.assumptions


# --- forcing a profile, mapping columns, unknown headers ------------------------------------------

def test_export_with_a_column_less_is_still_recognised_and_says_how_sure():
    # Stripe's dashboard lets people choose columns: 6 of the profile's 7 identifying ones
    data = (b"id,Created date (UTC),Amount,Currency,Description,Fee,Status\n"
            b"ch_1,2025-04-01 08:30:00,29.00,usd,Logo pack,1.14,Paid\n"
            b"ch_2,2025-04-02 09:00:00,15.00,usd,Icons,0.74,Failed\n")
    auto = ingest("ng-ada", data, "stripe-lite.csv")
    assert (auto.status, auto.profile) == ("loaded", "stripe")
    assert "fairly sure: 6 of its 7 identifying columns" in auto.assumptions[0]
    counts(auto, total=2, loaded=1, flagged=0, skipped=1)


def test_profile_forced_when_headers_do_not_identify_it():
    # too few of Stripe's columns for detection: the vocabulary reads it by meaning (the date by
    # the shape of "Created date (UTC)"), and says so; --profile stripe reads it as Stripe's
    data = (b"id,Created date (UTC),Amount,Currency,Description,Status\n"
            b"ch_1,2025-04-01 08:30:00,29.00,usd,Logo pack,Paid\n"
            b"ch_2,2025-04-02 09:00:00,15.00,usd,Icons,Failed\n")
    auto = ingest("ng-ada", data, "stripe-lite.csv")
    assert (auto.status, auto.profile, auto.unsure) == ("loaded", "generic", ["sold_at"])
    assert auto.columns["sold_at"] == "Created date (UTC)"
    assert any("‘Created date (UTC)’ read as the date of the sale" in a for a in auto.assumptions)
    counts(auto, total=2, loaded=1, flagged=0, skipped=1)
    forced = ingest("ng-bola", data, "stripe-lite.csv", profile="stripe")
    assert forced.profile == "stripe"
    counts(forced, total=2, loaded=1, flagged=0, skipped=1)
    assert sums(forced) == (D("29.00"), D("0"), D("29.00"))
    assert sales(forced)[0]["currency"] == "USD"
    with pytest.raises(NotFound, match="No profile 'stripes'"):
        ingest("ng-ada", data + b"ch_3,2025-04-03 09:00:00,5.00,usd,Icons,Paid\n", "x.csv", profile="stripes")


def test_map_chooses_the_column_a_profile_would_not():
    data = ("Date;Référence;Produit;Quantité;Montant;Montant TTC;Devise;Pays\r\n"
            "03/02/2025;F-1;Pagne;1;10 000;11 800;XOF;Sénégal\r\n"
            "15/02/2025;F-2;Panier;2;20 000;23 600;XOF;Sénégal\r\n").encode()
    plain = ingest("sn-awa", data, "factures.csv")
    assert sums(plain) == (D(20000 + 10000), D(0), D(30000))  # generic takes "Montant" (before tax)
    mapped = ingest("sn-fatou", data, "factures.csv", mapping={"gross": "Montant TTC"})
    assert mapped.profile == "generic"
    counts(mapped, total=2, loaded=2, flagged=0, skipped=0)
    assert sums(mapped) == (D(35400), D(0), D(35400))


def test_unknown_headers_are_rejected_naming_the_missing_columns_then_mapped():
    data = (b"Tarehe,Kumbukumbu,Bidhaa,Kiasi,Sarafu\n"
            b"2025-03-01,KS-1,Kikapu,1500.00,KES\n"
            b"2025-03-02,KS-2,Kanga,800.00,KES\n")
    res = ingest("ke-wanjiru", data, "mauzo.csv")
    assert res.status == "rejected"
    # what a sale needs and nothing more: an amount and a time (the currency column is read by
    # its values once mapped); the refusal says in words what is missing
    assert res.missing == ["gross", "sold_at"]
    assert "Kasuwa could not find the amount the buyer paid, the date of the sale in this file." in res.message
    for canon in res.missing:
        assert f"--map {canon}=" in res.message
    assert "--map" in res.message and "Tarehe" in res.message
    assert warehouse("east-africa").one("SELECT count(*) FROM sales") == (0,)
    mapped = ingest("ke-wanjiru", data, "mauzo.csv", mapping={
        "sold_at": "Tarehe", "order_id": "Kumbukumbu", "product": "Bidhaa", "gross": "Kiasi", "currency": "Sarafu"})
    counts(mapped, total=2, loaded=2, flagged=0, skipped=0)
    assert sums(mapped) == (D("2300.00"), D(0), D("2300.00"))


def test_map_to_a_header_the_file_does_not_have_is_rejected():
    res = ingest("sn-awa", "generic/ventes-fevrier.csv", mapping={"gross": "Montant TTC"})
    assert res.status == "rejected"
    assert res.missing == ["gross"]
    assert "Montant TTC" in res.message


# --- detection: each profile recognises its own platform's files and nobody else's ---------------

SAMPLE_OF = {
    "gumroad": "gumroad/Sales.csv", "etsy": "etsy/EtsySoldOrders2025-3.csv",
    "etsy-items": "etsy-items/EtsySoldOrderItems2025-3.csv", "shopify": "shopify/orders_export_1.csv",
    "stripe": "stripe/unified_payments.csv", "paypal": "paypal/Download-mdy.CSV",
    "paystack": "paystack/transactions.csv", "flutterwave": "flutterwave/transactions.csv",
    "mpesa": "mpesa/statement.csv", "lemonsqueezy": "lemonsqueezy/orders.csv",
    "generic": "generic/ventes-fevrier.csv",
    # the sources read by meaning since issue 15: their real exports (tests/samples/real/)
    "stripe-balance": "real/stripe-balance/balance_history.csv", "stripe-payouts": "real/stripe-balance/payouts.csv",
    "shopify-payments": "real/shopify-payments/payment_transactions_export_1.csv",
    "shopify-transactions": "real/shopify-transactions/transactions_export_1.csv",
    "etsy-statement": "real/etsy-statement/etsy_statement_2025_10.csv",
    "buymeacoffee": "real/buymeacoffee/Supporters_list_2026-02-14.csv",
}


def test_every_shipped_profile_has_a_sample():
    # bKash's statements are built by the tests (XLSX); Lemon Squeezy's API answers are JSON (tested above)
    # (the programme's own store is only ever named, never detected: it has no export of its own)
    unsampled = {"bkash", "bkash-bn", "lemonsqueezy-api", "programme-store"}
    assert set(profiles.load_profiles()) - set(SAMPLE_OF) == unsampled


def staged_headers(path: Path, tmp_path: Path) -> list[str]:
    con = duckdb.connect()
    known = profiles.load_profiles()
    staged = readers.stage_file(con, path, path.name, tmp_path, profiles.header_score(known))
    con.close()
    return staged.headers


def matching_profiles(headers: list[str]) -> list[str]:
    return sorted(d.profile.name for d in profiles.candidates(headers, profiles.load_profiles()))


@pytest.mark.parametrize("name", sorted(SAMPLE_OF))
def test_each_sample_matches_its_own_profile_and_no_other(name, tmp_path):
    headers = staged_headers(SAMPLES / SAMPLE_OF[name], tmp_path)
    assert matching_profiles(headers) == ([] if name == "generic" else [name])
    assert profiles.detect(headers, profiles.load_profiles()).profile.name == name


def test_a_sheet_with_only_some_paystack_names_stays_generic(tmp_path):
    path = tmp_path / "own.csv"
    path.write_bytes(b"reference,date,product,amount,currency,status\nR-1,2025-03-01,Pagne,1500,NGN,success\n")
    assert matching_profiles(staged_headers(path, tmp_path)) == []


def test_paystack_json_and_bkash_statements_match_only_their_profiles(tmp_path):
    assert matching_profiles(staged_headers(SAMPLES / "paystack/transactions.json", tmp_path)) == ["paystack"]
    en = xlsx(tmp_path / "en.xlsx", [["bKash"]], BKASH_EN, [[1, "X1", "04-Mar-25 02:05:11 PM", "Payment Received"]])
    assert matching_profiles(staged_headers(en, tmp_path)) == ["bkash"]
    assert matching_profiles(staged_headers(bengali_statement(tmp_path / "bn.xlsx"), tmp_path)) == ["bkash-bn"]


def test_no_profile_can_claim_another_platforms_files():
    """Not even the detection threshold's share of a profile's identifying headers belongs to
    another platform profile's vocabulary (its detect and column names): a full export of one
    platform cannot be taken for another."""
    known = profiles.load_profiles()
    assert set(known) >= {"gumroad", "etsy", "etsy-items", "shopify", "stripe", "paypal", "paystack",
                          "flutterwave", "bkash", "bkash-bn", "mpesa", "lemonsqueezy", "generic"}
    for a in known.values():
        if not a.detect:
            continue
        assert len(a.detect) >= 4, a.name
        for b in known.values():
            vocab = {profiles.norm(h) for alts in b.detect for h in alts}
            # its own names; the vocabulary's words every profile takes for what it does not list are
            # generic, broad on purpose; a profile without detect headers (the programme's store) is
            # only ever named, so it claims no file
            vocab |= {profiles.norm(h) for c, names in b.columns.items() if c not in b.vocabulary for h in names}
            if b is not a and b.name != "generic" and b.detect and b.source != a.source:
                shared = sum(1 for alts in a.detect if any(profiles.norm(h) in vocab for h in alts))
                assert shared / len(a.detect) < profiles.DETECT_THRESHOLD, (a.name, b.name)


def test_a_profile_with_an_unknown_key_names_the_file():
    with pytest.raises(ConfigError, match=r"shop\.toml: unknown \[read\] key\(s\) \['date_style'\]"):
        profiles.parse_profile({"name": "shop", "read": {"date_style": "dmy"}}, "shop.toml")
    with pytest.raises(ConfigError, match="skip rule #1 needs column and reason"):
        profiles.parse_profile({"name": "shop", "skip": [{"column": "status", "in": ["x"]}]}, "shop.toml")
