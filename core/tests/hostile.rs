//! Hostile input: no content may crash the analysis (CONTRACT: analysis never fails). Deeply
//! nested or very long expressions must not overflow the stack, not even a small one: the
//! analysis runs in rustc's proc-macro thread, in build scripts and in 2 MiB test threads.

use driftless_core::{Analysis, Dialect, Folder, Options, analyze};

/// Runs `f` on a thread with a 1 MiB stack, half of what a test thread gets, and returns its
/// result. A stack overflow aborts the whole test binary.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .name("small-stack".into())
        .stack_size(1024 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e))
}

fn analyse(dialect: Dialect, files: Vec<(String, String)>) -> Analysis {
    on_small_stack(move || {
        analyze(
            &Folder::from_files(files),
            &Options {
                dialect: Some(dialect),
                strict: None,
            },
        )
    })
}

/// `n` copies of `item` joined by `sep`.
fn chain(item: &str, sep: &str, n: usize) -> String {
    let mut s = String::with_capacity((item.len() + sep.len()) * n);
    for i in 0..n {
        if i > 0 {
            s.push_str(sep);
        }
        s.push_str(item);
    }
    s
}

/// Statements whose parse tree would be tens of thousands of levels deep (or whose nesting the
/// parser would follow that far), one migration each. The two reported ones are full size:
/// `SELECT 1+1+…` with 100,000 terms and a `WHERE` with 200,000 `OR`s. Before parse trees were
/// bounded, each of these overflowed a 1 MiB stack in an unoptimised build (left-nested chains
/// beyond about 10,000 operators, printing one beyond about 100, parentheses beyond 26, `NOT`s
/// and `CASE`s beyond 10, subqueries beyond 7).
fn pathological(dialect: Dialect) -> Vec<(String, String)> {
    const N: usize = 20_000;
    let mut sql = vec![
        format!("SELECT {};", chain("1", "+", 100_000)),
        format!("SELECT * FROM t WHERE {};", chain("a = 1", " OR ", 200_000)),
        format!("SELECT {};", chain("a", " AND ", N)),
        format!("SELECT {}1{};", "(".repeat(N), ")".repeat(N)),
        format!("SELECT {}1;", "NOT ".repeat(N)),
        format!("SELECT {}1;", "- ".repeat(N)),
        format!("SELECT {};", chain("'x'", " || ", N)),
        format!("SELECT {}1{};", "(SELECT ".repeat(N), ")".repeat(N)),
        format!(
            "SELECT {}1{};",
            "CASE WHEN a THEN ".repeat(N),
            " END".repeat(N)
        ),
        format!("SELECT {}1{};", "f(".repeat(N), ")".repeat(N)),
        format!("SELECT a{};", " IS NULL".repeat(N)),
        format!("SELECT 1, 2{};", " UNION SELECT 1, 2".repeat(N)),
        format!("SELECT a{};", "[1]".repeat(N)),
        format!(
            "CREATE TABLE big (id INTEGER CHECK ({}), x INTEGER DEFAULT {});",
            chain("id", " + ", N),
            chain("1", "*", N)
        ),
        format!("CREATE TABLE arrays (a INTEGER{});", "[]".repeat(N)),
        "CREATE TABLE t (a INTEGER);".to_owned(),
        "CREATE TABLE u (a INTEGER);".to_owned(),
        format!("INSERT INTO u SELECT {} FROM t;", chain("a", " + ", N)),
        format!("UPDATE t SET a = {};", chain("a", " - ", N)),
        format!("DELETE FROM t WHERE {};", chain("a = 1", " OR ", N)),
        format!("INSERT INTO t (a) VALUES ({});", chain("1", "+", N)),
        format!(
            "CREATE VIEW v AS SELECT {} AS s FROM t;",
            chain("a", "+", N)
        ),
        format!("CREATE INDEX i ON t (({}));", chain("a", "+", N)),
        format!(
            "ALTER TABLE t ADD CONSTRAINT c CHECK ({});",
            chain("a > 0", " AND ", N)
        ),
    ];
    if dialect == Dialect::Postgres {
        sql.push(format!("SELECT a{};", "::int".repeat(N)));
        sql.push(format!("SELECT a{};", " -> 'k'".repeat(N)));
        sql.push(format!("SELECT ARRAY{}1{};", "[".repeat(N), "]".repeat(N)));
    }
    if dialect == Dialect::Mysql {
        sql.push(format!("SELECT {};", chain("1", " DIV ", N)));
    }
    sql.into_iter()
        .enumerate()
        .map(|(i, s)| (format!("{:04}_hostile.sql", i + 1), s))
        .collect()
}

fn pathological_statements_analyse_on_a_small_stack(dialect: Dialect) {
    let files = pathological(dialect);
    let n = files.len();
    let a = analyse(dialect, files);
    assert_eq!(a.migrations.len(), n, "{dialect}");
    // The deep ones are opaque, like statements the parser does not understand.
    for m in &a.migrations[..2] {
        assert!(m.statements[0].opaque, "{dialect}: {} was parsed", m.path);
    }
}

#[test]
fn pathological_postgres_statements_analyse_on_a_small_stack() {
    pathological_statements_analyse_on_a_small_stack(Dialect::Postgres);
}

#[test]
fn pathological_mysql_statements_analyse_on_a_small_stack() {
    pathological_statements_analyse_on_a_small_stack(Dialect::Mysql);
}

#[test]
fn pathological_sqlite_statements_analyse_on_a_small_stack() {
    pathological_statements_analyse_on_a_small_stack(Dialect::Sqlite);
}

/// Just under the bounds, statements are parsed and applied, still on a small stack: a chain of
/// 1,500 operators in an `INSERT … SELECT` item (which the replay prints) and 40 nested
/// parentheses.
#[test]
fn deep_but_bounded_statements_are_parsed_on_a_small_stack() {
    for dialect in Dialect::ALL {
        let files = vec![
            (
                "0001_t.sql".to_owned(),
                "CREATE TABLE t (a INTEGER);\nCREATE TABLE u (a INTEGER);".to_owned(),
            ),
            (
                "0002_copy.sql".to_owned(),
                format!("INSERT INTO u SELECT {} FROM t;", chain("a", " + ", 1500)),
            ),
            (
                "0003_nested.sql".to_owned(),
                format!("SELECT {}1{};", "(".repeat(40), ")".repeat(40)),
            ),
        ];
        let a = analyse(dialect, files);
        assert!(!a.has_errors(), "{dialect}: {:?}", a.errors().next());
        for m in &a.migrations {
            assert!(!m.statements[0].opaque, "{dialect}: {} is opaque", m.path);
        }
    }
}

/// driftless.toml is parsed by the toml crate: deeply nested arrays and tables must not crash it.
#[test]
fn a_deeply_nested_config_does_not_crash() {
    const N: usize = 100_000;
    for config in [
        format!("ignore = {}{}\n", "[".repeat(N), "]".repeat(N)),
        format!("x = {}1{}\n", "{a = ".repeat(N), "}".repeat(N)),
        format!("{}\n", "[a.".repeat(N)),
    ] {
        let a = on_small_stack(move || {
            analyze(
                &Folder::from_files([
                    ("driftless.toml", config),
                    ("0001_a.sql", "SELECT 1;".into()),
                ]),
                &Options {
                    dialect: Some(Dialect::Sqlite),
                    strict: None,
                },
            )
        });
        assert!(a.has_errors());
    }
}
