//! Constructors for the code `migrations!` generates. Not a public API: the macro crate is
//! pinned to this crate's exact version, so they may change in any release.

use std::borrow::Cow;

pub use crate::migrations::{Dialect, MigrationState, ObjectKind};
use crate::migrations::{Hazard, Migration, Migrations, ObjectName};

/// Builds the embedded set.
pub const fn migrations(
    namespace: &'static str,
    dialect: Dialect,
    debug_assertions: bool,
    migrations: &'static [Migration],
) -> Migrations {
    migrations_with_externs(namespace, dialect, debug_assertions, migrations, &[])
}

/// [`migrations`] for a folder that declares externs.
pub const fn migrations_with_externs(
    namespace: &'static str,
    dialect: Dialect,
    debug_assertions: bool,
    migrations: &'static [Migration],
    externs: &'static [Cow<'static, str>],
) -> Migrations {
    Migrations {
        namespace: Cow::Borrowed(namespace),
        dialect,
        debug_assertions,
        migrations: Cow::Borrowed(migrations),
        externs: Cow::Borrowed(externs),
        downs: None,
    }
}

/// Builds one migration.
#[allow(clippy::too_many_arguments)]
pub const fn migration(
    version: u64,
    description: &'static str,
    path: &'static str,
    sql: &'static str,
    checksum: [u8; 32],
    state: MigrationState,
    transactional: bool,
    ranges: &'static [(usize, usize)],
    hazards: &'static [Hazard],
    creates: &'static [ObjectName],
    renames: &'static [(ObjectName, ObjectName)],
) -> Migration {
    Migration {
        version,
        description: Cow::Borrowed(description),
        path: Cow::Borrowed(path),
        sql: Cow::Borrowed(sql),
        checksum,
        state,
        transactional,
        ranges: Cow::Borrowed(ranges),
        hazards: Cow::Borrowed(hazards),
        creates: Cow::Borrowed(creates),
        renames: Cow::Borrowed(renames),
    }
}

/// Builds one data-loss hazard.
pub const fn hazard(
    statement: usize,
    code: &'static str,
    object: ObjectName,
    empty_table: Option<ObjectName>,
    message: &'static str,
) -> Hazard {
    Hazard {
        statement,
        code: Cow::Borrowed(code),
        object,
        empty_table,
        message: Cow::Borrowed(message),
    }
}

/// Builds one object name.
pub const fn object(
    kind: ObjectKind,
    schema: Option<&'static str>,
    name: &'static str,
    column: Option<&'static str>,
) -> ObjectName {
    ObjectName {
        kind,
        schema: match schema {
            Some(s) => Some(Cow::Borrowed(s)),
            None => None,
        },
        name: Cow::Borrowed(name),
        column: match column {
            Some(c) => Some(Cow::Borrowed(c)),
            None => None,
        },
    }
}

/// Whether the CLI accepts `name` for `--table` and `--schema` (the API's rule).
#[cfg(any(feature = "postgres", feature = "mysql", feature = "sqlite"))]
pub fn valid_identifier(name: &str) -> bool {
    crate::migrator::valid_identifier(name)
}

/// Whether the CLI accepts `name` for `--namespace` (the API's rule).
#[cfg(any(feature = "postgres", feature = "mysql", feature = "sqlite"))]
pub fn valid_namespace(name: &str) -> bool {
    crate::migrator::valid_namespace(name)
}

/// A placeholder the macro emits after a compile error, so one mistake gives one error.
pub const fn placeholder() -> Migrations {
    migrations("", Dialect::Sqlite, cfg!(debug_assertions), &[])
}
