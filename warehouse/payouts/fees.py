"""Pure fee arithmetic for one sale or one payout under one tariff. No I/O, no FX.

Rounding rule (the one rule everywhere in payouts): every fee *component* — the percentage
part, the VAT on the fee — is rounded **half-up to the currency's minor unit** (ISO 4217
exponent: NGN 0.01, XOF 1) once, for each sale or each payout, never on a running sum. Fixed
parts, caps, thresholds and levies are exact amounts already (``rails.py`` rejects a fixed fee
with more decimals than its currency has). The fee is the exact sum of its rounded parts, so
``percent_part + fixed_part + cap_reduction + vat + stamp_duty == total`` always holds and no
cent appears or disappears between the breakdown and the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from warehouse.money import quantum

ZERO = Decimal(0)
HUNDRED = Decimal(100)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half-up to ``currency``'s minor unit (2.345 NGN -> 2.35; 12.5 XOF -> 13)."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Tariff:
    """One price line of a rail, in ``currency`` ("*" = any currency, percentages only)."""

    currency: str
    percent: Decimal = ZERO
    fixed: Decimal = ZERO
    fixed_waived_below: Decimal | None = None
    cap: Decimal | None = None
    free_up_to: Decimal | None = None
    vat_percent: Decimal = ZERO
    stamp_duty: Decimal = ZERO
    stamp_duty_over: Decimal | None = None
    buyers: str = "any"  # any | domestic | international
    channel: str | None = None  # lower-case text that must occur in the sale's channel
    note: str = ""

    def matches(self, currency: str, domestic: bool, channel: str | None) -> bool:
        """Whether this line prices a sale in ``currency`` from a (non-)domestic buyer via ``channel``."""
        if self.currency not in ("*", currency):
            return False
        if self.buyers == "domestic" and not domestic:
            return False
        if self.buyers == "international" and domestic:
            return False
        return not (self.channel and self.channel not in (channel or "").lower())


@dataclass(frozen=True)
class Fee:
    """A fee and its parts, all in ``currency``; ``total`` is the exact sum of the parts."""

    currency: str
    base_amount: Decimal  # what the fee was charged on
    percent_part: Decimal = ZERO
    fixed_part: Decimal = ZERO
    cap_reduction: Decimal = ZERO  # zero or negative: what the cap took off percent + fixed
    vat: Decimal = ZERO
    stamp_duty: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.percent_part + self.fixed_part + self.cap_reduction + self.vat + self.stamp_duty

    def __add__(self, other: Fee) -> Fee:
        if other.currency != self.currency:
            raise ValueError(f"cannot add a {other.currency} fee to a {self.currency} fee")
        return Fee(
            self.currency,
            self.base_amount + other.base_amount,
            self.percent_part + other.percent_part,
            self.fixed_part + other.fixed_part,
            self.cap_reduction + other.cap_reduction,
            self.vat + other.vat,
            self.stamp_duty + other.stamp_duty,
        )


def no_fee(currency: str, amount: Decimal = ZERO) -> Fee:
    return Fee(currency, amount)


def fee_for(tariff: Tariff, amount: Decimal, currency: str) -> Fee:
    """The fee ``tariff`` charges on ``amount`` of ``currency`` (a sale's gross or a payout).

    In order: nothing at or below ``free_up_to``; the percentage part (rounded half-up); the
    fixed part unless the amount is below ``fixed_waived_below``; ``cap`` limits percent + fixed;
    VAT on that (rounded half-up); a flat ``stamp_duty`` when the amount is above
    ``stamp_duty_over``. Raises ValueError for a tariff in another currency or a negative amount.
    """
    if tariff.currency not in ("*", currency):
        raise ValueError(f"a {tariff.currency} tariff cannot price {currency}")
    if amount < 0:
        raise ValueError("fees are charged on amounts of zero or more")
    if tariff.free_up_to is not None and amount <= tariff.free_up_to:
        return no_fee(currency, amount)
    percent_part = round_money(amount * tariff.percent / HUNDRED, currency)
    fixed_part = tariff.fixed
    if tariff.fixed_waived_below is not None and amount < tariff.fixed_waived_below:
        fixed_part = ZERO
    cap_reduction = ZERO
    if tariff.cap is not None and percent_part + fixed_part > tariff.cap:
        cap_reduction = tariff.cap - (percent_part + fixed_part)
    charged = percent_part + fixed_part + cap_reduction
    vat = round_money(charged * tariff.vat_percent / HUNDRED, currency)
    stamp = ZERO
    if tariff.stamp_duty and (tariff.stamp_duty_over is None or amount > tariff.stamp_duty_over):
        stamp = tariff.stamp_duty
    return Fee(currency, amount, percent_part, fixed_part, cap_reduction, vat, stamp)


def choose_tariff(tariffs: tuple[Tariff, ...], currency: str, domestic: bool, channel: str | None) -> Tariff | None:
    """The first tariff (file order) that prices ``currency`` for this buyer and channel, or None."""
    for t in tariffs:
        if t.matches(currency, domestic, channel):
            return t
    return None
