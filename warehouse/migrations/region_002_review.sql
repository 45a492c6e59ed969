-- The reviewers' audit trail (warehouse/review.py). Append-only: the code only ever INSERTs
-- here (tests/test_review.py holds it to that); the status on flagged_rows is the current
-- state, this table is how it got there.

CREATE SEQUENCE review_audit_seq START 1;

CREATE TABLE review_audit (
    audit_id    BIGINT PRIMARY KEY DEFAULT nextval('review_audit_seq'),
    flag_id     VARCHAR NOT NULL,
    upload_id   VARCHAR NOT NULL,
    creator_id  VARCHAR NOT NULL,
    decision    VARCHAR NOT NULL,      -- approved | rejected
    decided_by  VARCHAR NOT NULL,      -- the reviewer's account (email)
    decided_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    note        VARCHAR,
    fixes       JSON,                  -- canonical column -> value the reviewer typed (approvals)
    sale_id     VARCHAR                -- the sale an approval loaded
);
