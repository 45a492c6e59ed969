-- The language an account reads the app in (warehouse/accounts.py set_language): en, fr, bn, ur.
-- NULL: the default, from the account's creator's country (warehouse.locales.default_language).
ALTER TABLE users ADD COLUMN language VARCHAR(8);
