-- The control database (control/db.py), one SQL for SQLite and PostgreSQL: times are Unix
-- seconds (DOUBLE PRECISION), lists are JSON text, flags BOOLEAN; every time is written by
-- the code, never by a column default, so both databases hold the same values.

-- The creator directory (control/directory.py): which region keeps each creator's data.
CREATE TABLE creator_directory (
    creator_id  VARCHAR(64) PRIMARY KEY,
    region      VARCHAR(41) NOT NULL,
    country     VARCHAR(2) NOT NULL,
    created_at  DOUBLE PRECISION NOT NULL
);
