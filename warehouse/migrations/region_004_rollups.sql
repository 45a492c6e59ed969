-- Rollups for the managers' regions page: sales summed per upload, local day, source and
-- currency. Kept in step with `sales` by warehouse.queries.metrics.refresh_rollups(region),
-- which re-aggregates exactly the uploads whose sales count changed (new loads, approved
-- flagged rows, purges). Money stays exact and in the currency sold; USD is applied when read,
-- with the day's rate, so a new rates file needs no rebuild. No function defaults (a region
-- served over Quack cannot be attached with them): refresh_rollups gives every timestamp.

CREATE TABLE rollup_sales_daily (
    upload_id   VARCHAR NOT NULL,
    creator_id  VARCHAR NOT NULL,
    day         DATE NOT NULL,            -- local sale date in the region's time zone
    source      VARCHAR NOT NULL,
    currency    VARCHAR NOT NULL,
    sales       BIGINT NOT NULL,
    units       BIGINT NOT NULL,
    gross       DECIMAL(38,4) NOT NULL,
    fees        DECIMAL(38,4) NOT NULL,
    net         DECIMAL(38,4) NOT NULL,
    refunded    DECIMAL(38,4) NOT NULL
);

-- Which uploads the rollup holds, and how many sales of each it summed.
CREATE TABLE rollup_uploads (
    upload_id     VARCHAR PRIMARY KEY,
    sales         BIGINT NOT NULL,
    refreshed_at  TIMESTAMPTZ NOT NULL
);
