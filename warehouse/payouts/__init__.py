"""Payouts: the creator's ledger, payment-rail fees, payout runs and statements (issue 4).

- ``rails``: ``data/rails.toml`` validated into ``Rail`` objects (fees, hold, schedule, minimum).
- ``fees``: pure fee arithmetic and the rounding rule (half-up to the minor unit, per sale or
  per payout; parts always add up to the total).
- ``fx``: conversion at the latest ``fx_rates`` rate on or before a day, or ``FxRateMissing``.
- ``ledger``: the ``ledger`` view — sale-side entries from ``sales``, payout-side entries from
  runs — balances, entries, what is held and what is payable.
- ``runs``: ``run_payouts`` (idempotent), ``status``: ``mark_payout`` and history,
  ``outlook``: next payout and why, ``compare``: the rail comparison, ``statements``: monthly
  CSV and PDF, ``overview``: manager aggregates and the admin payout list, ``cli``: commands.

Every public function takes the acting ``Actor``: creators reach only their own payouts,
managers only aggregates, and only administrators run or mark payouts.
"""
