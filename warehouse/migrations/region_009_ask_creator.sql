-- Asking the creator (issue 21): a reviewer sends a flagged row back to the creator with a
-- question; the creator answers (a tap, or a corrected value); the row comes back to the queue.
-- A flagged row's status is now pending | asked | answered | approved | rejected: asked while it
-- waits for the creator, answered once they replied (the queue shows it with the pending rows),
-- approved or rejected when a reviewer decides. Each change is also a row of review_audit
-- (decision asked | answered | approved | rejected), so the row's history shows every step.
-- No function defaults (see region_001).
CREATE TABLE row_questions (
    question_id  VARCHAR PRIMARY KEY,  -- <nanoseconds, 20 digits>-<random>
    flag_id      VARCHAR NOT NULL,
    upload_id    VARCHAR NOT NULL,
    creator_id   VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,     -- is_sale | currency | discount | own (the reviewer's own words)
    own_words    VARCHAR,              -- the reviewer's question as written (kind own)
    asked_by     VARCHAR NOT NULL,
    asked_at     TIMESTAMPTZ NOT NULL,
    answer       VARCHAR,              -- yes | no | an ISO 4217 code | the creator's own words
    corrected    JSON,                 -- canonical column -> value the creator gave
    answered_by  VARCHAR,
    answered_at  TIMESTAMPTZ
);
