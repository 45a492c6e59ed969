"""Fees of every rail in data/rails.toml against hand-computed cases, and rails.toml validation."""

from __future__ import annotations

import re
from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warehouse.errors import ConfigError
from warehouse.money import quantum
from warehouse.payouts.fees import Tariff, choose_tariff, fee_for, round_money
from warehouse.payouts.rails import parse_rails, rail_book
from warehouse.settings import PROJECT_ROOT

RAILS_TOML = PROJECT_ROOT / "data" / "rails.toml"


def sale_fee(rail: str, amount: str, currency: str, domestic: bool = True, channel: str | None = None):
    r = rail_book().get(rail)
    tariff = choose_tariff(r.sale_fee, currency, domestic, channel)
    assert tariff is not None, f"{rail} has no {currency} tariff"
    return fee_for(tariff, D(amount), currency)


def payout_fee(rail: str, amount: str, currency: str):
    r = rail_book().get(rail)
    tariff = choose_tariff(r.payout_fee, currency, True, None)
    assert tariff is not None
    return fee_for(tariff, D(amount), currency)


# rail, amount, currency, domestic buyer, channel, expected fee — each worked by hand below.
CASES = [
    # Gumroad 10% + $0.50 plus 2.9% + $0.30 processing: 20 × 12.9% = 2.58, + 0.80
    ("gumroad", "20.00", "USD", True, None, "3.38"),
    # Gumroad Discover 30%: 20 × 30% = 6.00, no fixed part
    ("gumroad", "20.00", "USD", True, "Discover", "6.00"),
    # Payhip 5% + ~2.9% + $0.30: 10 × 7.9% = 0.79, + 0.30
    ("payhip", "10.00", "USD", True, None, "1.09"),
    # Selar NGN 4% + ₦50: 400 + 50
    ("selar", "10000.00", "NGN", True, None, "450.00"),
    # Selar GHS 5% + GH¢1: 5 + 1
    ("selar", "100.00", "GHS", True, None, "6.00"),
    # Selar KES 5% + KSh20: 50 + 20
    ("selar", "1000.00", "KES", True, None, "70.00"),
    # Selar USD 10% + 50¢: 9.99 × 10% = 0.999 -> 1.00 (half-up), + 0.50
    ("selar", "9.99", "USD", True, None, "1.50"),
    # Lemon Squeezy 5% + 50¢ for a US buyer: 0.50 + 0.50
    ("lemonsqueezy", "10.00", "USD", True, None, "1.00"),
    # ... + 1.5% international: 10 × 6.5% = 0.65, + 0.50
    ("lemonsqueezy", "10.00", "USD", False, None, "1.15"),
    # ... + 1.5% PayPal, international: 10 × 8% = 0.80, + 0.50
    ("lemonsqueezy", "10.00", "USD", False, "PayPal", "1.30"),
    # Paystack NG 1.5% + ₦100, ₦100 waived under ₦2,500: 2,000 × 1.5% = 30
    ("paystack", "2000.00", "NGN", True, None, "30.00"),
    # at ₦2,500 the ₦100 applies: 37.50 + 100
    ("paystack", "2500.00", "NGN", True, None, "137.50"),
    # capped at ₦2,000: 200,000 × 1.5% = 3,000 + 100 = 3,100 -> 2,000
    ("paystack", "200000.00", "NGN", True, None, "2000.00"),
    # international 3.9% + ₦100, no cap: 200,000 × 3.9% = 7,800 + 100
    ("paystack", "200000.00", "NGN", False, None, "7900.00"),
    # GH 1.95%: 100 × 1.95% = 1.95
    ("paystack", "100.00", "GHS", True, None, "1.95"),
    # KE M-Pesa 1.5% / card 2.9%
    ("paystack", "1000.00", "KES", True, "M-Pesa", "15.00"),
    ("paystack", "1000.00", "KES", True, "card", "29.00"),
    # CI mobile money 1.95% in XOF (no minor unit): 1,234 × 1.95% = 24.063 -> 24
    ("paystack", "1234", "XOF", True, None, "24"),
    # Flutterwave 1.4% + 7.5% VAT on the fee, no stamp duty at exactly ₦10,000: 140 + 10.50
    ("flutterwave", "10000.00", "NGN", True, None, "150.50"),
    # over ₦10,000 the ₦50 stamp duty applies: 140.00 + 10.50 + 50
    ("flutterwave", "10000.01", "NGN", True, None, "200.50"),
    # capped at ₦2,000 before VAT: 2,000 + 150 VAT + 50 stamp duty
    ("flutterwave", "200000.00", "NGN", True, None, "2200.00"),
    # PayPal ~2.9% + $0.30: 0.29 + 0.30
    ("paypal", "10.00", "USD", True, None, "0.59"),
    # M-Pesa till: free up to KES 200
    ("mpesa", "200.00", "KES", True, None, "0.00"),
    # 0.5% over KES 200: 201 × 0.5% = 1.005 -> 1.01 (half-up)
    ("mpesa", "201.00", "KES", True, None, "1.01"),
    # capped at KES 200: 100,000 × 0.5% = 500 -> 200
    ("mpesa", "100000.00", "KES", True, None, "200.00"),
    # Wave ~1% in XOF: 1,234 -> 12.34 -> 12; 1,250 -> 12.5 -> 13 (half-up, zero decimals)
    ("wave", "1234", "XOF", True, None, "12"),
    ("wave", "1250", "XOF", True, None, "13"),
    # bKash: no receiving fee in formats.md (cash-out is the payout fee, below)
    ("bkash", "1000.00", "BDT", True, None, "0.00"),
    # Payoneer: programme assumption, receiving free
    ("payoneer", "100.00", "USD", True, None, "0.00"),
    # Bank transfer (programme assumption): ₦50 levy over ₦10,000 only
    ("bank_transfer", "10000.00", "NGN", True, None, "0.00"),
    ("bank_transfer", "10001.00", "NGN", True, None, "50.00"),
    # Generic mobile money 1% (programme assumption), any currency: UGX 1,050 -> 10.5 -> 11
    ("mobile_money", "1050", "UGX", True, None, "11"),
]


@pytest.mark.parametrize(("rail", "amount", "currency", "domestic", "channel", "expected"), CASES)
def test_sale_fee_matches_hand_computed(rail, amount, currency, domestic, channel, expected):
    fee = sale_fee(rail, amount, currency, domestic, channel)
    assert fee.total == D(expected)
    assert fee.total.as_tuple().exponent >= -4
    assert fee.total == fee.total.quantize(quantum(currency))


@pytest.mark.parametrize(
    ("rail", "amount", "currency", "expected"),
    [
        ("lemonsqueezy", "100.00", "USD", "5.00"),  # Stripe 2.5% + $2.50 outside the US
        ("bkash", "1000.00", "BDT", "18.50"),  # cash-out 1.85%
        ("payoneer", "123.45", "USD", "2.47"),  # 2% of 123.45 = 2.469 -> 2.47
        ("mobile_money", "100.00", "GHS", "1.50"),  # cash-out 1.5% (assumption)
        ("mobile_money", "1001", "XOF", "15"),  # 15.015 -> 15
    ],
)
def test_payout_fee_matches_hand_computed(rail, amount, currency, expected):
    assert payout_fee(rail, amount, currency).total == D(expected)


def test_every_rail_has_a_hand_computed_case():
    covered = {c[0] for c in CASES}
    assert covered == set(rail_book().rails)


def test_cap_breakdown_adds_up():
    fee = sale_fee("paystack", "200000.00", "NGN")
    assert (fee.percent_part, fee.fixed_part, fee.cap_reduction) == (D("3000.00"), D("100"), D("-1100.00"))
    fee = sale_fee("flutterwave", "200000.00", "NGN")
    assert (fee.vat, fee.stamp_duty) == (D("150.00"), D("50"))
    assert fee.percent_part + fee.fixed_part + fee.cap_reduction + fee.vat + fee.stamp_duty == fee.total


@given(
    amount=st.integers(min_value=0, max_value=10**12),
    currency=st.sampled_from(["NGN", "XOF", "KWD", "USD", "UGX"]),
    percent=st.decimals(min_value=0, max_value=40, places=3),
    vat=st.decimals(min_value=0, max_value=20, places=2),
    cap=st.one_of(st.none(), st.integers(min_value=0, max_value=10**6)),
)
def test_fee_parts_always_add_up_and_are_whole_minor_units(amount, currency, percent, vat, cap):
    q = quantum(currency)
    value = D(amount) * q
    t = Tariff(currency, percent=percent, fixed=D(5), vat_percent=vat, cap=None if cap is None else D(cap))
    fee = fee_for(t, value, currency)
    parts = [fee.percent_part, fee.fixed_part, fee.cap_reduction, fee.vat, fee.stamp_duty]
    assert sum(parts) == fee.total
    assert all(p == p.quantize(q) for p in parts)
    if cap is not None:
        assert fee.percent_part + fee.fixed_part + fee.cap_reduction <= D(cap)
    assert fee.total >= 0


def test_round_money_is_half_up():
    assert round_money(D("2.345"), "NGN") == D("2.35")
    assert round_money(D("2.344999"), "NGN") == D("2.34")
    assert round_money(D("12.5"), "XOF") == D("13")
    assert round_money(D("1.0005"), "KWD") == D("1.001")


def test_every_tariff_says_where_its_figures_come_from():
    text = RAILS_TOML.read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=\[)", text)
    for block in blocks:
        if block.startswith(("[rail.", "[[rail.")):
            assert "formats.md" in block or "programme assumption" in block, block.splitlines()[0]


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "rails.toml"
    p.write_text(body, encoding="utf-8")
    return p


BASE = """
[rail.x]
name = "X"
custodial = false
countries = ["NG"]
payout_currencies = ["NGN"]
hold_days = 0
schedule = "instant"
"""


def test_unknown_key_is_rejected_with_file_line_and_key(tmp_path):
    p = _write(tmp_path, BASE + "holdays = 3\n")
    with pytest.raises(ConfigError) as err:
        parse_rails(p)
    assert f"{p}:9" in str(err.value) and "'holdays'" in str(err.value)


def test_unknown_tariff_key_is_rejected(tmp_path):
    p = _write(tmp_path, BASE + '[[rail.x.sale_fee]]\ncurrency = "NGN"\npercnt = "1"\n')
    with pytest.raises(ConfigError, match="percnt"):
        parse_rails(p)


def test_float_money_is_rejected(tmp_path):
    p = _write(tmp_path, BASE + '[[rail.x.sale_fee]]\ncurrency = "NGN"\npercent = 1.5\n')
    with pytest.raises(ConfigError, match="exact decimal"):
        parse_rails(p)


def test_fixed_fee_with_too_many_decimals_for_xof_is_rejected(tmp_path):
    p = _write(tmp_path, BASE + '[[rail.x.sale_fee]]\ncurrency = "XOF"\nfixed = "0.5"\n')
    with pytest.raises(ConfigError, match="more decimals"):
        parse_rails(p)


def test_unknown_schedule_is_rejected(tmp_path):
    p = _write(tmp_path, BASE.replace('"instant"', '"monthly"'))
    with pytest.raises(ConfigError, match="schedule"):
        parse_rails(p)
