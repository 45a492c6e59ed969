"""Formatting shared by every page: money with ISO 4217 exponents, and user text made inert."""

from __future__ import annotations

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
