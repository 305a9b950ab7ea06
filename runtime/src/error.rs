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
