-- The reviewers' audit trail (warehouse/review.py). Append-only: the code only ever INSERTs
-- here (tests/test_review.py holds it to that); the status on flagged_rows is the current
-- state, this table is how it got there. No function defaults (a region served over Quack
-- cannot be attached with them): the code supplies audit_id and decided_at.

CREATE TABLE review_audit (
    audit_id    VARCHAR PRIMARY KEY,   -- <nanoseconds since 1970, 20 digits>-<random>: sorts in time order
    flag_id     VARCHAR NOT NULL,
    upload_id   VARCHAR NOT NULL,
    creator_id  VARCHAR NOT NULL,
    decision    VARCHAR NOT NULL,      -- approved | rejected
    decided_by  VARCHAR NOT NULL,      -- the reviewer's account (email)
    decided_at  TIMESTAMPTZ NOT NULL,
    note        VARCHAR,
    fixes       JSON,                  -- canonical column -> value the reviewer typed (approvals)
    sale_id     VARCHAR                -- the sale an approval loaded
);
