//! driftless-core: the one verdict on a migrations folder.
//!
//! The `migrations!` macro, the `driftless-build` helper, the CLI and the tests all call
//! [`analyze`] on a [`Folder`] and reach the same verdict (CONTRACT §1). Analysis is pure and never
//! fails on user content: problems are [`Diagnostic`]s. The only IO is [`loader`].
#![deny(missing_docs)]

pub mod analysis;
pub mod checksum;
pub mod config;
pub mod declared;
pub mod diagnostic;
pub mod dialect;
pub mod directive;
pub mod drift;
pub mod folder;
pub mod foreign;
pub mod layout;
pub mod loader;
pub mod lock;
pub mod lockfile;
pub mod object;
pub mod schema;
pub mod split;

pub use analysis::{Analysis, Migration, MigrationState, Options, Statement, analyze};
pub use diagnostic::{Code, Diagnostic, Level, Severity};
pub use dialect::Dialect;
pub use folder::Folder;
pub use object::{Object, ObjectKind};
