-- A report is rendered in the background by a job of the job queue.
CREATE TABLE reports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title TEXT NOT NULL,
    render_job_id BIGINT REFERENCES jobs (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX reports_render_job_idx ON reports (render_job_id);
