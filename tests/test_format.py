"""Formatting shared by every page: money with ISO 4217 exponents, and user text made inert."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from app.format import age, day, money, number, percent, plain


def test_money_uses_the_currency_exponent_not_the_locale_default():
    assert money(Decimal("1500"), "XOF", "fr_SN") == "1\u202f500\u00a0F\u202fCFA"
    assert money(Decimal("1234.5"), "NGN", "en_NG") == "₦1,234.50"
    assert money(Decimal("1.5"), "KWD", "en") == "KWD1.500"
    assert money(Decimal("250000"), "UGX", "en_KE") == "UGX250,000"
    assert money(None, "NGN") == ""
    assert money(Decimal("12"), "ZZZ") == "12 ZZZ"


def test_numbers_percentages_dates_and_ages_follow_the_locale():
    assert number(1234567, "en") == "1,234,567"
    assert number(Decimal("2.5"), "en", decimals=2) == "2.50"
    assert percent(0.875, "en") == "87.5%"
    assert day(datetime(2024, 5, 1, tzinfo=UTC), "en") == "May 1, 2024"
    now = datetime(2024, 5, 4, tzinfo=UTC)
    assert age(now - timedelta(days=3), "en", now=now) == "3 days"


def test_plain_text_cannot_become_markup_links_or_directives():
    for text in ("<img src=x onerror=alert(1)>", "[x](javascript:alert(1))", ":red[x] $x$ **b**"):
        escaped = plain(text)
        for special in "<[(*$:":
            assert f"\\{special}" in escaped or special not in text
    assert "\u2060" in plain("www.example.org") and "\u2060" in plain("a@b.org")
    assert "\u2060" in plain("see https://example.org")


def test_one_date_formatter_writes_dates_in_the_readers_locale_never_iso():
    from datetime import date

    from app.format import month, when

    moment = datetime(2026, 12, 7, 18, 17, 59, tzinfo=UTC)
    assert when(moment, "en").startswith("Dec 7, 2026")
    assert when(moment, "fr_SN") == "7 déc. 2026, 18:17"
    assert when(date(2026, 12, 2), "bn_BD") == "২ ডিসে, ২০২৬"
    assert month(date(2026, 12, 1), "fr_SN") == "déc. 2026"
    for value in (moment, date(2026, 12, 2), "2026-12-07 18:17:59+00:00"):
        for loc in ("en", "fr_SN", "bn_BD", "ur_PK"):
            assert not re.search(r"\d{4}-\d\d", when(value, loc))
    assert when(None) == "" and when(float("nan")) == ""


def test_tables_for_people_have_no_none_and_no_iso_dates():
    import pandas as pd

    from app.format import for_people

    df = pd.DataFrame({"at": [datetime(2026, 12, 7, tzinfo=UTC), None], "note": [None, "x"], "n": [1.5, None]})
    shown = for_people(df, "fr_SN")
    cells = [str(v) for v in shown.to_numpy().ravel()]
    assert "None" not in cells and "nan" not in cells and "NaT" not in cells
    assert shown["at"][0] == "7 déc. 2026, 00:00"


def test_sources_are_named_as_their_makers_name_them():
    from app.format import source_name

    assert source_name("shopify", "Flutterwave") == "Shopify · Flutterwave"
    assert source_name("generic", "unknown") == "own sales file"
    assert source_name("lemonsqueezy") == "Lemon Squeezy"
    assert "unknown" not in source_name("stripe", "unknown")


def test_chart_axes_and_hover_are_written_in_the_readers_locale():
    from datetime import date

    import pandas as pd

    from app import charts

    df = pd.DataFrame({"period": [date(2026, 9, 6), date(2026, 9, 20), date(2026, 11, 29)],
                       "gross_usd": [1200.5, 15000.0, 30000.25]})
    bn = charts.over_time(df, "period", ["gross_usd"], ["Gross"], locale="bn_BD")
    labels = [*bn.layout.xaxis.ticktext, *bn.layout.yaxis.ticktext, *(c for row in bn.data[0].customdata for c in row)]
    assert labels and not any(ch in "0123456789" for text in labels for ch in text)  # Bengali digits only
    assert not any("Sep" in t for t in labels)
    fr = charts.over_time(df, "period", ["gross_usd"], ["Gross"], locale="fr_SN")
    assert fr.layout.xaxis.ticktext[0] == "6 sept. 2026"
    table = charts.data_table(df, {"period": "Période", "gross_usd": "Brut (USD)"}, "fr_SN", dates=["period"],
                              usd=["gross_usd"])
    assert list(table.columns) == ["Période", "Brut (USD)"] and table.iloc[0, 0] == "6 sept. 2026"
    assert "1\u202f200,50" in table.iloc[0, 1]
