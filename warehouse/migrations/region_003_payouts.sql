-- Payouts: what each creator is owed, what was paid and what it cost (issue 4).
--
-- The ledger is the `ledger` view: sale-side entries derived from `sales` (so a sale is in
-- the ledger the moment it is loaded, traceable by sale_id and upload_id) plus the entries
-- payout runs write to `ledger_entries` (FX conversion, payout, rail fee, returns). A
-- creator's balance in a currency is sum(amount) over the view. Money is DECIMAL(18,4).
-- No function defaults (a region served over Quack cannot be attached with them): every
-- insert gives its timestamps.

CREATE TABLE payout_runs (
    run_id        VARCHAR PRIMARY KEY,     -- <region>:<as_of>:<n>
    as_of         DATE NOT NULL,
    run_by        VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    payouts_made  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE payouts (
    payout_id     VARCHAR PRIMARY KEY,     -- PO-<yyyymmdd>-<creator_id>
    run_id        VARCHAR NOT NULL,
    creator_id    VARCHAR NOT NULL,
    rail          VARCHAR NOT NULL,
    currency      VARCHAR NOT NULL,        -- payout currency
    due           DECIMAL(18,4) NOT NULL,  -- taken from the balance: amount + rail_fee
    rail_fee      DECIMAL(18,4) NOT NULL,  -- the rail's payout charge
    amount        DECIMAL(18,4) NOT NULL,  -- sent to the creator
    as_of         DATE NOT NULL,           -- payout date (the run's as-of date)
    status        VARCHAR NOT NULL,        -- scheduled | paid | failed | reversed
    reference     VARCHAR,                 -- the rail's transfer reference, once paid
    created_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (creator_id, as_of)             -- one payout per creator and date: runs are idempotent
);

-- Every status change of a payout, append-only.
CREATE TABLE payout_events (
    payout_id   VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,
    reference   VARCHAR,
    changed_by  VARCHAR NOT NULL,
    changed_at  TIMESTAMPTZ NOT NULL
);

-- Which sales each payout settled (a sale is settled by at most one live payout).
CREATE TABLE payout_items (
    payout_id  VARCHAR NOT NULL,
    sale_id    VARCHAR NOT NULL,
    upload_id  VARCHAR NOT NULL,
    currency   VARCHAR NOT NULL,
    amount     DECIMAL(18,4) NOT NULL      -- the sale's net - refunded, in its own currency
);

-- Entries written by payouts. kind: fx_out | fx_in | payout | rail_fee | payout_return | rail_fee_return
CREATE TABLE ledger_entries (
    entry_id          VARCHAR PRIMARY KEY,  -- <payout_id>:<kind>[:<currency>]
    creator_id        VARCHAR NOT NULL,
    currency          VARCHAR NOT NULL,
    kind              VARCHAR NOT NULL,
    amount            DECIMAL(18,4) NOT NULL,
    value_date        DATE NOT NULL,
    payout_id         VARCHAR NOT NULL,
    usd_rate          DECIMAL(18,10),       -- fx entries: USD per 1 unit of `currency` used
    usd_rate_date     DATE,                 -- the fx_rates date of that rate (NULL for USD itself)
    counter_currency  VARCHAR,              -- fx entries: the other side of the conversion
    note              VARCHAR NOT NULL,
    recorded_at       TIMESTAMPTZ NOT NULL
);

-- What each run decided for each creator, with the reason in words.
CREATE TABLE payout_decisions (
    run_id       VARCHAR NOT NULL,
    creator_id   VARCHAR NOT NULL,
    rail         VARCHAR,
    decision     VARCHAR NOT NULL,  -- scheduled | already_paid | not_payout_day | nothing_due | below_minimum | no_rail | rail_unavailable | no_fx_rate
    currency     VARCHAR,
    amount       DECIMAL(18,4),     -- due in the payout currency, when known
    minimum      DECIMAL(18,4),     -- the rail's minimum in the payout currency, when one applies
    next_payout  DATE,
    reason       VARCHAR NOT NULL,
    decided_at   TIMESTAMPTZ NOT NULL
);

CREATE VIEW ledger AS
SELECT sale_id || ':sale' AS entry_id, creator_id, currency, 'sale' AS kind, gross AS amount,
       sold_at, CAST(NULL AS DATE) AS value_date, sale_id, upload_id, CAST(NULL AS VARCHAR) AS payout_id,
       product AS note
FROM sales
UNION ALL
SELECT sale_id || ':platform_fee', creator_id, currency, 'platform_fee', -fees,
       sold_at, NULL, sale_id, upload_id, NULL, 'fee recorded by ' || source
FROM sales WHERE fees <> 0
UNION ALL
SELECT sale_id || ':adjustment', creator_id, currency, 'adjustment', net - gross + fees,
       sold_at, NULL, sale_id, upload_id, NULL, 'net differs from gross - fees in the export'
FROM sales WHERE net - gross + fees <> 0
UNION ALL
SELECT sale_id || ':refund', creator_id, currency, 'refund', -refunded,
       sold_at, NULL, sale_id, upload_id, NULL, product
FROM sales WHERE refunded <> 0
UNION ALL
SELECT e.entry_id, e.creator_id, e.currency, e.kind, e.amount,
       NULL, e.value_date, NULL, NULL, e.payout_id, e.note
FROM ledger_entries e;
