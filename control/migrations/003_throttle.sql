-- The login throttle (control/throttle.py): keys per (account, client) pair and per client,
-- and the places each account has signed in from.

-- One row per key: 'pair:<email>|<client>' (known account or not) and 'client:<client>'.
-- A success deletes its pair; a key is forgotten an hour after its last failure.
CREATE TABLE login_throttle (
    throttle_key   VARCHAR(600) PRIMARY KEY,
    failures       INTEGER NOT NULL,
    last_failure   DOUBLE PRECISION NOT NULL,
    blocked_until  DOUBLE PRECISION
);

-- Where each account last signed in successfully ('known places'), by client key: a known
-- place is spared its client's global back-off.
CREATE TABLE login_places (
    email         VARCHAR(254) NOT NULL,
    client        VARCHAR(64) NOT NULL,
    last_success  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (email, client)
);
