-- Column mappings a person made on the upload page (warehouse/ingest/mappings.py). Each belongs
-- to one creator and is tried only for that creator's files; an administrator may share one as
-- a profile for everyone. One row per mapping: a row that no longer makes sense (a column
-- renamed since) is skipped with a logged reason and never stops the others from loading.

CREATE TABLE saved_mappings (
    creator_id  VARCHAR(64) NOT NULL,
    name        VARCHAR(41) NOT NULL,          -- lowercase letters, digits, - or _ (checked before saving)
    base        VARCHAR(41) NOT NULL,          -- the profile it completes (usually generic)
    layout      VARCHAR NOT NULL,              -- JSON list: every header of the file it was made on
    columns     VARCHAR NOT NULL,              -- JSON object: canonical column -> header, what the person chose
    constants   VARCHAR NOT NULL DEFAULT '{}', -- JSON object: canonical column -> value for every row (currency …)
    saved_by    VARCHAR(254),
    saved_at    TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    shared_as   VARCHAR(41),                   -- the shared profile an administrator made of it, if any
    PRIMARY KEY (creator_id, name)
);
