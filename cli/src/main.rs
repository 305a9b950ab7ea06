//! The `driftless` command: check, lock and create migrations; apply and revert them; inspect
//! and repair a database's history.

mod adopt;
mod db;
mod folder;
mod migrate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Database migrations checked before they ship.
#[derive(Parser, Debug)]
#[command(name = "driftless", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    #[default]
    Human,
    /// JSON for pipelines.
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a migrations folder (exit 1 on errors).
    Check {
        /// The migrations folder.
        #[arg(default_value = "migrations")]
        dir: PathBuf,
        /// Drafts (unlocked migrations) are errors.
        #[arg(long)]
        strict: bool,
        /// The dialect the folder must have (an error if driftless.lock disagrees).
        #[arg(long)]
        dialect: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: Format,
        /// Show every warning, those of locked and adopted migrations too (by default they are
        /// one summary line: that SQL has shipped).
        #[arg(long)]
        all: bool,
    },
    /// Lock the drafts: write their checksums to driftless.lock.
    Lock {
        /// The migrations folder.
        #[arg(default_value = "migrations")]
        dir: PathBuf,
        /// The dialect, required the first time (postgres, mysql, sqlite).
        #[arg(long)]
        dialect: Option<String>,
        /// Lock a history that already ran in production (from sqlx, diesel, Prisma, refinery)
        /// as adopted: its lints become warnings.
        #[arg(long)]
        adopt: bool,
        /// Re-hash a locked migration that was edited on purpose (repeatable).
        #[arg(long, value_name = "VERSION")]
        rehash: Vec<u64>,
    },
    /// Create a new migration with the next version of the folder's scheme.
    New {
        /// What it does, e.g. `add_email_to_users`.
        name: String,
        /// The migrations folder.
        #[arg(default_value = "migrations")]
        dir: PathBuf,
        /// Use a timestamp version (YYYYMMDDHHMMSS) in an empty folder.
        #[arg(long, conflicts_with = "sequential")]
        timestamp: bool,
        /// Use a sequence number version (0001) in an empty folder (the default).
        #[arg(long)]
        sequential: bool,
    },
    /// Show a database's history against the folder: applied, pending, drafts, failed or
    /// interrupted, checksum mismatches, unknown applied, drift (read-only; exit 1 if an
    /// operator should look before the next deploy).
    Status(db::StatusArgs),
    /// Compare the database with the schema its history produces: extra, missing and changed
    /// objects, each with the migration that made it and the SQL that reconciles it (read-only;
    /// exit 1 on drift).
    Drift(db::StatusArgs),
    /// Write the next draft migration: from the history's schema to the declared `schema.sql`,
    /// or, with `--database-url`, to a live database (a hotfix captured into the history). The
    /// file is checked like any other: data loss in it needs an `allow`.
    Diff(db::DiffArgs),
    /// Write `schema.sql` from a live database (read-only).
    Pull(db::PullArgs),
    /// Apply the folder's pending migrations, with the checks, lock and consent of
    /// `MIGRATIONS.migrate` (as a release binary: drafts need --allow-drafts).
    ///
    /// Progress: on a terminal, one line with the migration running and its statement; with
    /// `--format json` or when stderr is not a terminal, one JSON line per applied migration on
    /// stdout (version, description, duration_ms, statements, consent), then a summary line.
    ///
    /// Exit codes: 0 applied, or nothing to do; 1 refused, nothing was applied (checksum
    /// mismatch, unknown applied, out of order, a failed or interrupted row, drafts, consent
    /// required, no history, drift with --refuse-drift, a folder with errors); 2 failed (a
    /// migration failed, a database or connection error, the lock timed out) or invalid
    /// arguments.
    Migrate(migrate::MigrateArgs),
    /// Revert the applied migrations newer than --to by running their down files (sqlx
    /// `N_name.down.sql`, diesel `down.sql`), newest first; they are pending again.
    ///
    /// Needs --yes (without it, lists what would be reverted and exits 1). Every migration to
    /// revert needs a down file, or nothing runs. A down file that can lose existing data needs
    /// --consent <VERSION> unless the table is empty. Exit codes as for `migrate`: 0 reverted or
    /// nothing to do, 1 refused (nothing was reverted), 2 failed.
    Revert(migrate::RevertArgs),
    /// Show what `migrate` would run and which consents it needs (read-only).
    Plan(db::PlanArgs),
    /// Mark a failed or interrupted migration as rolled back (run it again) or applied.
    Resolve(db::ResolveArgs),
    /// Record migrations up to a version as applied without running them (an existing database).
    Baseline(db::BaselineArgs),
    /// Take over the history of sqlx, diesel, Prisma or refinery: every migration its table
    /// records as applied is recorded as applied, each checksum it kept verified (exit 0
    /// adopted, 1 refused, 2 error).
    Adopt(adopt::AdoptArgs),
}

/// Runs a database command on a single-threaded runtime: one connection at a time is all it needs.
fn block_on<F: std::future::Future<Output = anyhow::Result<ExitCode>>>(
    f: F,
) -> anyhow::Result<ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(f)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check {
            dir,
            strict,
            dialect,
            format,
            all,
        } => folder::check(&dir, strict, dialect.as_deref(), format, all),
        Command::Lock {
            dir,
            dialect,
            adopt,
            rehash,
        } => folder::lock(&dir, dialect.as_deref(), adopt, rehash),
        Command::New {
            name,
            dir,
            timestamp,
            sequential: _,
        } => folder::new(&dir, &name, timestamp),
        Command::Status(args) => block_on(db::run_status(args)),
        Command::Drift(args) => block_on(db::run_drift(args)),
        Command::Diff(args) => block_on(db::run_diff(args)),
        Command::Pull(args) => block_on(db::run_pull(args)),
        Command::Migrate(args) => block_on(migrate::run_migrate(args)),
        Command::Revert(args) => block_on(migrate::run_revert(args)),
        Command::Plan(args) => block_on(db::run_plan(args)),
        Command::Resolve(args) => block_on(db::run_resolve(args)),
        Command::Baseline(args) => block_on(db::run_baseline(args)),
        Command::Adopt(args) => block_on(adopt::run(args)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
