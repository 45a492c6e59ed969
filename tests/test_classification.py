"""Every row is a sale, a known non-sale (skipped with its reason) or a row a person decides
(flagged with its reason) — and what follows from that: pending payments load once a later
export shows them paid, money out is skipped not flagged, fees in another currency keep their
currency, an order split across two exports loads each line once, two accounts' receipts never
collide, the file's own time-zone column is applied, and detection does not need the columns
people delete before sharing a file. Real DuckDB warehouses, the real suite.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse
from warehouse.ingest import ingest_file, parse, profiles

OP = Actor.operator()
D = Decimal


@pytest.fixture(autouse=True)
def creators(data_dir):
    add_creator(OP, "ng-ada", "NG", "Ada")


def load(data: str, name: str = "export.csv"):
    res = ingest_file(OP, "ng-ada", name, data.encode())
    assert res.status == "loaded", res.message
    assert res.rows_total == res.rows_loaded + res.rows_flagged + res.rows_skipped + res.rows_known
    return res


def fates(res) -> dict[int, tuple[str, str]]:
    rows = warehouse(res.region).rows(
        "SELECT row_number, 'sale', '' FROM sales WHERE upload_id = $u"
        " UNION ALL SELECT row_number, 'ask', reasons[1] FROM flagged_rows WHERE upload_id = $u"
        " UNION ALL SELECT row_number, 'skip', reason FROM skipped_rows WHERE upload_id = $u", {"u": res.upload_id})
    return {r[0]: (r[1], r[2]) for r in rows}


PAYPAL = ('"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net","Transaction ID",'
          '"Balance","Balance Impact"\n')


def paypal_row(day: str, kind: str, status: str, gross: str, txn: str, impact: str = "Credit",
               time: str = "10:00:00", zone: str = "PST") -> str:
    return (f'"{day}","{time}","{zone}","X","{kind}","{status}","USD","{gross}","-1.00","0.00","{txn}","0.00",'
            f'"{impact}"\n')


def test_each_row_is_a_sale_a_known_non_sale_or_asked_about():
    res = load(PAYPAL
               + paypal_row("03/02/2025", "Website Payment", "Completed", "50.00", "T1")
               + paypal_row("03/03/2025", "Payment Release", "Completed", "20.00", "T2")
               + paypal_row("03/04/2025", "Mass Pay Payment", "Completed", "5.00", "T3")
               + paypal_row("03/05/2025", "Website Payment", "Completed", "-30.00", "T4", "Debit")
               + paypal_row("03/06/2025", "General Currency Conversion", "Completed", "12.00", "T5"))
    got = fates(res)
    assert got[1] == ("sale", "")
    assert got[2] == ("skip", "a hold on the balance or its release (Payment Release): no new money came in")
    # a kind the profile does not list is never loaded as a sale, never skipped in silence
    assert got[3][0] == "ask" and "'Mass Pay Payment' is not a kind of payment Kasuwa knows" in got[3][1]
    # money going out is a known non-sale, not "amount is negative"
    assert got[4][0] == "skip" and got[4][1].startswith("money out of the account (-30.00)")
    assert got[5][0] == "skip" and "currency conversion" in got[5][1]
    flag = warehouse(res.region).one("SELECT rules FROM flagged_rows WHERE upload_id = ?", [res.upload_id])
    assert flag == (["kind_unknown"],)


def test_a_pending_payment_loads_once_a_later_export_shows_it_completed():
    first = load(PAYPAL + paypal_row("03/02/2025", "Website Payment", "Pending", "50.00", "T9"), "march.csv")
    assert fates(first) == {1: ("skip", "payment not completed yet (status: Pending); a later export that shows"
                                        " it completed loads it")}
    later = load(PAYPAL + paypal_row("03/02/2025", "Website Payment", "Completed", "50.00", "T9")
                 + paypal_row("03/10/2025", "Website Payment", "Completed", "8.00", "T10"), "march-april.csv")
    assert (later.rows_loaded, later.rows_known) == (2, 0)
    again = load(PAYPAL + paypal_row("03/02/2025", "Website Payment", "Completed", "50.00", "T9") + "\n",
                 "march-again.csv")
    assert (again.rows_loaded, again.rows_known) == (0, 1)
    total = warehouse(later.region).one("SELECT count(*), sum(gross) FROM sales WHERE creator_id = 'ng-ada'")
    assert total == (2, D("58.00"))


def test_times_follow_the_files_own_time_zone_column():
    res = load(PAYPAL
               + paypal_row("03/14/2025", "Website Payment", "Completed", "1.00", "Z1", zone="PST")
               + paypal_row("07/14/2025", "Website Payment", "Completed", "1.00", "Z2", zone="PDT")
               + paypal_row("07/14/2025", "Website Payment", "Completed", "1.00", "Z3", zone="CEST")
               + paypal_row("07/14/2025", "Website Payment", "Completed", "1.00", "Z4", zone="America/Los_Angeles")
               + paypal_row("07/14/2025", "Website Payment", "Completed", "1.00", "Z5", zone="Mars/Olympus"))
    times = dict(warehouse(res.region).rows("SELECT order_id, sold_at FROM sales WHERE upload_id = ?",
                                            [res.upload_id]))
    assert times["Z1"] == datetime(2025, 3, 14, 18, 0, tzinfo=UTC)
    assert times["Z2"] == datetime(2025, 7, 14, 17, 0, tzinfo=UTC)
    assert times["Z3"] == datetime(2025, 7, 14, 8, 0, tzinfo=UTC)
    assert times["Z4"] == datetime(2025, 7, 14, 17, 0, tzinfo=UTC)  # IANA names keep their summer time
    # a zone Kasuwa does not know is not guessed: the row waits for a person
    assert "Z5" not in times and fates(res)[5] == ("ask", "date is missing or not understood")


STRIPE = "id,Created date (UTC),Amount,Amount Refunded,Currency,Converted Amount,Fee,Converted Currency,Status\n"


def test_a_fee_in_the_settlement_currency_keeps_its_currency_and_net_is_not_made_up():
    res = load(STRIPE
               + "ch_1,2025-04-01 08:30:00,100.00,0,cad,73.10,2.42,usd,Paid\n"
               + "ch_2,2025-04-02 08:30:00,20.00,0,usd,20.00,0.88,usd,Paid\n")
    rows = warehouse(res.region).rows(
        "SELECT order_id, currency, gross, fees, fee_currency, net FROM sales WHERE upload_id = ? ORDER BY 1",
        [res.upload_id])
    assert rows == [("ch_1", "CAD", D("100.00"), D("2.42"), "USD", None),
                    ("ch_2", "USD", D("20.00"), D("0.88"), None, D("19.12"))]
    # Stripe pays into the creator's own account: the programme's ledger books none of it (issue 16)
    assert warehouse(res.region).rows("SELECT currency, amount FROM ledger WHERE kind = 'platform_fee'") == []


def test_any_iso_currency_is_a_sale_currency_for_any_region():
    res = load("order_id,date,product,amount,currency\nA1,2025-04-01,Pattern,120.00,ZAR\nA2,2025-04-01,Pattern,9,BRL\n")
    assert (res.rows_loaded, res.rows_flagged) == (2, 0)


SHOPIFY = ("Name,Financial Status,Paid at,Currency,Created at,Lineitem quantity,Lineitem name,Lineitem price,"
           "Billing Country\n")


def test_an_order_split_across_two_exports_loads_every_line_once():
    first = load(SHOPIFY
                 + "#1001,paid,2025-05-01 10:00:00 +0000,NGN,2025-05-01 09:59:00 +0000,1,Tote,1000.00,NG\n"
                 + "#1001,,,,,2,Scarf,500.00,\n", "orders_export_1.csv")
    second = load(SHOPIFY
                  + "#1001,,,,,1,Bookmark,250.00,\n"
                  + "#1001,,,,,1,Poster,100.00,\n"
                  + "#1002,paid,2025-05-02 10:00:00 +0000,NGN,2025-05-02 09:59:00 +0000,1,Tote,1000.00,GH\n",
                  "orders_export_2.csv")
    assert (first.rows_loaded, second.rows_loaded, second.rows_flagged, second.rows_known) == (2, 3, 0, 0)
    wh = warehouse(first.region)
    lines = wh.rows("SELECT order_id, line, product, gross, currency, sold_at FROM sales ORDER BY order_id, line")
    when = datetime(2025, 5, 1, 9, 59, tzinfo=UTC)
    assert lines[:4] == [("#1001", 1, "Tote", D("1000.00"), "NGN", when),
                         ("#1001", 2, "Scarf", D("1000.00"), "NGN", when),
                         ("#1001", 3, "Bookmark", D("250.00"), "NGN", when),
                         ("#1001", 4, "Poster", D("100.00"), "NGN", when)]
    # the second export again (re-exported, other bytes): its lines are known, nothing doubles
    third = load(SHOPIFY + "#1001,,,,,1,Bookmark,250.00,\n" + "#1001,,,,,1,Poster,100.00,\n\n",
                 "orders_export_2b.csv")
    assert (third.rows_loaded, third.rows_known) == (0, 2)
    assert wh.one("SELECT count(*) FROM sales") == (5,)


def test_continuation_lines_of_an_order_not_loaded_yet_are_asked_about():
    res = load(SHOPIFY + "#2001,,,,,1,Tote,1000.00,\n"
               + "#2002,paid,2025-05-02 10:00:00 +0000,NGN,2025-05-02 09:59:00 +0000,1,Tote,1000.00,GH\n")
    got = fates(res)
    assert got[1][0] == "ask" and "continue an order whose first lines are in an earlier export" in got[1][1]
    assert got[2] == ("sale", "")


def test_two_accounts_of_one_creator_may_repeat_receipt_numbers():
    head = "receipt,account,date,product,amount,currency\n"
    a = load(head + "R-1,till-111,2025-04-01,Soap,500,KES\n", "till-111.csv")
    b = load(head + "R-1,till-222,2025-04-01,Soap,700,KES\n", "till-222.csv")
    assert (a.rows_loaded, b.rows_loaded, b.rows_known) == (1, 1, 0)
    again = load(head + "R-1,till-222,2025-04-01,Soap,700,KES\n\n", "till-222-again.csv")
    assert again.rows_known == 1


def test_detection_does_not_need_the_buyer_columns_people_delete():
    headers = ["Sale Date", "Order ID", "Number of Items", "Payment Method", "Ship Country", "Currency",
               "Order Value", "Order Total", "Status", "Card Processing Fees", "Order Net"]
    found = profiles.detect(headers, profiles.load_profiles())
    assert found.profile.name == "etsy"
    assert "sure" in found.sentence
    assert profiles.detect(headers[:2] + headers[4:7], profiles.load_profiles()).profile.name == "generic"


def test_a_profiles_date_format_is_a_hint_the_values_can_overrule():
    assert parse.date_formats(["03/14/25", "12/01/25"], forced="%m/%d/%y").formats == ("%m/%d/%y",)
    resaved = parse.date_formats(["3/14/2025", "12/1/2025"], forced="%m/%d/%y")
    assert resaved.order == "mdy" and resaved.formats[0] == "%m/%d/%Y"
    assert parse.date_formats(["2025-03-14", "2025-12-01"], forced="%m/%d/%y").order == "ymd"


def test_text_is_normalised_before_keys_are_built():
    filler = "".join(f"F{i},2025-04-01,Filler row to pass the first 4 KB,10,NGN\n" for i in range(100))
    res = load("order_id,date,product,amount,currency\n" + filler
               + "A\u200b1,2025-04-01,Pa\x00gne,10,NGN\nA1,2025-04-01,Pagne,10,NGN\n")
    # the zero-width space and the NUL are gone: both rows are one order, flagged as a repeat
    assert (res.rows_loaded, res.rows_flagged) == (100, 2)
    parsed = warehouse(res.region).rows("SELECT parsed->>'order_id', parsed->>'product' FROM flagged_rows")
    assert set(parsed) == {("A1", "Pa gne"), ("A1", "Pagne")}
    assert any("invisible or control characters" in a for a in res.assumptions)  # and the report says so


def test_a_json_record_with_a_huge_text_is_refused_in_words():
    import json

    doc = json.dumps([{"order_id": "A1", "date": "2025-04-01", "product": "x" * (17 * 1024 * 1024),
                       "amount": "1", "currency": "NGN"}]).encode()
    res = ingest_file(OP, "ng-ada", "big.json", doc)
    assert res.status == "rejected" and "more than 16 MB" in res.message
    assert warehouse(res.region).one("SELECT count(*) FROM sales") == (0,)
