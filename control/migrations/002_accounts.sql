-- Accounts (control/accounts.py): who may sign in, with which role and scope.

CREATE TABLE users (
    email          VARCHAR(254) PRIMARY KEY,  -- NFC-normalised, lower case
    password_hash  TEXT NOT NULL,             -- Argon2id, PHC string ($argon2id$v=19$m=…,t=…,p=…$…)
    role           VARCHAR(16) NOT NULL,      -- creator | reviewer | manager | admin
    creator_id     VARCHAR(64),               -- creators only: whose data they see
    regions        TEXT NOT NULL DEFAULT '[]',  -- JSON list; reviewers: regions they review; managers: [] = all
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    language       VARCHAR(8),                -- the language the person chose; NULL = their country's
    created_at     DOUBLE PRECISION NOT NULL,
    updated_at     DOUBLE PRECISION,
    last_login_at  DOUBLE PRECISION
);
