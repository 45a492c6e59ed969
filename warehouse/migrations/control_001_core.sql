-- The control database: who may sign in, the creator directory (creator -> region).

CREATE TABLE creator_directory (
    creator_id  VARCHAR PRIMARY KEY,
    region      VARCHAR NOT NULL,
    country     VARCHAR NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
