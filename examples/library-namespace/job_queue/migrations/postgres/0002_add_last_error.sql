-- Why the last attempt failed, for the retry policy and for people.
ALTER TABLE jobs ADD COLUMN last_error TEXT;
