//! Analysis of 1,000 generated migrations (about 1 MB of SQL): the work the build helper (and,
//! without it, the macro) does once per change. Run `cargo bench -p driftless-core` for release
//! figures and `cargo bench -p driftless-core --profile dev` for the unoptimised proc-macro case.
//! Goal: under 100 ms in release. The same analysis with a declared `schema.sql` of the end state
//! (1,000 tables) compared at build time: goal, under 10% more. Each analysis runs in a fresh
//! process, as in a build.
//!
//! Then single files that used to take quadratic time: a table of 50,000 columns, and 20,000
//! `allow` directives that match nothing (each then is an `unused-allow` warning). Both should
//! take time proportional to their size.

use std::time::{Duration, Instant};

use driftless_core::lock::{LockRequest, lock};
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

/// `folder` with a `schema.sql` that declares the end state its migrations produce.
fn with_declared_schema(folder: &Folder, dialect: Dialect) -> Folder {
    let analysis = analyze(folder, &Options::default());
    let ranges: Vec<Vec<std::ops::Range<usize>>> = analysis
        .migrations
        .iter()
        .map(|m| m.statements.iter().map(|s| s.range.clone()).collect())
        .collect();
    let sources: Vec<driftless_core::drift::Source<'_>> = analysis
        .migrations
        .iter()
        .zip(&ranges)
        .map(|(m, statements)| driftless_core::drift::Source {
            path: &m.path,
            sql: &m.sql,
            statements,
            transactional: m.transactional,
        })
        .collect();
    let schema = driftless_core::drift::expected(dialect, &sources, &[]);
    let mut folder = folder.clone();
    folder.files.push(driftless_core::folder::File {
        path: "schema.sql".into(),
        content: driftless_core::drift::schema_sql(dialect, &schema).into_bytes(),
    });
    folder.files.sort_by(|a, b| a.path.cmp(&b.path));
    folder
}

/// One draft migration, analysed without a lock file.
fn single(sql: String, dialect: Dialect) -> (Folder, Options) {
    let folder = Folder::from_files([("0001_big.sql".to_owned(), sql.into_bytes())]);
    let options = Options {
        dialect: Some(dialect),
        strict: None,
    };
    (folder, options)
}

fn wide_table(columns: usize) -> String {
    let mut sql = String::from("CREATE TABLE wide (\n    id INTEGER PRIMARY KEY");
    for i in 0..columns {
        sql.push_str(&format!(",\n    c{i} VARCHAR(40) NOT NULL DEFAULT 'x'"));
    }
    sql.push_str("\n);\n");
    sql
}

/// `n` statements, each after an `allow` that matches nothing.
fn unused_allows(n: usize) -> String {
    let mut sql = String::new();
    for i in 0..n {
        sql.push_str(&format!(
            "-- driftless: allow drop-table: nothing is dropped here\nCREATE TABLE t{i} (id INTEGER);\n"
        ));
    }
    sql
}

/// `n` file-level `allow`s that match nothing, then one statement.
fn unused_file_allows(n: usize) -> String {
    let mut sql = String::new();
    for _ in 0..n {
        sql.push_str("-- driftless: allow drop-table: nothing is dropped here\n");
    }
    sql.push_str("\nCREATE TABLE t (id INTEGER);\n");
    sql
}

/// Median and minimum of `runs` analyses, with a check of the result.
fn time(
    runs: usize,
    f: impl Fn() -> driftless_core::Analysis,
    check: impl Fn(&driftless_core::Analysis),
) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let a = f();
            let elapsed = start.elapsed();
            check(&a);
            elapsed
        })
        .collect();
    times.sort();
    (times[runs / 2], times[0])
}

/// The bench's child process: analyses the folder in `dir` once and prints the nanoseconds.
const CHILD: &str = "DRIFTLESS_BENCH_ANALYSE";

fn write(dir: &std::path::Path, folder: &Folder) {
    std::fs::create_dir_all(dir).expect("create the bench folder");
    for file in &folder.files {
        std::fs::write(dir.join(&file.path), &file.content).expect("write a bench file");
    }
}

fn in_child(dir: &std::path::Path) -> Duration {
    let out = std::process::Command::new(std::env::current_exe().expect("the bench binary"))
        .env(CHILD, dir)
        .output()
        .expect("run the bench's child");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let nanos: u64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("the child prints nanoseconds");
    Duration::from_nanos(nanos)
}

fn child(dir: &std::path::Path) {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("read the bench folder")
        .map(|entry| {
            let entry = entry.expect("a bench file");
            let name = entry.file_name().to_string_lossy().into_owned();
            (
                name,
                std::fs::read(entry.path()).expect("read a bench file"),
            )
        })
        .collect();
    files.sort();
    let folder = Folder::from_files(files);
    let start = Instant::now();
    let a = analyze(&folder, &Options::default());
    let elapsed = start.elapsed();
    assert!(
        !a.has_errors(),
        "{:?}",
        a.errors().next().map(|d| a.render(d, "bench"))
    );
    assert_eq!(a.migrations.len(), 1000);
    println!("{}", elapsed.as_nanos());
}

fn main() {
    if let Some(dir) = std::env::var_os(CHILD) {
        return child(std::path::Path::new(&dir));
    }
    let profile = if cfg!(debug_assertions) {
        "dev"
    } else {
        "release"
    };
    println!("analysis of 1,000 migrations ({profile} profile), without and with a schema.sql");
    for dialect in Dialect::ALL {
        let folder = generate(1000, dialect);
        let bytes: usize = folder.files.iter().map(|f| f.content.len()).sum();
        let runs = if cfg!(debug_assertions) { 3 } else { 25 };
        // The declared schema the history produces, written as `pull` writes it: the build
        // then compares 1,000 migrations' end state with it.
        let with_schema = with_declared_schema(&folder, dialect);
        let dir = std::env::temp_dir().join(format!("driftless-bench-{}", std::process::id()));
        let (plain_dir, schema_dir) = (dir.join("without"), dir.join("with"));
        write(&plain_dir, &folder);
        write(&schema_dir, &with_schema);
        // Each analysis in a fresh process, as a build runs it (the macro or the build script
        // analyses once per process): the allocator starts cold, and runs of one kind do not
        // warm the heap for the next. Runs without and with alternate, so a machine that slows
        // down for a while (a shared VM does) slows both alike.
        let (mut without, mut with): (Vec<Duration>, Vec<Duration>) = (0..runs)
            .map(|_| (in_child(&plain_dir), in_child(&schema_dir)))
            .unzip();
        let _ = std::fs::remove_dir_all(&dir);
        without.sort();
        with.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let (median, min, median_s, min_s) =
            (without[runs / 2], without[0], with[runs / 2], with[0]);
        println!(
            "  {:<8} {:>5} KB  median {:>6.1} ms  min {:>6.1} ms  | with schema.sql median {:>6.1} ms  min {:>6.1} ms  | overhead: medians +{:.1}%, minimums +{:.1}%",
            dialect.as_str(),
            bytes / 1024,
            ms(median),
            ms(min),
            ms(median_s),
            ms(min_s),
            (ms(median_s) / ms(median) - 1.0) * 100.0,
            (ms(min_s) / ms(min) - 1.0) * 100.0,
        );
    }

    println!("single files that used to be quadratic ({profile} profile)");
    let runs = if cfg!(debug_assertions) { 1 } else { 5 };
    // What `driftless check` does: analyse, then render every warning.
    let check = |folder: &Folder, options: &Options| {
        let a = analyze(folder, options);
        let rendered: usize = a.warnings().map(|d| a.render(d, "migrations").len()).sum();
        (a, rendered)
    };
    let cases: [(&str, String, usize); 3] = [
        ("table of 50,000 columns", wide_table(50_000), 0),
        ("20,000 unused allows", unused_allows(20_000), 20_000),
        (
            "20,000 unused file allows",
            unused_file_allows(20_000),
            20_000,
        ),
    ];
    for (name, sql, warnings) in cases {
        let (folder, options) = single(sql, Dialect::Postgres);
        let bytes = folder.files[0].content.len();
        let (median, min) = time(
            runs,
            || check(&folder, &options).0,
            |a| {
                assert!(!a.has_errors(), "{:?}", a.errors().next());
                assert!(!a.migrations[0].statements[0].opaque);
                assert_eq!(a.warnings().count(), warnings);
            },
        );
        println!(
            "  {name:<26} {:>5} KB  median {:>8.1} ms  min {:>8.1} ms",
            bytes / 1024,
            median.as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3,
        );
    }
}
