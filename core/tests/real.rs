//! Look-alikes of real, valid histories (sqlx, Prisma, diesel; PostgreSQL, MySQL, SQLite), written
//! from what public projects' folders contain: adopted with `lock --adopt`, they check without errors,
//! and the hazards they really contain are still reported, as warnings.

use std::path::Path;

use driftless_core::lock::{LockRequest, lock};
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

/// `code file` of every warning whose code is `code`.
fn with_code<'a>(w: &'a [String], code: &str) -> Vec<&'a str> {
    w.iter()
        .filter(|w| w.split(' ').next() == Some(code))
        .map(String::as_str)
        .collect()
}

/// The schema findings (`missing-*`, `object-exists`, `duplicate-column`) as
/// `code file: message`: a history that applies cleanly to its engine has none.
fn schema_findings(a: &driftless_core::Analysis) -> Vec<String> {
    a.diagnostics
        .iter()
        .filter(|d| {
            let code = d.code.as_str();
            code.starts_with("missing-") || code == "object-exists" || code == "duplicate-column"
        })
        .map(|d| {
            format!(
                "{} {}: {}",
                d.code,
                d.file.as_deref().unwrap_or("-"),
                d.message
            )
        })
        .collect()
}

/// `schema_findings` deduplicated, for comparing with a list.
fn schema_set(a: &driftless_core::Analysis) -> std::collections::BTreeSet<String> {
    schema_findings(a).into_iter().collect()
}

fn set(items: &[&str]) -> std::collections::BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
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

// --- Look-alikes that exercise the engines' generated names, CTAS, enums, rebuilds ---------------
//
// Each one applies cleanly to its engine (`tests/fixtures/real/apply.sh <dir>`), so any schema
// finding would be a false positive of the model: each test asserts there is none. They once
// pinned false findings on CTAS columns and engine-generated constraint names.

#[test]
fn postgres_sqlx_billing() {
    let a = adopt("pg_sqlx_billing", Dialect::Postgres);
    assert_eq!(a.migrations.len(), 11);
    let w = warnings(&a);
    assert_eq!(
        with_code(&w, "drop-column"),
        [
            "drop-column 20230404120000_monthly_revenue_currency.sql",
            "drop-column 20230601090000_drop_overdue_view.sql",
        ],
        "{w:#?}"
    );
    // ADD VALUE … AFTER/BEFORE, and the UPDATE with a WHERE, raise nothing.
    assert!(
        !w.iter()
            .any(|w| w.contains("20230201080000") || w.contains("20230516110000")),
        "{w:#?}"
    );
    // The generated names invoices_amount_cents_check, customers_email_key,
    // invoices_customer_id_fkey and payments_provider_provider_ref_key are known.
    assert_eq!(schema_set(&a), set(&[]));
}

#[test]
fn postgres_diesel_library() {
    let a = adopt("pg_diesel_library", Dialect::Postgres);
    assert_eq!(a.migrations.len(), 10);
    assert_eq!(
        a.migrations[4].down.as_deref(),
        Some("2022-08-01-120000_book_tags_composite_key/down.sql")
    );
    let w = warnings(&a);
    assert_eq!(
        with_code(&w, "drop-column"),
        [
            "drop-column 2022-08-01-120000_book_tags_composite_key/up.sql",
            "drop-column 2023-03-14-150000_drop_author_country/up.sql",
        ],
        "{w:#?}"
    );
    assert!(!w.iter().any(|w| w.contains("2022-06-20-100000")), "{w:#?}");
    assert_eq!(schema_set(&a), set(&[]));
}

#[test]
fn postgres_prisma_crm() {
    let a = adopt("pg_prisma_crm", Dialect::Postgres);
    assert_eq!(a.migrations.len(), 8);
    let w = warnings(&a);
    // Prisma's enum rewrite drops GUEST; its DOUBLE PRECISION to INTEGER change is lossy.
    assert_eq!(
        with_code(&w, "drop-enum-value"),
        ["drop-enum-value 20240304160045_remove_guest_role/migration.sql"],
        "{w:#?}"
    );
    assert_eq!(
        with_code(&w, "lossy-type-change"),
        ["lossy-type-change 20240415102030_deal_value_decimal/migration.sql"],
        "{w:#?}"
    );
    assert_eq!(with_code(&w, "transaction-control").len(), 2, "{w:#?}");
    assert_eq!(schema_set(&a), set(&[]));
}

#[test]
fn postgres_sqlx_telemetry() {
    let a = adopt("pg_sqlx_telemetry", Dialect::Postgres);
    assert_eq!(a.migrations.len(), 10);
    // sqlx reversible layout; `-- no-transaction` lets CONCURRENTLY run.
    assert_eq!(
        a.migrations[0].down.as_deref(),
        Some("20240301100000_devices.down.sql")
    );
    assert!(!a.migrations[8].transactional);
    assert!(a.migrations[7].transactional);
    let w = warnings(&a);
    assert!(
        w.iter()
            .any(|w| w == "rename-table 20240320080000_rename_devices_to_sensors.up.sql"),
        "{w:#?}"
    );
    assert_eq!(
        with_code(&w, "drop-column"),
        [
            "drop-column 20240416100000_hourly_rollup_columns.up.sql",
            "drop-column 20240513100000_retire_status_text.up.sql",
        ],
        "{w:#?}"
    );
    // The generated names keep the old table's name after the rename: devices_serial_number_key
    // and readings_device_id_fkey (after the column rename) are known.
    assert_eq!(schema_set(&a), set(&[]));
}

#[test]
fn postgres_flat_helpdesk() {
    let a = adopt("pg_flat_helpdesk", Dialect::Postgres);
    assert_eq!(a.migrations.len(), 11);
    let w = warnings(&a);
    assert_eq!(
        with_code(&w, "lossy-type-change"),
        ["lossy-type-change 20190710150000_agent_ids_by_default.sql"],
        "{w:#?}"
    );
    assert!(
        w.iter()
            .any(|w| w == "rename-column 20190415110000_rename_assignee_to_owner.sql"),
        "{w:#?}"
    );
    // queues_team_slug_key (two columns), agents_handle_key and the renamed
    // tickets_assignee_id_fkey are known.
    assert_eq!(schema_set(&a), set(&[]));
}

#[test]
fn mysql_flat_events() {
    let a = adopt("mysql_flat_events", Dialect::Mysql);
    assert_eq!(a.migrations.len(), 9);
    let w = warnings(&a);
    assert_eq!(
        with_code(&w, "drop-column"),
        [
            "drop-column 0007_daily_sales_columns.sql",
            "drop-column 0009_drop_paid_flag.sql",
        ],
        "{w:#?}"
    );
    // Widening the ENUM loses nothing.
    assert!(!w.iter().any(|w| w.contains("0003_")), "{w:#?}");
    // The unnamed UNIQUE indexes `slug` and `event_id` (the first column's name) are known.
    assert_eq!(schema_set(&a), set(&[]));
}

#[test]
fn mysql_migrate_payroll() {
    let a = adopt("mysql_migrate_payroll", Dialect::Mysql);
    assert_eq!(a.migrations.len(), 9);
    assert_eq!(
        a.migrations[3].down.as_deref(),
        Some("000004_salary_surrogate_key.down.sql")
    );
    let w = warnings(&a);
    assert_eq!(
        with_code(&w, "drop-column"),
        ["drop-column 000008_drop_manager_fk.up.sql"],
        "{w:#?}"
    );
    assert!(
        w.iter()
            .any(|w| w == "rename-column 000006_department_code_length.up.sql"),
        "{w:#?}"
    );
    // The unnamed UNIQUE indexes `code` and `employee_no` are known.
    assert_eq!(schema_set(&a), set(&[]));
}

#[test]
fn mysql_flat_inventory() {
    let a = adopt("mysql_flat_inventory", Dialect::Mysql);
    assert_eq!(a.migrations.len(), 9);
    let w = warnings(&a);
    assert_eq!(
        with_code(&w, "lossy-type-change"),
        ["lossy-type-change 20211004091500_narrow_weight.sql"],
        "{w:#?}"
    );
    assert_eq!(
        with_code(&w, "drop-column"),
        [
            "drop-column 20210719120000_snapshot_columns.sql",
            "drop-column 20211004091500_narrow_weight.sql",
        ],
        "{w:#?}"
    );
    // The unnamed UNIQUE `sku` and `code` are known.
    assert_eq!(schema_set(&a), set(&[]));
}

#[test]
fn sqlite_sqlx_recipes() {
    let a = adopt("sqlite_sqlx_recipes", Dialect::Sqlite);
    assert_eq!(a.migrations.len(), 8);
    let w = warnings(&a);
    // The rebuild copies every column: no drop.
    assert!(
        !w.iter()
            .any(|w| w.contains("20231105120000")
                && (w.starts_with("drop-") || w.starts_with("lossy-"))),
        "{w:#?}"
    );
    assert_eq!(
        with_code(&w, "drop-column"),
        [
            "drop-column 20231021100000_ingredient_usage_columns.sql",
            "drop-column 20231201100000_quick_recipes_cuisine.sql",
        ],
        "{w:#?}"
    );
    assert_eq!(schema_set(&a), set(&[]));
}

#[test]
fn sqlite_diesel_timesheet() {
    let a = adopt("sqlite_diesel_timesheet", Dialect::Sqlite);
    assert_eq!(a.migrations.len(), 8);
    let w = warnings(&a);
    // The projects rebuild carries budget_hours over as budget_minutes: no drop.
    assert!(
        !w.iter()
            .any(|w| w.contains("2021-08-30-100000") && w.starts_with("drop-")),
        "{w:#?}"
    );
    assert_eq!(
        with_code(&w, "drop-column"),
        [
            "drop-column 2021-06-07-091500_weekly_totals_hours/up.sql",
            "drop-column 2021-11-15-090000_drop_entry_note/up.sql",
        ],
        "{w:#?}"
    );
    assert_eq!(schema_set(&a), set(&[]));
}

#[test]
fn sqlite_prisma_blog() {
    let a = adopt("sqlite_prisma_blog", Dialect::Sqlite);
    assert_eq!(a.migrations.len(), 7);
    let w = warnings(&a);
    // Prisma's own warnings: both redefinitions leave a column out.
    assert_eq!(
        with_code(&w, "drop-column"),
        [
            "drop-column 20240603080000_post_status/migration.sql",
            "drop-column 20240701120000_author_stats_columns/migration.sql",
            "drop-column 20240715093000_drop_bio/migration.sql",
        ],
        "{w:#?}"
    );
    assert_eq!(schema_set(&a), set(&[]));
}

#[test]
fn sqlite_flat_bookmarks() {
    let a = adopt("sqlite_flat_bookmarks", Dialect::Sqlite);
    assert_eq!(a.migrations.len(), 8);
    let w = warnings(&a);
    // The rebuild keeps one row per URL: the copy filters rows, so it is a drop.
    assert_eq!(
        with_code(&w, "drop-table"),
        ["drop-table 0007_bookmarks_unique_url.sql"],
        "{w:#?}"
    );
    assert_eq!(
        with_code(&w, "drop-column"),
        [
            "drop-column 0003_bookmark_columns.sql",
            "drop-column 0005_tag_counts_columns.sql",
        ],
        "{w:#?}"
    );
    assert_eq!(schema_set(&a), set(&[]));
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
        ("pg_sqlx_billing", Dialect::Postgres),
        ("pg_diesel_library", Dialect::Postgres),
        ("pg_prisma_crm", Dialect::Postgres),
        ("pg_sqlx_telemetry", Dialect::Postgres),
        ("pg_flat_helpdesk", Dialect::Postgres),
        ("mysql_flat_events", Dialect::Mysql),
        ("mysql_migrate_payroll", Dialect::Mysql),
        ("mysql_flat_inventory", Dialect::Mysql),
        ("sqlite_sqlx_recipes", Dialect::Sqlite),
        ("sqlite_diesel_timesheet", Dialect::Sqlite),
        ("sqlite_prisma_blog", Dialect::Sqlite),
        ("sqlite_flat_bookmarks", Dialect::Sqlite),
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
