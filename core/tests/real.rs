//! Look-alikes of real, valid histories (sqlx, Prisma, diesel; PostgreSQL, MySQL, SQLite), written
//! from what public projects' folders contain: adopted with `lock --adopt`, they check without errors,
//! and the hazards they really contain are still reported, as warnings.

use std::path::Path;

use driftless_core::lockfile::{LockRequest, lock};
use driftless_core::{Dialect, Severity, analyze, loader};

fn adopt(name: &str, dialect: Dialect) -> driftless_core::Analysis {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(name);
    let folder = loader::load(&dir).expect("fixture folder");
    let outcome = lock(
        &folder,
        &LockRequest {
            dialect: Some(dialect),
            adopt: true,
            rehash: vec![],
        },
    )
    .unwrap_or_else(|a| {
        let shown: Vec<String> = a.errors().map(|d| a.render(d, name)).collect();
        panic!("{name} does not adopt:\n{}", shown.join("\n"))
    });
    let mut folder = folder;
    folder.files.push(driftless_core::folder::File {
        path: "driftless.lock".into(),
        content: outcome.lock.render().into_bytes(),
    });
    let analysis = analyze(&folder, &Default::default());
    let errors: Vec<String> = analysis
        .errors()
        .map(|d| analysis.render(d, name))
        .collect();
    assert!(errors.is_empty(), "{name}:\n{}", errors.join("\n"));
    analysis
}

fn warnings(a: &driftless_core::Analysis) -> Vec<String> {
    a.diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| format!("{} {}", d.code, d.file.as_deref().unwrap_or("-")))
        .collect()
}

#[test]
fn postgres_sqlx_newsletter() {
    let a = adopt("pg_sqlx_newsletter", Dialect::Postgres);
    assert_eq!(a.migrations.len(), 11);
    let w = warnings(&a);
    assert!(
        w.iter()
            .any(|w| w.starts_with("rename-column 20210202100000")),
        "{w:#?}"
    );
    // Adding and dropping `salt` in one migration loses nothing.
    assert!(!w.iter().any(|w| w.contains("20210203100000")), "{w:#?}");
}

#[test]
fn postgres_prisma_workspace() {
    let a = adopt("pg_prisma_workspace", Dialect::Postgres);
    assert_eq!(a.migrations.len(), 5);
    let w = warnings(&a);
    // Prisma's own warning: the `role` column is dropped and recreated.
    assert!(
        w.iter()
            .any(|w| w.starts_with("drop-column 20230601120000_team_roles")),
        "{w:#?}"
    );
}

#[test]
fn postgres_diesel_forum() {
    let a = adopt("pg_diesel_forum", Dialect::Postgres);
    assert_eq!(a.migrations.len(), 5);
    assert_eq!(a.migrations[0].version, 0);
    // metadata.toml's run_in_transaction = false lets CONCURRENTLY run.
    assert!(!a.migrations[4].transactional);
    assert_eq!(
        a.migrations[1].down.as_deref(),
        Some("2023-02-01-101500_create_communities/down.sql")
    );
}

#[test]
fn mysql_flat_shop() {
    let a = adopt("mysql_flat_shop", Dialect::Mysql);
    assert_eq!(a.migrations.len(), 4);
    // The trigger and the procedure are one statement each.
    assert_eq!(a.migrations[2].statements.len(), 2);
}

#[test]
fn sqlite_sqlx_notes() {
    let a = adopt("sqlite_sqlx_notes", Dialect::Sqlite);
    assert_eq!(a.migrations.len(), 4);
    assert_eq!(
        a.migrations[1].statements.len(),
        1,
        "the trigger body is one statement"
    );
    let w = warnings(&a);
    // The rebuild does not copy `pinned`: that column's data is lost, nothing else.
    let rebuild: Vec<&String> = w.iter().filter(|w| w.contains("20220401000000")).collect();
    assert_eq!(rebuild.len(), 1, "{w:#?}");
    assert!(rebuild[0].starts_with("drop-column"), "{w:#?}");
}

#[test]
fn real_histories_have_no_unseen_data_changes() {
    // Guarded `CREATE TYPE`/`CREATE ROLE` DO blocks, diesel's helper call, triggers and
    // procedures that are only created: none of them may need an acknowledgement.
    for (name, dialect) in [
        ("pg_sqlx_newsletter", Dialect::Postgres),
        ("pg_prisma_workspace", Dialect::Postgres),
        ("pg_diesel_forum", Dialect::Postgres),
        ("mysql_flat_shop", Dialect::Mysql),
        ("sqlite_sqlx_notes", Dialect::Sqlite),
    ] {
        let a = adopt(name, dialect);
        let unseen: Vec<String> = a
            .diagnostics
            .iter()
            .filter(|d| matches!(d.code.as_str(), "opaque-data-change" | "replace-into"))
            .map(|d| a.render(d, name))
            .collect();
        assert!(unseen.is_empty(), "{name}:\n{}", unseen.join("\n"));
    }
}
