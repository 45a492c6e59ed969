"""Dated USD rates: demo seeding, CSV loading, and the latest rate on or before a date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from warehouse import fx
from warehouse.access import Actor
from warehouse.db import warehouse
from warehouse.errors import InvalidInput, PermissionDenied

ADMIN = Actor("root@x", "admin")
CREATOR = Actor("ada@x", "creator", creator_id="ng-ada")
WA = "west-africa"


def test_demo_rates_fill_every_day_for_every_currency_and_keep_existing_ones():
    n = fx.seed_demo_rates(WA, date(2025, 1, 1), date(2025, 1, 10))
    assert n == 10 * len(fx.DEMO_RATES)
    assert fx.seed_demo_rates(WA, date(2025, 1, 1), date(2025, 1, 10)) == 0
    fx.load_rates_csv(ADMIN, b"date,currency,usd_rate\n2025-01-05,NGN,0.0007\n", WA)
    fx.seed_demo_rates(WA, date(2025, 1, 1), date(2025, 1, 12))
    assert fx.usd_rate(ADMIN, WA, "NGN", date(2025, 1, 5)) == Decimal("0.0007")
    assert fx.usd_rate(ADMIN, WA, "NGN", date(2025, 1, 6)) == Decimal("0.00065")
    for code in ("NGN", "GHS", "XOF", "KES", "UGX", "PKR", "BDT", "EUR", "GBP", "USD"):
        assert fx.usd_rate(ADMIN, WA, code, date(2025, 1, 3)) > 0


def test_demo_rates_are_believable():
    per_usd = {c: 1 / r for c, r in fx.DEMO_RATES.items()}
    assert 1000 < per_usd["NGN"] < 2000
    assert 500 < per_usd["XOF"] < 700
    assert 100 < per_usd["KES"] < 160
    assert 3000 < per_usd["UGX"] < 4500
    assert 250 < per_usd["PKR"] < 300
    assert 100 < per_usd["BDT"] < 130
    assert fx.DEMO_RATES["USD"] == 1 and fx.DEMO_RATES["GBP"] > fx.DEMO_RATES["EUR"] > 1


def test_only_an_admin_seeds_or_loads_rates():
    with pytest.raises(PermissionDenied):
        fx.seed_demo_rates(WA, date(2025, 1, 1), date(2025, 1, 2), actor=CREATOR)
    with pytest.raises(PermissionDenied):
        fx.load_rates_csv(CREATOR, b"date,currency,usd_rate\n", WA)


def test_the_latest_rate_on_or_before_the_date_is_used():
    fx.load_rates_csv(ADMIN, "date,currency,usd_rate\n2025-01-01,NGN,0.00065\n2025-02-10,NGN,0.0006\n", WA)
    assert fx.usd_rate(CREATOR, WA, "NGN", date(2024, 12, 31)) is None
    assert fx.usd_rate(CREATOR, WA, "NGN", date(2025, 1, 1)) == Decimal("0.00065")
    assert fx.usd_rate(CREATOR, WA, "NGN", date(2025, 2, 9)) == Decimal("0.00065")
    assert fx.usd_rate(CREATOR, WA, "ngn", date(2025, 2, 10)) == Decimal("0.0006")
    assert fx.usd_rate(CREATOR, WA, "USD", date(1999, 1, 1)) == 1
    assert fx.to_usd(CREATOR, WA, Decimal("1500.50"), "NGN", date(2025, 3, 1)) == Decimal("0.900300")
    assert fx.to_usd(CREATOR, WA, Decimal("1"), "GHS", date(2025, 3, 1)) is None


def test_a_rates_csv_loads_into_every_region_and_replaces_a_days_rate():
    data = "\ufeffDate, Currency ,USD_rate\n2025-03-01,kes,0.0077\n2025-03-01,EUR,1.08\n\n"
    res = fx.load_rates_csv(ADMIN, data.encode("utf-8"))
    assert res.rows == 2 and set(res.loaded) == {"west-africa", "east-africa", "south-asia"}
    fx.load_rates_csv(ADMIN, b"date,currency,usd_rate\n2025-03-01,KES,0.0078\n", "east-africa")
    assert fx.usd_rate(ADMIN, "east-africa", "KES", date(2025, 3, 2)) == Decimal("0.0078")
    assert fx.usd_rate(ADMIN, "south-asia", "KES", date(2025, 3, 2)) == Decimal("0.0077")
    rows = warehouse("east-africa").rows("SELECT source FROM fx_rates WHERE currency = 'KES'")
    assert rows == [("csv",)]
    assert fx.rates_table(ADMIN, "east-africa")[0]["currency"] in ("EUR", "KES")


@pytest.mark.parametrize(("text", "message"), [
    ("day,currency,rate\n", "header"),
    ("date,currency,usd_rate\n2025-13-01,NGN,0.1\n", "line 2"),
    ("date,currency,usd_rate\n2025-01-01,NGN,0.1\n2025-01-02,XXX,0.1\n", "line 3.*ISO 4217"),
    ("date,currency,usd_rate\n2025-01-01,NGN,-0.1\n", "above 0"),
    ("date,currency,usd_rate\n2025-01-01,NGN,abc\n", "not a number"),
    ("date,currency,usd_rate\n2025-01-01,NGN\n", "3 values"),
])
def test_a_bad_rates_file_is_refused_whole_with_the_line(text, message):
    with pytest.raises(InvalidInput, match=message):
        fx.load_rates_csv(ADMIN, text, WA)
    assert warehouse(WA).one("SELECT count(*) FROM fx_rates") == (0,)


def test_rates_are_stored_to_ten_places():
    fx.load_rates_csv(ADMIN, "date,currency,usd_rate\n2025-01-01,UGX,0.000270270270270\n", WA)
    assert fx.usd_rate(ADMIN, WA, "UGX", date(2025, 1, 1)) == Decimal("0.0002702703")


def test_the_fx_command_loads_a_file(tmp_path, capsys):
    from warehouse.cli import Parser
    from warehouse.cli import fx as fx_cli

    parser = Parser(prog="kasuwa")
    fx_cli.register(parser.add_subparsers(dest="command", parser_class=Parser))
    f = tmp_path / "rates.csv"
    f.write_text("date,currency,usd_rate\n2025-01-01,NGN,0.00065\n")
    args = parser.parse_args(["fx", "load", str(f), "--region", WA])
    assert args.fn(args) == 0
    assert "west-africa: 1 rates loaded" in capsys.readouterr().out
