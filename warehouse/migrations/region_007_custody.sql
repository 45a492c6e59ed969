-- Who holds each sale's money (issue 16, DESIGN.md invariant 10). The programme pays only money
-- it holds: the ledger (and so balances, payout runs, statements and the managers' figures) is
-- built from `programme_sales`, the sales whose source the programme holds (`source_custody`,
-- kept in step with rails.toml's [custody.*] by warehouse/schema.py each time the warehouse is
-- opened) and whose upload is not held for a reviewer (`payout_holds`). A source missing from
-- `source_custody` is not held by the programme.

CREATE TABLE source_custody (
    source  VARCHAR PRIMARY KEY,     -- sales.source
    holds   VARCHAR NOT NULL         -- own_account | platform | programme
);

-- The guard rails' decision on each upload of programme-held money (warehouse/payouts/guard.py):
-- held for a reviewer, then released or refused; or clear. An upload without a decision (the
-- process died between its load and the check) is checked by the next payout run before it pays.
CREATE TABLE payout_holds (
    upload_id    VARCHAR PRIMARY KEY,
    creator_id   VARCHAR NOT NULL,
    reasons      VARCHAR[] NOT NULL,   -- in words (English; translated where shown)
    currency     VARCHAR,              -- the currency of the largest amount it adds
    amount       DECIMAL(18,4),        -- what it would add to what the programme owes, in that currency
    status       VARCHAR NOT NULL,     -- held | released | refused | clear (checked, nothing unusual)
    held_at      TIMESTAMPTZ NOT NULL,
    reviewed_by  VARCHAR,
    reviewed_at  TIMESTAMPTZ,
    note         VARCHAR
);

CREATE VIEW programme_sales AS
SELECT s.* FROM sales s
WHERE s.source IN (SELECT source FROM source_custody WHERE holds = 'programme')
  AND s.upload_id NOT IN (SELECT upload_id FROM payout_holds WHERE status IN ('held', 'refused'));

CREATE OR REPLACE VIEW ledger AS
SELECT sale_id || ':sale' AS entry_id, creator_id, currency, 'sale' AS kind, gross AS amount,
       sold_at, CAST(NULL AS DATE) AS value_date, sale_id, upload_id, CAST(NULL AS VARCHAR) AS payout_id,
       product AS note
FROM programme_sales
UNION ALL
SELECT sale_id || ':platform_fee', creator_id, coalesce(fee_currency, currency), 'platform_fee', -fees,
       sold_at, NULL, sale_id, upload_id, NULL, 'fee recorded by ' || source
FROM programme_sales WHERE fees <> 0
UNION ALL
SELECT sale_id || ':adjustment', creator_id, currency, 'adjustment', net - gross + fees,
       sold_at, NULL, sale_id, upload_id, NULL, 'net differs from gross - fees in the export'
FROM programme_sales WHERE fee_currency IS NULL AND net - gross + fees <> 0
UNION ALL
SELECT sale_id || ':refund', creator_id, currency, 'refund', -refunded,
       sold_at, NULL, sale_id, upload_id, NULL, product
FROM programme_sales WHERE refunded <> 0
UNION ALL
SELECT e.entry_id, e.creator_id, e.currency, e.kind, e.amount,
       NULL, e.value_date, NULL, NULL, e.payout_id, e.note
FROM ledger_entries e;
