-- Set when the render job has stored the document.
ALTER TABLE reports ADD COLUMN rendered_at TEXT;
