-- Accounts (warehouse/accounts.py): who may sign in, with which role and scope, and the
-- failed sign-ins that slow down password guessing.

CREATE TABLE users (
    email          VARCHAR PRIMARY KEY,        -- NFC-normalised, lower case
    password_hash  VARCHAR NOT NULL,           -- Argon2id, PHC string ($argon2id$v=19$m=…,t=…,p=…$…)
    role           VARCHAR NOT NULL,           -- creator | reviewer | manager | admin
    creator_id     VARCHAR,                    -- creators only: whose data they see
    regions        VARCHAR[] NOT NULL DEFAULT [],  -- reviewers: regions they review; managers: [] = all
    active         BOOLEAN NOT NULL DEFAULT true,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    updated_at     TIMESTAMPTZ,
    last_login_at  TIMESTAMPTZ
);

-- One row per throttling key: 'account:<email>' (known or not) and 'client:<address>'.
-- Reset when the account signs in successfully; forgotten an hour after the last failure.
CREATE TABLE login_failures (
    throttle_key     VARCHAR PRIMARY KEY,
    failures         INTEGER NOT NULL,
    last_failure_at  TIMESTAMPTZ NOT NULL,
    blocked_until    TIMESTAMPTZ
);
