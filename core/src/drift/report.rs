//! What a comparison finds: drift (extra, missing, changed) and what it could not verify.

use std::fmt;

use super::model::Origin;

/// How an object differs between the history and the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DriftKind {
    /// The database has it; the history does not.
    Extra,
    /// The history has it; the database does not.
    Missing,
    /// Both have it, and they differ.
    Changed,
}

impl DriftKind {
    /// `extra`, `missing` or `changed`.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::Extra => "extra",
            DriftKind::Missing => "missing",
            DriftKind::Changed => "changed",
        }
    }
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Extra, missing or changed.
    pub kind: DriftKind,
    /// The kind of object: `table`, `column`, `index`, `constraint`, `view`, `enum`, `sequence`.
    pub object_kind: &'static str,
    /// The object (`users`, `users.email`, `users_email_key`).
    pub object: String,
    /// What differs, for a change (`type`, `nullability`, `default`, `identity`, `values`,
    /// `definition`, `name`); empty otherwise.
    pub aspect: &'static str,
    /// What the history says (`None` when the history has no such object).
    pub history: Option<String>,
    /// What the database has (`None` when it has no such object).
    pub database: Option<String>,
    /// The migration statement that made the object what the history says.
    pub origin: Option<Origin>,
    /// Where the other side made it: the declared schema's statement (`schema.sql`); `None` for
    /// a live database.
    pub database_origin: Option<Origin>,
    /// SQL that would bring the database back to the history.
    pub to_history: String,
    /// SQL a new migration would run to bring the history to the database (a captured hotfix).
    pub to_database: String,
}

impl Drift {
    /// One line: `changed column users.email (type): history varchar(100), database text`.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} {} {}",
            self.kind.as_str(),
            self.object_kind,
            self.object
        );
        if !self.aspect.is_empty() {
            line.push_str(&format!(" ({})", self.aspect));
        }
        match (&self.history, &self.database) {
            (Some(h), Some(d)) => line.push_str(&format!(": history {h}, database {d}")),
            (Some(h), None) => line.push_str(&format!(": history {h}")),
            (None, Some(d)) => line.push_str(&format!(": database {d}")),
            (None, None) => {}
        }
        if let Some(origin) = &self.origin {
            line.push_str(&format!(" [{origin}]"));
        }
        line
    }
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

/// An object or fact the comparison could not decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unverified {
    /// The object (`table events`, `column users.tags`, `view active_users`).
    pub object: String,
    /// Why (`an opaque statement may have changed it`, `the replay cannot name the columns of
    /// CREATE TABLE … AS`).
    pub why: String,
}

/// The result of comparing the history's schema with a database's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The differences, tables first, in name order.
    pub drift: Vec<Drift>,
    /// What could not be decided: never drift, but not proven equal either.
    pub unverified: Vec<Unverified>,
    /// How many objects (tables, columns, constraints, indexes, views, enums, sequences) were
    /// compared.
    pub compared: usize,
}

impl Report {
    /// Whether the database and the history disagree.
    pub fn has_drift(&self) -> bool {
        !self.drift.is_empty()
    }
}
