-- Fees an export states in another currency than the sale (Stripe's fee is in the account's
-- settlement currency) are kept in that currency: `fee_currency` names it (NULL: the sale's own),
-- and `net` is NULL then, because gross less fees in two currencies is no amount at all.
-- `account` is the creator's account an export belongs to (NULL when the export does not say):
-- part of a sale's natural key, so two accounts whose receipt numbers repeat never collide.
ALTER TABLE sales ADD COLUMN fee_currency VARCHAR;
ALTER TABLE sales ADD COLUMN account VARCHAR;
ALTER TABLE sales ALTER COLUMN net DROP NOT NULL;

CREATE OR REPLACE VIEW ledger AS
SELECT sale_id || ':sale' AS entry_id, creator_id, currency, 'sale' AS kind, gross AS amount,
       sold_at, CAST(NULL AS DATE) AS value_date, sale_id, upload_id, CAST(NULL AS VARCHAR) AS payout_id,
       product AS note
FROM sales
UNION ALL
SELECT sale_id || ':platform_fee', creator_id, coalesce(fee_currency, currency), 'platform_fee', -fees,
       sold_at, NULL, sale_id, upload_id, NULL, 'fee recorded by ' || source
FROM sales WHERE fees <> 0
UNION ALL
SELECT sale_id || ':adjustment', creator_id, currency, 'adjustment', net - gross + fees,
       sold_at, NULL, sale_id, upload_id, NULL, 'net differs from gross - fees in the export'
FROM sales WHERE fee_currency IS NULL AND net - gross + fees <> 0
UNION ALL
SELECT sale_id || ':refund', creator_id, currency, 'refund', -refunded,
       sold_at, NULL, sale_id, upload_id, NULL, product
FROM sales WHERE refunded <> 0
UNION ALL
SELECT e.entry_id, e.creator_id, e.currency, e.kind, e.amount,
       NULL, e.value_date, NULL, NULL, e.payout_id, e.note
FROM ledger_entries e;
