-- A report is rendered in the background by a job of the job queue.
CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    render_job_id INTEGER REFERENCES jobs (id),
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX reports_render_job_idx ON reports (render_job_id);
