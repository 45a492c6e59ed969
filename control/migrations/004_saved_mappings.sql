-- Column mappings a person made on the upload page (control/mappings.py stores them,
-- warehouse/ingest/mappings.py decides what they mean). Each belongs to one creator and is tried
-- only for that creator's files; an administrator may share one as a profile for everyone. A
-- row that no longer makes sense (a column renamed since) is skipped with a logged reason.

CREATE TABLE saved_mappings (
    creator_id  VARCHAR(64) NOT NULL,
    name        VARCHAR(41) NOT NULL,            -- lowercase letters, digits, - or _ (checked before saving)
    base        VARCHAR(41) NOT NULL,            -- the profile it completes (usually generic)
    layout      TEXT NOT NULL,                   -- JSON list: every header of the file it was made on
    columns     TEXT NOT NULL,                   -- JSON object: canonical column -> header, what the person chose
    constants   TEXT NOT NULL DEFAULT '{}',      -- JSON object: canonical column -> value for every row
    saved_by    VARCHAR(254),
    saved_at    DOUBLE PRECISION NOT NULL,
    shared_as   VARCHAR(41),                     -- the shared profile an administrator made of it, if any
    PRIMARY KEY (creator_id, name)
);
