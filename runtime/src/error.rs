//! The one error type of the runtime: an opaque [`Error`] with a [`kind`](Error::kind).

use std::fmt;

/// What went wrong. Every refusal's message names the command an operator can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The database returned an error outside a migration (connecting, reading the history).
    Database,
    /// The migration lock was not acquired within `acquire_timeout`.
    LockTimeout,
    /// The migrations were checked for another dialect than the database's.
    DialectMismatch,
    /// An applied migration's checksum differs from the embedded one (the file was edited).
    ChecksumMismatch,
    /// The history holds an applied migration this binary does not know (a newer deploy ran, or a
    /// file was deleted). Allowed by `allow_unknown_applied`.
    UnknownApplied,
    /// A pending migration is older than the newest applied one. Allowed by `allow_out_of_order`.
    OutOfOrder,
    /// A migration is recorded as `failed`: resolve it before anything else runs.
    FailedMigration,
    /// A migration is recorded as `running`: a run was interrupted and some of its statements
    /// may have committed.
    InterruptedMigration,
    /// A release binary would apply a draft (unlocked) migration without `allow_drafts`.
    Draft,
    /// A pending migration can lose data that exists and has no consent.
    ConsentRequired,
    /// A consent value (`DRIFTLESS_ALLOW_DESTRUCTIVE` or the API) is malformed.
    InvalidConsent,
    /// The database holds tables but no history: baseline it first.
    NoHistory,
    /// A migration's statement failed; it was rolled back (or recorded with the statements done).
    MigrationFailed,
    /// A repair command named a version that cannot be resolved or baselined.
    InvalidRepair,
    /// A migrations folder could not be loaded or has errors (the `load` feature).
    Load,
    /// A history table, schema or namespace name is not allowed (see [`Migrator::table`]).
    ///
    /// [`Migrator::table`]: crate::Migrator::table
    InvalidName,
    /// The database could not be reached within `acquire_timeout`.
    ConnectTimeout,
    /// `refuse_drift` is on and the database differs from the schema its history produces:
    /// nothing was applied (the `drift` feature).
    Drift,
    /// A revert would need a down file that a migration does not have (flat and Prisma layouts
    /// have none; a sqlx or diesel migration may lack one), or the value does not carry down
    /// files (`migrations!` does not embed them): nothing was reverted.
    NoDownFile,
    /// A release binary was asked to revert without `allow_release_revert`: nothing was
    /// reverted.
    ReleaseRevert,
}

impl ErrorKind {
    /// Whether the error is a refusal: a check stopped the call before it changed anything
    /// (an edited or unknown applied migration, out of order, a `failed` or `running` row, a
    /// draft, missing consent, no history, drift, a dialect, name or consent value that is
    /// wrong, a folder with errors, no down file, a release revert). The other kinds are
    /// failures: the database, a lock or connection timeout, a migration that failed. The
    /// `driftless migrate` and `revert` commands exit 1 on a refusal and 2 on a failure.
    pub fn is_refusal(self) -> bool {
        match self {
            ErrorKind::Database
            | ErrorKind::LockTimeout
            | ErrorKind::ConnectTimeout
            | ErrorKind::MigrationFailed => false,
            ErrorKind::DialectMismatch
            | ErrorKind::ChecksumMismatch
            | ErrorKind::UnknownApplied
            | ErrorKind::OutOfOrder
            | ErrorKind::FailedMigration
            | ErrorKind::InterruptedMigration
            | ErrorKind::Draft
            | ErrorKind::ConsentRequired
            | ErrorKind::InvalidConsent
            | ErrorKind::NoHistory
            | ErrorKind::InvalidRepair
            | ErrorKind::Load
            | ErrorKind::InvalidName
            | ErrorKind::Drift
            | ErrorKind::NoDownFile
            | ErrorKind::ReleaseRevert => true,
        }
    }
}

/// An error of the runtime.
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

// Without a backend nothing (or only `load`) constructs errors; the type still exists for the API.
#[cfg_attr(
    not(any(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(dead_code)
)]
impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn database(context: &str, source: sqlx::Error) -> Error {
        // The cause is in the message too: operators read `{}` at 3 a.m., and tools that walk
        // `source()` find the sqlx error (its SQLSTATE included) there.
        Error {
            kind: ErrorKind::Database,
            message: format!("{context}: {source}"),
            source: Some(Box::new(source)),
        }
    }

    /// The same error with a cause attached.
    pub(crate) fn with_source(mut self, source: sqlx::Error) -> Error {
        self.source = Some(Box::new(source));
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
