-- Undoing an upload (issue 21). An undone upload keeps its record (and its landing file) with
-- status 'undone' and who undid it, when and why; its sales, flagged and skipped rows are gone.
-- The same file can then be uploaded again: duplicate detection looks at loaded uploads only.
-- `upload_undos` is the undo's audit trail, append-only like review_audit: what was removed,
-- and the payouts whose sales it reversed. No function defaults (see region_001).
ALTER TABLE uploads ADD COLUMN undone_by VARCHAR;
ALTER TABLE uploads ADD COLUMN undone_at TIMESTAMPTZ;
ALTER TABLE uploads ADD COLUMN undone_reason VARCHAR;

CREATE TABLE upload_undos (
    upload_id         VARCHAR PRIMARY KEY,
    creator_id        VARCHAR NOT NULL,
    file_name         VARCHAR NOT NULL,
    undone_by         VARCHAR NOT NULL,
    undone_at         TIMESTAMPTZ NOT NULL,
    reason            VARCHAR NOT NULL,
    sales_removed     BIGINT NOT NULL,
    flagged_removed   BIGINT NOT NULL,
    skipped_removed   BIGINT NOT NULL,
    amounts           JSON NOT NULL,     -- currency -> gross of the sales removed (exact, as text)
    reversed_payouts  VARCHAR[] NOT NULL -- payouts whose settled sales were reversed in the ledger
);
