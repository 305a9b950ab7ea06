//! Drift: the schema a history produces, compared with the schema a real database holds.
//!
//! [`model`] is the one schema model both sides fill: the replay of the history
//! ([`expected`]) and the runtime's read-only introspection of a database. [`compare`] normalises
//! what each engine normalises and reports every difference as extra, missing or changed, with
//! the migration that made the object what the history says, and the SQL that would bring one
//! side to the other. What either side cannot know is counted as not verified, never reported.

mod compare;
pub mod model;
mod normalize;
mod report;
mod sql;

pub use compare::compare;
pub use model::{
    Column, Constraint, ConstraintKind, Enum, Fact, Identity, Index, IndexPart, Name, Origin,
    Schema, Sequence, Table, View,
};
pub use report::{Drift, DriftKind, Report, Unverified};
