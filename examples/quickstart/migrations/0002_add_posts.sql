CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT ''
);

CREATE INDEX posts_author_idx ON posts (author_id);

INSERT INTO users (id, name) VALUES (1, 'ada');
INSERT INTO posts (author_id, title) VALUES (1, 'hello; world');
