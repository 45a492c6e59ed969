"""Parsing numbers, currencies, dates and amount units: the pure style decisions in Python, the SQL
macros through an in-memory DuckDB, and the parse query on staged rows (no warehouse, no GX),
plus one ingest that shows the date assumption reaching the upload's result."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import duckdb
import pytest

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.ingest import ingest_file, parse, profiles, readers, sql
from warehouse.ingest.pipeline import prepare
from warehouse.money import exponents_table

D = Decimal


@pytest.fixture
def con():
    c = duckdb.connect()
    parse.define_macros(c)
    yield c
    c.close()


# --- number style (pure) --------------------------------------------------------------------------

@pytest.mark.parametrize(("values", "style"), [
    (["1,234.56", "12.50"], ("dot", False)),
    (["1.234,56", "12,50"], ("comma", False)),
    (["1 234,56"], ("comma", False)),
    (["1\u202f234\u202f568", "1\u00a0500,50"], ("comma", False)),  # XOF: no decimals but one comma row
    (["12,34,567.50"], ("dot", False)),  # lakh grouping
    (["১২,৩৪,৫৬৭.৫০৳"], ("dot", False)),  # Bengali digits
    (["۱۲٬۳۴۵٫۶۷"], ("dot", False)),  # Extended Arabic-Indic digits, U+066C thousands, U+066B decimal
    (["1.234.567", "5"], ("comma", False)),  # two dot groups can only be thousands
    (["1,500", "2,000"], ("dot", True)),  # could be either: read as thousands, and said
    (["1,500", "2,50"], ("comma", False)),  # one row settles the column
    (["₦1,500.00", "GH₵ 20.5"], ("dot", False)),
    (["1500", "200"], ("dot", False)),
])
def test_number_style_is_decided_for_the_whole_column(values, style):
    assert parse.number_style(values) == style


# --- numbers through the SQL macros ---------------------------------------------------------------

@pytest.mark.parametrize(("text", "comma", "expected"), [
    ("1500", False, "1500"),
    ("1,234.56", False, "1234.56"),
    ("1.234,56", True, "1234.56"),
    ("12,50", True, "12.50"),
    ("1 234,56", True, "1234.56"),
    ("1\u00a0234,56", True, "1234.56"),
    ("1\u202f234\u202f568", True, "1234568"),
    ("1\u202f234\u202f568", False, "1234568"),
    ("12,34,567.50", False, "1234567.50"),
    ("১২,৩৪,৫৬৭.৫০৳", False, "1234567.50"),
    ("۱۲٬۳۴۵٫۶۷", False, "12345.67"),
    ("٣٤٥", False, "345"),
    ("₦1,500", False, "1500"),
    ("GH₵ 2,000.50", False, "2000.50"),
    ("GH¢250", False, "250"),
    ("KSh 1,200", False, "1200"),
    ("Ksh1,200.00", False, "1200.00"),
    ("Rs 1,500.00", False, "1500.00"),
    ("Rs. 1,500", False, "1500"),
    ("₨ 2,500", False, "2500"),
    ("৳ 500", False, "500"),
    ("Tk 500", False, "500"),
    ("1 234 568 F CFA", True, "1234568"),
    ("5 000 FCFA", True, "5000"),
    ("$12.50", False, "12.50"),
    ("USD 12.50", False, "12.50"),
    ("12.50 EUR", False, "12.50"),
    ("1'234.50", False, "1234.50"),
    ("-5", False, "-5"),
    ("(5)", False, "-5"),
    ("5-", False, "-5"),
    ("-1.234,56", True, "-1234.56"),
    ("(₦1,500.00)", False, "-1500.00"),
    ("−12.00", False, "-12.00"),  # U+2212 minus sign
    ("12.5000000", False, "12.5"),  # trailing zeros past the sixth place are harmless
])
def test_numbers_in_every_regional_style(con, text, comma, expected):
    assert con.execute("SELECT kw_num(?, ?)", [text, comma]).fetchone()[0] == D(expected)


@pytest.mark.parametrize("text", ["abc", "1.2.3", "12.3456789", "1,2,3.4.5", "N/A", "1e5", "12.5.0"])
def test_text_that_is_not_a_number_stays_null_never_guessed(con, text):
    assert con.execute("SELECT kw_num(?, false)", [text]).fetchone()[0] is None


def test_blank_cells_are_null(con):
    assert con.execute("SELECT kw_num(NULL, false), kw_num('  ', true)").fetchone() == (None, None)


@pytest.mark.parametrize(("amount", "currency"), [
    ("₦1,500", "NGN"), ("GH₵ 2,000", "GHS"), ("GH¢250", "GHS"), ("KSh 1,200", "KES"), ("Ksh 1,200", "KES"),
    ("Rs 1,500.00", "PKR"), ("₨ 2,500", "PKR"), ("৳500", "BDT"), ("Tk 500", "BDT"), ("1 234 F CFA", "XOF"),
    ("5000 FCFA", "XOF"), ("$12", "USD"), ("USD 12.50", "USD"), ("€9,99", "EUR"), ("12.00", None),
])
def test_currency_from_the_symbol_in_an_amount(con, amount, currency):
    assert con.execute("SELECT kw_currency(kw_symbol(?))", [amount]).fetchone()[0] == currency


@pytest.mark.parametrize(("cell", "currency"), [
    ("usd", "USD"), ("xof", "XOF"), ("NGN", "NGN"), ("F CFA", "XOF"), ("F\u00a0CFA", "XOF"), ("FCFA", "XOF"),
    ("CFA", "XOF"), ("Ksh", "KES"), ("KShs", "KES"), ("GHC", "GHS"), ("₦", "NGN"), ("Tk", "BDT"), ("Rs.", "PKR"),
])
def test_currency_cells_in_local_spellings(con, cell, currency):
    assert con.execute("SELECT kw_currency(?)", [cell]).fetchone()[0] == currency


def test_gumroad_formula_guard_is_removed_only_before_formula_characters(con):
    rows = con.execute("SELECT kw_text(x) FROM (VALUES ('''=SUM Pack'), ('''-50% bundle'), ('''@home'),"
                       " ('Rock''n''roll'), ('''quoted''')) t(x)").fetchall()
    assert [r[0] for r in rows] == ["=SUM Pack", "-50% bundle", "@home", "Rock'n'roll", "'quoted'"]


# --- dates (pure decisions) -----------------------------------------------------------------------

def test_iso_dates():
    choice = parse.date_formats(["2025-03-01", "2025-03-02"])
    assert choice is not None
    assert (choice.order, choice.formats[0], choice.assumption) == ("ymd", "%Y-%m-%d", None)


def test_a_day_above_12_in_first_place_settles_day_first():
    choice = parse.date_formats(["03/02/2025", "04/02/2025", "25/02/2025"], preferred="mdy")
    assert choice is not None
    assert (choice.order, choice.assumption) == ("dmy", None)


def test_a_day_above_12_in_second_place_settles_month_first():
    choice = parse.date_formats(["03/02/2025", "02/25/2025"], preferred="dmy")
    assert choice is not None
    assert (choice.order, choice.assumption) == ("mdy", None)


@pytest.mark.parametrize(("preferred", "first"), [("dmy", "day"), ("mdy", "month")])
def test_an_ambiguous_column_follows_the_preference_and_says_so(preferred, first):
    choice = parse.date_formats(["03/02/2025", "04/02/2025"], preferred=preferred)
    assert choice is not None
    assert choice.order == preferred
    assert choice.assumption is not None
    assert f"read {first} first" in choice.assumption and "03/02/2025" in choice.assumption


def test_a_profile_date_format_is_used_as_given():
    choice = parse.date_formats(["03/14/25"], forced="%m/%d/%y")
    assert choice is not None and choice.formats == ("%m/%d/%y",)


def test_unreadable_dates_give_no_choice():
    assert parse.date_formats(["yesterday", "soon"]) is None
    assert parse.date_formats(["", "  "]) is None


# --- dates through SQL: instants ------------------------------------------------------------------

def read_instants(con, values: list[str], timezone_name: str = "UTC", preferred: str = "dmy") -> list[datetime]:
    choice = parse.date_formats(values, preferred)
    assert choice is not None, values
    expr = parse.date_sql("x", choice, timezone_name)
    cells = ", ".join(f"({i}, ?)" for i in range(len(values)))
    rows = con.execute(f"SELECT {expr} FROM (VALUES {cells}) t(i, x) ORDER BY i", values).fetchall()
    return [r[0].astimezone(UTC) if r[0] else None for r in rows]


def test_day_first_column_in_sql(con):
    assert read_instants(con, ["03/02/2025", "25/02/2025"]) == [datetime(2025, 2, 3, tzinfo=UTC),
                                                              datetime(2025, 2, 25, tzinfo=UTC)]


def test_month_first_column_in_sql(con):
    assert read_instants(con, ["03/02/2025", "02/25/2025"]) == [datetime(2025, 3, 2, tzinfo=UTC),
                                                              datetime(2025, 2, 25, tzinfo=UTC)]


def test_bkash_style_twelve_hour_dates_in_local_time(con):
    assert read_instants(con, ["04-Mar-25 02:05:11 PM", "05-Mar-25 09:10:00 AM"], "Asia/Dhaka") == [
        datetime(2025, 3, 4, 8, 5, 11, tzinfo=UTC), datetime(2025, 3, 5, 3, 10, tzinfo=UTC)]


def test_bengali_digits_in_dates(con):
    assert read_instants(con, ["০৪-Mar-২৫ ০২:০৫:১১ PM"], "Asia/Dhaka") == [datetime(2025, 3, 4, 8, 5, 11, tzinfo=UTC)]


@pytest.mark.parametrize(("text", "instant"), [
    ("2024-05-01 10:00:00 +0000", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ("2024-05-01 10:00:00 +0100", datetime(2024, 5, 1, 9, tzinfo=UTC)),
    ("2024-05-01 10:00:00 -0700", datetime(2024, 5, 1, 17, tzinfo=UTC)),
    ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ("2025-06-01T10:00:05.000Z", datetime(2025, 6, 1, 10, 0, 5, tzinfo=UTC)),
    ("2025-06-01T10:00:05Z", datetime(2025, 6, 1, 10, 0, 5, tzinfo=UTC)),
    ("2025-06-01 10:00:00 UTC", datetime(2025, 6, 1, 10, tzinfo=UTC)),
    ("2025-06-01 10:00:00 GMT", datetime(2025, 6, 1, 10, tzinfo=UTC)),
])
def test_offsets_and_utc_suffixes_win_over_the_profile_time_zone(con, text, instant):
    assert read_instants(con, [text], "Africa/Nairobi") == [instant]


def test_timestamps_without_offset_are_read_in_the_profile_time_zone(con):
    nairobi = timezone(timedelta(hours=3))
    assert read_instants(con, ["2025-03-01 09:12:45"], "Africa/Nairobi") == [
        datetime(2025, 3, 1, 9, 12, 45, tzinfo=nairobi).astimezone(UTC)]


def test_a_date_that_does_not_exist_is_null_not_moved(con):
    assert read_instants(con, ["2025-02-28", "2025-02-30"]) == [datetime(2025, 2, 28, tzinfo=UTC), None]


# --- the parse query on staged rows ---------------------------------------------------------------

def parse_rows(profile_doc: dict, headers: list[str], rows: list[list[str | None]]) -> list[dict]:
    """Run the real parse query over ``rows`` in an in-memory DuckDB (what ingest does, minus GX)."""
    prof = profiles.parse_profile({"name": "test", **profile_doc}, "test profile")
    con = duckdb.connect()
    con.execute("CREATE TABLE currencies (code VARCHAR PRIMARY KEY, exponent INTEGER)")
    con.executemany("INSERT INTO currencies VALUES (?, ?)", exponents_table())
    prepare(con)  # macros, countries, zones and the currency look-up, as every ingest cursor has them
    stager = readers._Stager(con, len(headers))
    for r in rows:
        stager.add(r)
    stager.flush()
    cols = profiles.resolve_columns(prof, headers, {})
    plan = sql.ParsePlan(prof, cols, headers)
    for canon in ("gross", "unit_price", "fees", "net", "refunded"):
        if canon in cols:
            values = [r[cols[canon]] for r in rows if r[cols[canon]]]
            plan.comma[canon] = (prof.number_style if prof.number_style != "auto"
                                 else parse.number_style(values)[0]) == "comma"
    dates = [r[cols["sold_at"]] for r in rows if r[cols["sold_at"]]]
    if "sold_time" in cols:  # sampled as the pipeline samples them
        joined = sql.datetime_text(f"c{cols['sold_at']}", f"c{cols['sold_time']}")
        dates = [r[0] for r in con.execute(f"SELECT {joined} FROM stg").fetchall()]
    plan.dates = parse.date_formats(dates, "dmy", prof.date_format)
    con.execute(sql.parse_sql(plan, len(headers)), plan.params)
    names = ("skip_reason", "order_id", "line", "product", "quantity", "sold_at", "currency", "gross", "fees", "net",
             "refunded", "buyer_country", "channel", "amounts_fit_currency")
    out = con.execute(f"SELECT {', '.join(names)} FROM parsed ORDER BY _row").fetchall()
    con.close()
    return [dict(zip(names, r, strict=True)) for r in out]


MINOR = {"read": {"amount_unit": "minor"},
         "columns": {"order_id": "ref", "sold_at": "paid_at", "product": "item", "gross": "amount", "fees": "fees",
                     "currency": "currency"}}


def test_subunits_become_major_units_by_each_currency_exponent():
    rows = parse_rows(MINOR, ["ref", "paid_at", "item", "amount", "fees", "currency"], [
        ["a", "2025-06-01", "x", "1500000", "32500", "NGN"],  # kobo: 15,000.00
        ["b", "2025-06-01", "x", "5000", "98", "GHS"],  # pesewas: 50.00
        ["c", "2025-06-01", "x", "500000", "0", "XOF"],  # XOF has no minor unit: 500,000
        ["d", "2025-06-01", "x", "12345", "0", "KWD"],  # fils (exponent 3): 12.345
        ["e", "2025-06-01", "x", "150000000000", "0", "NGN"],  # 1.5 billion naira: no overflow
        ["f", "2025-06-01", "x", "1500000.5", "0", "NGN"],  # half a kobo: does not fit NGN
    ])
    assert [(r["gross"], r["fees"], r["net"]) for r in rows] == [
        (D("15000.00"), D("325.00"), D("14675.00")), (D("50.00"), D("0.98"), D("49.02")),
        (D(500000), D(0), D(500000)), (D("12.345"), D(0), D("12.345")),
        (D("1500000000.00"), D(0), D("1500000000.00")), (D("15000.005"), D(0), D("15000.005"))]
    assert [r["amounts_fit_currency"] for r in rows] == [True, True, True, True, True, False]


def test_major_units_with_a_fraction_of_xof_do_not_fit():
    rows = parse_rows({"columns": {**MINOR["columns"]}}, ["ref", "paid_at", "item", "amount", "fees", "currency"], [
        ["a", "2025-06-01", "x", "1500", "0", "XOF"],
        ["b", "2025-06-01", "x", "1500.50", "0", "XOF"],
        ["c", "2025-06-01", "x", "2500000.25", "0.10", "NGN"],  # large amounts stay exact
    ])
    assert [r["gross"] for r in rows] == [D(1500), D("1500.50"), D("2500000.25")]
    assert [r["amounts_fit_currency"] for r in rows] == [True, False, True]


def test_fill_down_and_line_items_shopify_style():
    doc = {"read": {"line_items": True, "fill_down": ["sold_at", "currency", "status"]},
           "columns": {"order_id": "Name", "sold_at": "Paid at", "product": "Lineitem name",
                       "quantity": "Lineitem quantity", "unit_price": "Lineitem price", "currency": "Currency",
                       "status": "Financial Status"},
           "skip": [{"column": "status", "not_in": ["paid"], "reason": "not paid ({value})"}]}
    rows = parse_rows(doc, ["Name", "Financial Status", "Paid at", "Currency", "Lineitem quantity", "Lineitem name",
                            "Lineitem price"], [
        ["#1", "paid", "2025-05-01 10:00:00 +0100", "NGN", "2", "Tote", "15000.00"],
        ["#1", None, None, None, "1", "Scarf", "8500.00"],
        ["#2", "voided", None, "NGN", "1", "Tote", "15000.00"],
        ["#2", None, None, None, "3", "Scarf", "8500.00"],
    ])
    assert [(r["order_id"], r["line"], r["gross"], r["currency"]) for r in rows[:2]] == [
        ("#1", 1, D("30000.00"), "NGN"), ("#1", 2, D("8500.00"), "NGN")]
    assert rows[1]["sold_at"] == datetime(2025, 5, 1, 9, tzinfo=UTC)
    assert [r["skip_reason"] for r in rows] == [None, None, "not paid (voided)", "not paid (voided)"]


def test_profile_defaults_fill_missing_columns_and_blank_cells():
    doc = {"columns": {"order_id": "ref", "sold_at": "date", "product": "memo", "gross": "amount"},
           "defaults": {"currency": "BDT", "product": "bKash payment", "channel": "bKash", "buyer_country": "BD"}}
    rows = parse_rows(doc, ["ref", "date", "memo", "amount"], [
        ["a", "2025-03-01", "Nakshi kantha", "1500"],
        ["b", "2025-03-01", None, "750"],
    ])
    assert [(r["product"], r["currency"], r["channel"], r["buyer_country"]) for r in rows] == [
        ("Nakshi kantha", "BDT", "bKash", "BD"), ("bKash payment", "BDT", "bKash", "BD")]
    assert [r["quantity"] for r in rows] == [1, 1]
    three = parse_rows({**doc, "defaults": {**doc["defaults"], "quantity": "3"}}, ["ref", "date", "memo", "amount"],
                       [["c", "2025-03-01", "Kantha", "1500"]])
    assert three[0]["quantity"] == 3  # "every row is 3 units", said by a person in the mapping step


def test_full_refund_flag_and_partial_refund_amount_together():
    doc = {"columns": {"order_id": "id", "sold_at": "date", "product": "item", "gross": "price",
                       "refunded": "Partial Refund ($)", "refunded_flag": "Fully Refunded?"},
           "defaults": {"currency": "USD"}}
    rows = parse_rows(doc, ["id", "date", "item", "price", "Partial Refund ($)", "Fully Refunded?"], [
        ["a", "2025-03-01", "x", "8.0", "0.0", "1"],
        ["b", "2025-03-01", "x", "8.0", "4.0", "0"],
        ["c", "2025-03-01", "x", "8.0", "0.0", "0"],
    ])
    assert [r["refunded"] for r in rows] == [D("8.0"), D("4.0"), D(0)]


def test_a_time_cell_holding_the_whole_timestamp_is_not_joined_twice():
    doc = {"columns": {"order_id": "id", "sold_at": "Purchase Date", "sold_time": "Purchase Time",
                       "product": "item", "gross": "price"}, "defaults": {"currency": "USD"}}
    rows = parse_rows(doc, ["id", "Purchase Date", "Purchase Time", "item", "price"], [
        ["a", "2025-03-02", "2025-03-02 09:15:00 UTC", "x", "1"],
        ["b", "2025-03-05", "2025-03-05 14:00:00 UTC", "x", "1"],
    ])
    assert [r["sold_at"] for r in rows] == [datetime(2025, 3, 2, 9, 15, tzinfo=UTC),
                                            datetime(2025, 3, 5, 14, tzinfo=UTC)]


def test_country_names_in_english_and_french_become_codes():
    doc = {"columns": {"order_id": "id", "sold_at": "date", "product": "item", "gross": "amount",
                       "buyer_country": "pays"}, "defaults": {"currency": "XOF"}}
    names = ["Sénégal", "Côte d'Ivoire", "Côte d’Ivoire", "Nigeria", "United States", "ng", "Royaume-Uni", "Elbonia"]
    rows = parse_rows(doc, ["id", "date", "item", "amount", "pays"],
                      [[str(i), "2025-03-01", "x", "1", n] for i, n in enumerate(names)])
    # a country Kasuwa does not know is left blank (the upload's report says so), not guessed
    assert [r["buyer_country"] for r in rows] == ["SN", "CI", "CI", "NG", "US", "NG", "GB", None]


# --- the assumption reaches the upload's result ---------------------------------------------------

def test_ambiguous_dates_are_read_day_first_in_kenya_and_the_assumption_is_reported():
    add_creator(Actor.operator(), "ke-1", "KE", "K")
    data = b"order_id,date,product,amount,currency\nA-1,03/02/2025,Kikapu,1500.00,KES\nA-2,04/02/2025,Kanga,800,KES\n"
    res = ingest_file(Actor.operator(), "ke-1", "mauzo.csv", data)
    assert (res.status, res.rows_loaded) == ("loaded", 2)
    assert any("read day first" in a and "03/02/2025" in a for a in res.assumptions), res.assumptions
    from warehouse.db import warehouse
    got = warehouse("east-africa").rows("SELECT sold_at FROM sales ORDER BY row_number")
    assert [r[0].astimezone(UTC).date().isoformat() for r in got] == ["2025-02-03", "2025-02-04"]


def test_the_date_prefilter_never_rejects_what_strptime_reads():
    """``_parses`` rules formats out with a loose regex before strptime: for values written in
    every format the column reader knows, it agrees with strptime on every format."""
    fmts = [d + t + z for ds in parse._DATES.values() for d in ds for t in parse._TIMES for z in parse._ZONES]
    rng = random.Random(7)
    moments = [datetime(2025, 1, 9, 7, 5, 3, 120000, tzinfo=UTC),
               datetime(2024, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=5, minutes=30))),
               datetime(2025, 11, 12, 12, 0, 0, tzinfo=timezone(-timedelta(hours=3)))]
    values = {m.strftime(f) for f in rng.sample(fmts, 12) for m in moments} | {" 4/ 3/25", "04  Mar 2025"}
    for v in values:
        for f in fmts:
            try:
                datetime.strptime(v, f)
                expected = True
            except ValueError:
                expected = False
            assert parse._parses(f, v) is expected, (f, v)
