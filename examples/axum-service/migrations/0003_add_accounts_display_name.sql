-- A nullable column with no default: no table rewrite, no long lock on a large table.
ALTER TABLE accounts ADD COLUMN display_name TEXT;
