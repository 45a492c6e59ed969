"""Money is exact (invariant 5): DECIMAL columns, sums without drift, amounts in subunits
converted by the currency's ISO 4217 exponent, and an amount with more decimals than its
currency has is flagged — never rounded."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from warehouse.access import Actor
from warehouse.creators import add_creator
from warehouse.db import warehouse
from warehouse.ingest import ingest_file

OP = Actor.operator()
ISO_REASON = "an amount has more decimals than its currency has (ISO 4217) or is implausibly large"
HEADER = "order_id,date,product,quantity,amount,currency,buyer_country"


@pytest.fixture(autouse=True)
def creators(data_dir):
    add_creator(OP, "sn-awa", "SN", "Awa")  # west-africa
    add_creator(OP, "ug-ben", "UG", "Ben")  # east-africa


@pytest.mark.slow
def test_a_million_cents_sum_to_exactly_ten_thousand(tmp_path):
    assert sum([0.01] * 1_000_000) != 10000.0  # what a float column would give
    path = tmp_path / "cents.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("order_id,date,product,amount,currency\n")
        f.writelines(f"C-{i},2025-06-{1 + i % 28:02d},Sticker,0.01,USD\n" for i in range(1_000_000))
    res = ingest_file(OP, "sn-awa", "cents.csv", path)
    assert (res.status, res.rows_loaded, res.rows_flagged) == ("loaded", 1_000_000, 0)
    gross, net, n = warehouse("west-africa").one(
        "SELECT sum(gross), sum(net), count(*) FROM sales WHERE upload_id = ?", [res.upload_id]
    )
    assert (gross, net, n) == (Decimal("10000.00"), Decimal("10000.00"), 1_000_000)
    assert isinstance(gross, Decimal)


def test_money_columns_are_decimal_and_come_back_as_decimal():
    types = dict(
        warehouse("west-africa").rows(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'sales'"
            " AND column_name IN ('gross', 'fees', 'net', 'refunded')"
        )
    )
    assert types == dict.fromkeys(("gross", "fees", "net", "refunded"), "DECIMAL(18,4)")
    res = ingest_file(
        OP,
        "sn-awa",
        "one.csv",
        (HEADER + "\nD-1,2025-07-01,Mask,1,0.10,USD,SN\nD-2,2025-07-01,Mask,1,0.20,USD,SN\n").encode(),
    )
    assert res.rows_loaded == 2
    total, values = warehouse("west-africa").one("SELECT sum(gross), list(gross ORDER BY order_id) FROM sales")
    assert total == Decimal("0.30") and values == [Decimal("0.1"), Decimal("0.2")]
    assert all(isinstance(v, Decimal) for v in values)


def _flag_reasons(region: str, upload_id: str) -> dict[str, list[str]]:
    rows = warehouse(region).rows("SELECT raw, reasons FROM flagged_rows WHERE upload_id = ?", [upload_id])
    return {json.loads(raw)["order_id"]: reasons for raw, reasons in rows}


def test_xof_with_a_fraction_is_flagged_with_the_iso_reason_never_rounded():
    data = (
        HEADER + "\n"
        "X-1,2025-07-01,Boubou,1,1500.50,XOF,SN\n"  # XOF has no minor unit
        "X-2,2025-07-01,Boubou,1,1500.4,XOF,SN\n"
        "X-3,2025-07-01,Boubou,1,1500,XOF,SN\n"
        "X-4,2025-07-01,Boubou,1,2500.00,XOF,SN\n"  # zeros are not extra precision
        "X-5,2025-07-01,Pagne,1,10.005,NGN,NG\n"  # NGN has two decimals
        "X-6,2025-07-01,Pagne,1,10.50,NGN,NG\n"
    ).encode()
    res = ingest_file(OP, "sn-awa", "xof.csv", data)
    assert (res.rows_loaded, res.rows_flagged) == (3, 3)
    flags = _flag_reasons("west-africa", res.upload_id)
    assert flags == {"X-1": [ISO_REASON], "X-2": [ISO_REASON], "X-5": [ISO_REASON]}
    raw = json.loads(
        warehouse("west-africa").one(
            "SELECT raw FROM flagged_rows WHERE upload_id = ? AND row_number = 1", [res.upload_id]
        )[0]
    )
    assert raw["amount"] == "1500.50"  # kept as written
    assert warehouse("west-africa").rows("SELECT order_id, gross FROM sales ORDER BY order_id") == [
        ("X-3", Decimal(1500)),
        ("X-4", Decimal(2500)),
        ("X-6", Decimal("10.50")),
    ]
    ugx = ingest_file(
        OP,
        "ug-ben",
        "ugx.csv",
        (HEADER + "\nU-1,2025-07-01,Gomesi,1,25000.5,UGX,UG\nU-2,2025-07-01,Gomesi,1,25000,UGX,UG\n").encode(),
    )
    assert (ugx.rows_loaded, ugx.rows_flagged) == (1, 1)
    assert _flag_reasons("east-africa", ugx.upload_id) == {"U-1": [ISO_REASON]}


def test_amounts_beyond_what_the_warehouse_holds_are_flagged_not_rounded_or_crashing():
    data = (
        HEADER + "\n"
        "P-1,2025-07-01,Sample,1,0.0000001,USD,US\n"  # seven decimals
        "P-2,2025-07-01,Sample,1,12.345678,USD,US\n"  # six decimals, USD has two
        "P-3,2025-07-01,Sample,1,99999999999999.99,USD,US\n"  # fourteen integer digits
        'P-4,2025-07-01,Sample,1,"1,234,567.89",USD,US\n'
    ).encode()
    res = ingest_file(OP, "sn-awa", "precise.csv", data)
    assert res.status == "loaded"
    assert (res.rows_loaded, res.rows_flagged) == (1, 3)
    flags = _flag_reasons("west-africa", res.upload_id)
    assert set(flags) == {"P-1", "P-2", "P-3"}
    assert flags["P-2"] == [ISO_REASON]
    assert warehouse("west-africa").rows("SELECT gross FROM sales") == [(Decimal("1234567.89"),)]
    # nothing was quietly rounded into the warehouse
    assert warehouse("west-africa").one("SELECT count(*) FROM sales WHERE gross IN (0, 12.35, 12.34)")[0] == 0


def test_paystack_subunits_convert_exactly_by_currency_exponent():
    lines = ["reference,amount,currency,status,paid_at,fees,channel"]
    # NGN kobo (exponent 2), GHS pesewas (2), XOF (exponent 0: the subunit is the unit)
    lines += [f"ps-{i},{150050 + i},NGN,success,2025-05-01T10:00:05.000Z,2251,card" for i in range(1000)]
    lines += [
        "gh-1,1,GHS,success,2025-05-02T09:00:00.000Z,0,mobile_money",
        "xo-1,1500,XOF,success,2025-05-03T09:00:00.000Z,23,card",
        "fa-1,999999,NGN,failed,2025-05-03T09:00:00.000Z,0,card",
    ]
    res = ingest_file(OP, "sn-awa", "paystack.csv", ("\n".join(lines) + "\n").encode())
    assert res.profile == "paystack"
    assert (res.rows_total, res.rows_loaded, res.rows_flagged, res.rows_skipped) == (1003, 1002, 0, 1)
    wh = warehouse("west-africa")
    assert wh.one("SELECT gross, fees, net FROM sales WHERE order_id = 'ps-0'") == (
        Decimal("1500.50"),
        Decimal("22.51"),
        Decimal("1477.99"),
    )
    # sum of (150050 + i) kobo for i < 1000 = 150,549,500 kobo
    assert wh.one("SELECT sum(gross), sum(fees) FROM sales WHERE currency = 'NGN'") == (
        Decimal("1505495.00"),
        Decimal("225.10") * 100,
    )
    assert wh.one("SELECT gross FROM sales WHERE order_id = 'gh-1'") == (Decimal("0.01"),)
    assert wh.one("SELECT gross, fees, net FROM sales WHERE order_id = 'xo-1'") == (
        Decimal(1500),
        Decimal(23),
        Decimal(1477),
    )
