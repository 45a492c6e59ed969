-- Sign-ins a browser's cookie may carry (control/sessions.py): shared by every app process on
-- this control database, so a reload served by another replica keeps the user signed in.

CREATE TABLE login_sessions (
    login_id     VARCHAR(64) PRIMARY KEY,   -- random; the cookie carries it, signed
    email        VARCHAR(254) NOT NULL,
    expires      DOUBLE PRECISION NOT NULL, -- the cookie's own expiry
    last_seen    DOUBLE PRECISION NOT NULL, -- the idle timeout counts from here
    token_hash   VARCHAR(64) UNIQUE,        -- sha256 of the one-time token, until it is exchanged
    token_until  DOUBLE PRECISION NOT NULL
);

CREATE INDEX login_sessions_by_email ON login_sessions (email);
