//! Analysis of 1,000 generated migrations (about 1 MB of SQL): the work the build helper (and,
//! without it, the macro) does once per change. Run `cargo bench -p driftless-core` for release
//! figures and `cargo bench -p driftless-core --profile dev` for the unoptimised proc-macro case.
//! Goal: under 100 ms in release.

use std::time::{Duration, Instant};

use driftless_core::lockfile::{LockRequest, lock};
use driftless_core::{Dialect, Folder, Options, analyze};

/// A folder of `n` migrations in `dialect`: tables, columns, indexes, foreign keys, data, an
/// acknowledged drop, and a function body, about 1 KB each.
fn generate(n: usize, dialect: Dialect) -> Folder {
    let mut files = Vec::with_capacity(n + 1);
    for i in 1..=n {
        let t = format!("t{i}");
        let mut sql = format!(
            "-- Migration {i}: a table with a few columns, an index and data.\n\
             CREATE TABLE {t} (\n    id INTEGER PRIMARY KEY,\n    name VARCHAR(200) NOT NULL,\n    \
             email VARCHAR(320),\n    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n    \
             note TEXT\n);\n\
             CREATE INDEX {t}_name_idx ON {t} (name);\n\
             INSERT INTO {t} (id, name, email) VALUES (1, 'it''s; tricky', 'a@example.com'), (2, 'b', NULL);\n\
             ALTER TABLE {t} ADD COLUMN score INTEGER;\n\
             UPDATE {t} SET score = 0 WHERE score IS NULL;\n"
        );
        if i > 1 {
            let p = format!("t{}", i - 1);
            sql.push_str(&format!(
                "ALTER TABLE {t} ADD COLUMN parent_id INTEGER REFERENCES {p} (id);\n\
                 CREATE VIEW {t}_v AS SELECT a.id, a.name, b.name AS parent FROM {t} a JOIN {p} b ON a.parent_id = b.id;\n\
                 -- driftless: allow drop-column: the note moved to a separate table long ago\n\
                 ALTER TABLE {p} DROP COLUMN note;\n"
            ));
        }
        if dialect == Dialect::Postgres && i % 10 == 0 {
            sql.push_str(&format!(
                "CREATE FUNCTION f{i}() RETURNS trigger AS $$\nBEGIN\n  NEW.score := NEW.score + 1; -- ; inside\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql;\n"
            ));
        }
        while sql.len() < 1000 {
            sql.push_str("-- padding comment to reach a realistic size for one migration file\n");
        }
        files.push((format!("{i:04}_migration_{i}.sql"), sql.into_bytes()));
    }
    let mut folder = Folder::from_files(files);
    let locked = lock(
        &folder,
        &LockRequest {
            dialect: Some(dialect),
            ..Default::default()
        },
    )
    .unwrap_or_else(|a| {
        let first = a
            .errors()
            .next()
            .map(|d| a.render(d, "bench"))
            .unwrap_or_default();
        panic!("the generated folder does not lock:\n{first}")
    });
    folder.files.push(driftless_core::folder::File {
        path: "driftless.lock".into(),
        content: locked.lock.render().into_bytes(),
    });
    folder
}

fn main() {
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    println!("analysis of 1,000 migrations ({profile} profile)");
    for dialect in Dialect::ALL {
        let folder = generate(1000, dialect);
        let bytes: usize = folder.files.iter().map(|f| f.content.len()).sum();
        let runs = if cfg!(debug_assertions) { 3 } else { 10 };
        let mut times: Vec<Duration> = (0..runs)
            .map(|_| {
                let start = Instant::now();
                let a = analyze(&folder, &Options::default());
                let elapsed = start.elapsed();
                assert!(!a.has_errors(), "{:?}", a.errors().next());
                assert_eq!(a.migrations.len(), 1000);
                elapsed
            })
            .collect();
        times.sort();
        println!(
            "  {:<8} {:>5} KB  median {:>8.1} ms  min {:>8.1} ms",
            dialect.as_str(),
            bytes / 1024,
            times[runs / 2].as_secs_f64() * 1e3,
            times[0].as_secs_f64() * 1e3,
        );
    }
}
