-- The documented interface of a region's warehouse: creators, uploads, sales, flagged and
-- skipped rows. Money is DECIMAL(18,4): four places hold every ISO 4217 exponent.
-- Region tables take no function defaults (current_timestamp, nextval): a region served over
-- Quack cannot be attached when a column has one. Inserts give every timestamp explicitly.

CREATE TABLE currencies (
    code      VARCHAR PRIMARY KEY,   -- ISO 4217
    exponent  INTEGER NOT NULL       -- minor-unit digits: NGN 2, XOF 0
);

CREATE TABLE creators (
    creator_id  VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    country     VARCHAR NOT NULL,    -- ISO 3166 alpha-2
    joined_at   TIMESTAMPTZ NOT NULL,
    rail        VARCHAR              -- preferred payout rail (see data/rails.toml)
);

CREATE TABLE uploads (
    upload_id     VARCHAR PRIMARY KEY,
    creator_id    VARCHAR NOT NULL,
    file_name     VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    size_bytes    BIGINT NOT NULL,
    landing_path  VARCHAR NOT NULL,  -- raw bytes, kept until an admin purges them
    profile       VARCHAR,
    source        VARCHAR,
    status        VARCHAR NOT NULL,  -- loaded | duplicate | rejected
    rows_total    BIGINT NOT NULL DEFAULT 0,
    rows_loaded   BIGINT NOT NULL DEFAULT 0,
    rows_flagged  BIGINT NOT NULL DEFAULT 0,
    rows_skipped  BIGINT NOT NULL DEFAULT 0,
    rows_known    BIGINT NOT NULL DEFAULT 0,  -- orders already loaded from an overlapping export
    received_at   TIMESTAMPTZ NOT NULL,
    loaded_at     TIMESTAMPTZ,              -- when the rows became queryable (commit time)
    message       VARCHAR NOT NULL DEFAULT '',
    uploaded_by   VARCHAR,
    assumptions   JSON,                     -- what the reader assumed (date order, number style, mapping)
    validation    JSON,                     -- the Great Expectations result, per expectation
    timings       JSON                      -- seconds per stage
);

CREATE TABLE sales (
    sale_id        VARCHAR NOT NULL,        -- <upload_id>:<row_number>
    creator_id     VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,        -- gumroad, etsy, stripe, generic, ...
    order_id       VARCHAR NOT NULL,
    line           INTEGER NOT NULL DEFAULT 1,
    product        VARCHAR NOT NULL,
    quantity       INTEGER NOT NULL,
    sold_at        TIMESTAMPTZ NOT NULL,
    currency       VARCHAR NOT NULL,        -- ISO 4217
    gross          DECIMAL(18,4) NOT NULL,
    fees           DECIMAL(18,4) NOT NULL,
    net            DECIMAL(18,4) NOT NULL,
    refunded       DECIMAL(18,4) NOT NULL,  -- amount refunded to the buyer (0 when none)
    buyer_country  VARCHAR,                 -- ISO 3166 alpha-2
    channel        VARCHAR,                 -- payment method or sales channel when the export says
    upload_id      VARCHAR NOT NULL,
    row_number     BIGINT NOT NULL,         -- data row in the uploaded file (1 = first data row)
    loaded_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE flagged_rows (
    flag_id      VARCHAR PRIMARY KEY,       -- <upload_id>:<row_number>
    upload_id    VARCHAR NOT NULL,
    creator_id   VARCHAR NOT NULL,
    row_number   BIGINT NOT NULL,
    raw          JSON NOT NULL,             -- original values, header -> text
    parsed       JSON,                      -- canonical values as read, for the reviewer
    reasons      VARCHAR[] NOT NULL,        -- in words
    rules        VARCHAR[] NOT NULL,        -- expectation types that failed
    status       VARCHAR NOT NULL DEFAULT 'pending',  -- pending | approved | rejected
    reviewed_by  VARCHAR,
    reviewed_at  TIMESTAMPTZ,
    note         VARCHAR,
    created_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE skipped_rows (
    upload_id   VARCHAR NOT NULL,
    row_number  BIGINT NOT NULL,
    reason      VARCHAR NOT NULL
);

-- Daily exchange rates: how many US dollars one unit of `currency` bought on `rate_date`.
CREATE TABLE fx_rates (
    rate_date  DATE NOT NULL,
    currency   VARCHAR NOT NULL,
    usd_rate   DECIMAL(18,10) NOT NULL,
    source     VARCHAR NOT NULL DEFAULT 'manual',
    PRIMARY KEY (rate_date, currency)
);
