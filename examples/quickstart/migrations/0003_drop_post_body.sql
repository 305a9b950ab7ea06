-- Bodies moved to object storage. Dropping the column loses data, so the migration says why, and
-- an operator must consent when a database that has posts runs it. A fresh database needs no consent:
-- the column was created earlier in the same run.
-- driftless: allow drop-column: bodies live in object storage since v2; the column is unused
ALTER TABLE posts DROP COLUMN body;
