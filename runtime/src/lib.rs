#![doc = include_str!("../../README.md")]
#![deny(missing_docs)]

mod migrations;

#[doc(hidden)]
pub mod __private;

pub use driftless_macros::migrations;
pub use migrations::{
    Dialect, Hazard, Migration, MigrationState, Migrations, ObjectKind, ObjectName, Statement,
};
