//! An application that shares its database with a library: it embeds its own migrations and
//! applies them after the `job-queue` library's, which live in the namespace `job_queue` of the
//! same history table. Its `reports` table has a foreign key to the library's `jobs`, declared
//! `extern` in its `driftless.toml` so the build checks the reference without owning the table.

#![deny(missing_docs)]

use driftless::{Migrations, Pool, Report};

/// The application's SQLite schema.
pub mod sqlite {
    use driftless::Migrations;

    /// `migrations/sqlite`, the application's own (namespace `""`).
    pub static MIGRATIONS: Migrations = driftless::migrations!("migrations/sqlite");

    /// Everything this database needs, in order: the library first, since the application's
    /// migrations reference its tables.
    pub static ALL: [&Migrations; 2] = [&job_queue::sqlite::MIGRATIONS, &MIGRATIONS];
}

/// The application's PostgreSQL schema.
pub mod postgres {
    use driftless::Migrations;

    /// `migrations/postgres`, the application's own (namespace `""`).
    pub static MIGRATIONS: Migrations = driftless::migrations!("migrations/postgres");

    /// Everything this database needs, in order: the library first.
    pub static ALL: [&Migrations; 2] = [&job_queue::postgres::MIGRATIONS, &MIGRATIONS];
}

/// Applies each set of migrations in turn, and stops at the first refusal: a later set may
/// reference tables of an earlier one. Returns one report per set, in the same order.
pub async fn migrate<P: Pool>(
    pool: &P,
    all: &[&Migrations],
) -> Result<Vec<Report>, driftless::Error> {
    let mut reports = Vec::with_capacity(all.len());
    for migrations in all {
        reports.push(migrations.migrate(pool).await?);
    }
    Ok(reports)
}

/// How a namespace is shown: the application's own is the empty string.
pub fn namespace_label(namespace: &str) -> &str {
    if namespace.is_empty() {
        "(application)"
    } else {
        namespace
    }
}
