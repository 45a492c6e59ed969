"""Property: whatever the sales, refunds, run dates (repeated, out of order) and payout outcomes,
the ledger's entries sum to the balance, no sale is settled twice, and what was paid out
never exceeds what was due."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from payouts_support import OP, creator, rate, sale

from warehouse.db import warehouse
from warehouse.money import quantum
from warehouse.payouts.ledger import balances, entries
from warehouse.payouts.rails import get_rail
from warehouse.payouts.runs import run_payouts
from warehouse.payouts.statements import monthly_statement
from warehouse.payouts.status import mark_payout

START = date(2026, 3, 1)
_ids = itertools.count()

# rail, country, currency of sales: single-currency setups keep the arithmetic checkable;
# Gumroad adds a minimum, a hold and USD -> NGN conversion.
SETUPS = {
    "paystack": ("NG", "NGN"),
    "lemonsqueezy": ("KE", "USD"),
    "bkash": ("BD", "BDT"),
    "wave": ("SN", "XOF"),
    "gumroad": ("NG", "USD"),
}

sales_st = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=40),  # day offset
        st.integers(min_value=1, max_value=5_000_000),  # gross in minor units
        st.integers(min_value=0, max_value=100),  # fee as % of gross
        st.integers(min_value=0, max_value=100),  # refunded as % of gross
    ),
    min_size=1,
    max_size=12,
)
ops_st = st.lists(
    st.tuples(st.integers(min_value=0, max_value=50), st.sampled_from(["none", "paid", "failed", "reversed"])),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rail=st.sampled_from(sorted(SETUPS)), sales=sales_st, ops=ops_st)
def test_ledger_sums_to_balance_and_payouts_never_exceed_what_is_due(rail, sales, ops):
    country, currency = SETUPS[rail]
    cid = f"c{next(_ids)}"
    region = creator(cid, country, rail)
    if rail == "gumroad" and not warehouse(region).one("SELECT 1 FROM fx_rates WHERE currency = 'NGN'"):
        rate(region, START - timedelta(days=1), "NGN", "0.000625")  # 1,600 NGN per USD
    q = quantum(currency)
    nets = []
    for i, (offset, minor, fee_pct, refund_pct) in enumerate(sales):
        gross = D(minor) * q
        fees = (gross * fee_pct / 100).quantize(q)
        refunded = (gross * refund_pct / 100).quantize(q) if refund_pct > 70 else D(0)
        day = START + timedelta(days=offset)
        sale(region, cid, f"{cid}-{i}", day, str(gross), currency, fees=str(fees), refunded=str(refunded))
        nets.append((day, gross - fees - refunded))

    for offset, outcome in ops:
        on = START + timedelta(days=offset)
        for d in run_payouts(OP, region, on).decisions:
            if d.creator_id == cid and d.payout_id and d.decision == "scheduled" and outcome != "none":
                if outcome == "failed":
                    mark_payout(OP, d.payout_id, "failed", on=on)
                    continue
                mark_payout(OP, d.payout_id, "paid", f"REF-{d.payout_id}")
                if outcome == "reversed":
                    mark_payout(OP, d.payout_id, "reversed", on=on)

    wh = warehouse(region)
    # 1. the ledger's entries sum to the balance, per currency, and to a statement's closing
    listed = entries(OP, cid)
    bal = balances(OP, cid)
    for cur in {e["currency"] for e in listed}:
        assert sum(e["amount"] for e in listed if e["currency"] == cur) == bal[cur]
    last = max(e["day"] for e in listed)
    closing = monthly_statement(OP, cid, last.year, last.month).closing
    assert closing == bal

    # 2. every payout: amount + fee = due, nothing negative, whole minor units
    payouts = wh.rows(
        "SELECT payout_id, currency, due, rail_fee, amount, as_of, status FROM payouts WHERE creator_id = ?", [cid]
    )
    event(f"{rail}: payouts={len(payouts) > 0}, statuses={sorted({p[6] for p in payouts})}")
    for _pid, cur, due, fee, amount, _on, _status in payouts:
        assert amount + fee == due and amount > 0 and fee >= 0
        assert amount == amount.quantize(quantum(cur))

    # 3. no sale is settled by two live payouts
    twice = wh.one(
        "SELECT count(*) FROM (SELECT i.sale_id FROM payout_items i JOIN payouts p USING (payout_id)"
        " WHERE p.creator_id = ? AND p.status IN ('scheduled', 'paid') GROUP BY i.sale_id HAVING count(*) > 1)",
        [cid],
    )
    assert twice == (0,)

    # 4. paid out never exceeds what was due: live payouts (plus fees kept by reversals) fit in
    #    the sales that had become payable by the latest live payout, in the sales' currency
    live = [p for p in payouts if p[6] in ("scheduled", "paid")]
    if live and currency == live[0][1]:
        latest = max(p[5] for p in live)
        r = get_rail(rail)
        payable = sum((n for day, n in nets if r.paid_on(day, currency) <= latest), D(0))
        kept = sum((p[3] for p in payouts if p[6] == "reversed"), D(0))
        assert sum((p[2] for p in live), D(0)) + kept <= payable
        assert bal.get(currency, D(0)) == sum((n for _, n in nets), D(0)) - sum((p[2] for p in live), D(0)) - kept
    elif payouts:  # Gumroad: USD sales converted into NGN; never more USD than had become payable
        latest = max(p[5] for p in payouts)
        r = get_rail(rail)
        usd_out = -sum((e["amount"] for e in listed if e["kind"] == "fx_out"), D(0))
        assert usd_out <= sum((n for day, n in nets if r.paid_on(day, currency) <= latest), D(0))
