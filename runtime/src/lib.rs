// The README is the user guide; its snippets need a migrations folder and a build script, so they
// are compiled by examples/quickstart and the UI tests rather than as doctests.
#![cfg_attr(not(doctest), doc = include_str!("../../README.md"))]
#![deny(missing_docs)]
// The README shows a build.rs, whose `fn main` is the point of the snippet.
#![allow(clippy::needless_doctest_main)]

mod error;
mod migrations;

#[cfg(any(feature = "postgres", feature = "mysql", feature = "sqlite"))]
mod backend;
#[cfg(feature = "drift")]
pub mod drift;
#[cfg(feature = "load")]
mod load;
#[cfg(any(feature = "postgres", feature = "mysql", feature = "sqlite"))]
mod migrator;

#[doc(hidden)]
pub mod __private;

#[cfg(any(feature = "postgres", feature = "mysql", feature = "sqlite"))]
pub use backend::Pool;
pub use driftless_macros::migrations;
pub use error::{Error, ErrorKind};
pub use migrations::{
    Dialect, Hazard, Migration, MigrationState, Migrations, ObjectKind, ObjectName,
};
#[cfg(all(
    feature = "load",
    any(feature = "postgres", feature = "mysql", feature = "sqlite")
))]
pub use migrator::{AdoptedMigration, Adoption, Tool, Verification};
#[cfg(any(feature = "postgres", feature = "mysql", feature = "sqlite"))]
pub use migrator::{Applied, CONSENT_ENV, Migrator, Plan, Planned, Progress, Report, Status};
#[cfg(all(
    feature = "load",
    any(feature = "postgres", feature = "mysql", feature = "sqlite")
))]
pub use migrator::{RevertReport, Reverted};
