-- The queue learns (issue 21): when reviewers of a region decide the same way on the same kind of
-- row from the same source (a Stripe status 'requires_payment_method' rejected as not a sale) as
-- many times as KASUWA_RULE_AFTER_DECISIONS says, Kasuwa proposes a rule (warehouse/learned.py,
-- computed from review_audit); an administrator accepts or dismisses it, and the answer is kept
-- here. Accepted rules are read by the ingest beside the source's profile, as the [[skip]] rules
-- (not a sale) or the [[sales]] allow-list (a sale) profiles already use, and their reason is
-- the skipped row's reason.
--
-- A table, not a TOML file: the decisions that propose a rule are this region's, the ingest that
-- applies it runs where the region's warehouse is (its own host, for a remote region), and
-- accepting is one transaction with no file written by an app replica. The profiles themselves
-- stay files (data/profiles/*.toml) edited by people. No function defaults (see region_001).
CREATE TABLE learned_rules (
    rule_id      VARCHAR PRIMARY KEY,   -- <source>|<column>|<value, lowercase>
    source       VARCHAR NOT NULL,      -- sales.source (stripe, paypal, ...)
    column_name  VARCHAR NOT NULL,      -- the column of the profile's sales rule (status, kind) or a header
    value        VARCHAR NOT NULL,      -- the cell's text, as reviewers saw it
    treat_as     VARCHAR NOT NULL,      -- not_sale | sale
    decisions    INTEGER NOT NULL,      -- how many reviewers' decisions proposed it
    status       VARCHAR NOT NULL,      -- accepted | dismissed
    decided_by   VARCHAR NOT NULL,
    decided_at   TIMESTAMPTZ NOT NULL
);
