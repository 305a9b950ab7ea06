//! A job queue that keeps its jobs in the application's database. Its tables are its own
//! business: it ships the migrations that create them, under the namespace `job_queue`, so they
//! have their own history rows and lock in the application's `_driftless_migrations` table and
//! never look like unknown migrations to the application (nor the application's to it).
//!
//! The application applies [`sqlite::MIGRATIONS`] or [`postgres::MIGRATIONS`] (one folder per
//! database, each checked and locked for its dialect) before its own migrations, which may
//! reference [`JOBS_TABLE`] once they list it under `extern` in their `driftless.toml`.

#![deny(missing_docs)]

/// The namespace of this library's rows in the history table. An operator consents to one of
/// its destructive migrations as `DRIFTLESS_ALLOW_DESTRUCTIVE=job_queue:<version>`.
pub const NAMESPACE: &str = "job_queue";

/// The table this library owns and applications may reference (a foreign key to `jobs (id)`).
pub const JOBS_TABLE: &str = "jobs";

/// The queue's SQLite schema.
#[cfg(feature = "sqlite")]
pub mod sqlite {
    /// `migrations/sqlite`, checked at build time and embedded under the `job_queue` namespace.
    pub static MIGRATIONS: driftless::Migrations =
        driftless::migrations!("migrations/sqlite", namespace = "job_queue");
}

/// The queue's PostgreSQL schema.
#[cfg(feature = "postgres")]
pub mod postgres {
    /// `migrations/postgres`, checked at build time and embedded under the `job_queue`
    /// namespace.
    pub static MIGRATIONS: driftless::Migrations =
        driftless::migrations!("migrations/postgres", namespace = "job_queue");
}
