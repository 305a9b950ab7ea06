//! `-- driftless:` directives: one grammar (docs/directives.md).

use std::ops::Range;

use crate::diagnostic::Code;

/// A directive found in a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    /// `allow <code>[, <code>]: <reason>`.
    Allow {
        /// The codes it allows.
        codes: Vec<Code>,
        /// Why, in the author's words.
        reason: String,
        /// The file, or the index of the statement it precedes.
        scope: Scope,
        /// Where the comment is.
        range: Range<usize>,
    },
    /// `no-transaction` (or sqlx's `-- no-transaction`, diesel's `run_in_transaction = false`).
    NoTransaction {
        /// Where it is written (empty for diesel's metadata.toml).
        range: Range<usize>,
    },
}

/// What an `allow` covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole file.
    File,
    /// The statement with this index.
    Statement(usize),
}
