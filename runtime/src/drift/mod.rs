//! The schema model of drift detection and, with a backend feature, `Migrator::introspect`: a
//! read-only reading of a live database into it.
//!
//! The types are `driftless-core`'s, re-exported here so that applications do not name that
//! crate. Introspection fills them the way the model documents: names are the engine's comparison
//! keys (PostgreSQL as stored, MySQL and SQLite lowercase), the default schema is `schema: None`,
//! and types and defaults keep the catalog's own spelling.

#[cfg(any(feature = "postgres", feature = "mysql", feature = "sqlite"))]
mod check;
#[cfg(any(feature = "postgres", feature = "mysql", feature = "sqlite"))]
mod introspect;

#[cfg(any(feature = "postgres", feature = "mysql", feature = "sqlite"))]
pub use check::{Drift, HalfApplied};

/// One difference between the history and the database.
pub use driftless_core::drift::Drift as Difference;
pub use driftless_core::drift::{
    Action, Column, Constraint, ConstraintKind, DriftKind, Enum, Fact, Identity, Index, IndexPart,
    Name, Origin, Report, Schema, Sequence, Table, Unverified, View, migration, schema_sql,
};
