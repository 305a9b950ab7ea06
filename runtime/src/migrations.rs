//! The embedded value: plain data describing checked migrations, built by `migrations!` as a
//! constant (or at run time by [`Migrations::load`] with the `load` feature).

use std::borrow::Cow;
use std::fmt;

/// The SQL dialect a set of migrations was checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// MySQL and MariaDB.
    Mysql,
    /// SQLite.
    Sqlite,
}

impl Dialect {
    /// `postgres`, `mysql` or `sqlite`.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
            Dialect::Sqlite => "sqlite",
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a migration is locked in `driftless.lock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MigrationState {
    /// Not locked yet: a release binary refuses to apply it unless `allow_drafts` is set.
    Draft,
    /// Locked: its checksum is committed.
    Locked,
    /// Locked by `driftless lock --adopt` (a history that already ran elsewhere).
    Adopted,
}

/// What kind of object an [`ObjectName`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// A schema or (MySQL) database.
    Schema,
    /// A table.
    Table,
    /// A column: `name` is its table.
    Column,
    /// A view.
    View,
    /// An index.
    Index,
    /// A type; `column` holds an enum value when one is meant.
    Type,
    /// A sequence.
    Sequence,
}

/// A schema object, normalised as the analysis saw it (PostgreSQL: unquoted names folded to
/// lowercase; MySQL, SQLite: as written, compared case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectName {
    pub(crate) kind: ObjectKind,
    pub(crate) schema: Option<Cow<'static, str>>,
    pub(crate) name: Cow<'static, str>,
    pub(crate) column: Option<Cow<'static, str>>,
}

impl ObjectName {
    /// The kind of object.
    pub fn kind(&self) -> ObjectKind {
        self.kind
    }
    /// The schema, when the statement named one.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }
    /// The object's name (a column's table).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The column (or enum value).
    pub fn column(&self) -> Option<&str> {
        self.column.as_deref()
    }
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            write!(f, "{schema}.")?;
        }
        f.write_str(&self.name)?;
        if let Some(column) = &self.column {
            write!(f, ".{column}")?;
        }
        Ok(())
    }
}

/// A data-loss hazard of a statement, acknowledged in the file (or adopted). At deploy time it
/// needs the operator's consent unless no data that existed can be lost.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hazard {
    pub(crate) statement: usize,
    pub(crate) code: Cow<'static, str>,
    pub(crate) object: ObjectName,
    pub(crate) empty_table: Option<ObjectName>,
    pub(crate) message: Cow<'static, str>,
}

impl Hazard {
    /// The index of its statement in [`Migration::statement_ranges`].
    pub fn statement(&self) -> usize {
        self.statement
    }
    /// The diagnostic code (`drop-column`).
    pub fn code(&self) -> &str {
        &self.code
    }
    /// The object whose data is at stake.
    pub fn object(&self) -> &ObjectName {
        &self.object
    }
    /// The table whose emptiness means nothing can be lost, if any.
    pub fn empty_table(&self) -> Option<&ObjectName> {
        self.empty_table.as_ref()
    }
    /// What happens (`dropping column `users.email` loses its data`).
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// One checked migration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Migration {
    pub(crate) version: u64,
    pub(crate) description: Cow<'static, str>,
    pub(crate) path: Cow<'static, str>,
    pub(crate) sql: Cow<'static, str>,
    pub(crate) checksum: [u8; 32],
    pub(crate) state: MigrationState,
    pub(crate) transactional: bool,
    // Plain pairs rather than a struct with its own slice: the macro's constant stays cheap for
    // rustc to check (a literal of integer pairs is promoted, a slice of structs needs an item).
    pub(crate) ranges: Cow<'static, [(usize, usize)]>,
    pub(crate) hazards: Cow<'static, [Hazard]>,
    pub(crate) creates: Cow<'static, [ObjectName]>,
    pub(crate) renames: Cow<'static, [(ObjectName, ObjectName)]>,
}

impl Migration {
    /// The version (ordering is numeric).
    pub fn version(&self) -> u64 {
        self.version
    }
    /// The description part of the file name (`create_users`).
    pub fn description(&self) -> &str {
        &self.description
    }
    /// The file, relative to the migrations folder (`0001_create_users.sql`).
    pub fn path(&self) -> &str {
        &self.path
    }
    /// The SQL text as written.
    pub fn sql(&self) -> &str {
        &self.sql
    }
    /// SHA-256 of the content (CRLF→LF, leading BOM removed).
    pub fn checksum(&self) -> &[u8; 32] {
        &self.checksum
    }
    /// The checksum as lowercase hex, as stored in the history table.
    pub fn checksum_hex(&self) -> String {
        self.checksum.iter().map(|b| format!("{b:02x}")).collect()
    }
    /// Draft, locked or adopted.
    pub fn state(&self) -> MigrationState {
        self.state
    }
    /// Whether it runs in one transaction with its history row (false for `no-transaction`).
    pub fn is_transactional(&self) -> bool {
        self.transactional
    }
    /// How many statements it has.
    pub fn statement_count(&self) -> usize {
        self.ranges.len()
    }
    /// The byte range of each statement in [`Migration::sql`], in order.
    pub fn statement_ranges(&self) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
        self.ranges.iter().map(|&(start, end)| start..end)
    }
    /// The text of each statement, in order, exactly as it is sent to the database.
    pub fn statement_sql(&self) -> impl Iterator<Item = &str> + '_ {
        self.ranges
            .iter()
            .map(|&(start, end)| &self.sql[start..end])
    }
    /// Its data-loss hazards, in statement order.
    pub fn hazards(&self) -> std::slice::Iter<'_, Hazard> {
        self.hazards.iter()
    }
    /// Objects it creates that a later migration's data-loss hazard may refer to: the runtime
    /// waives consent for hazards on objects created earlier in the same run.
    pub fn creates(&self) -> &[ObjectName] {
        &self.creates
    }
    /// Pre-existing tables and columns it renames, as `(name after it, name before it)`: the
    /// runtime follows a table through renames, so consent is about the table, not its name.
    pub fn renames(&self) -> &[(ObjectName, ObjectName)] {
        &self.renames
    }
}

/// A checked set of migrations for one namespace, as embedded by `migrations!`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Migrations {
    pub(crate) namespace: Cow<'static, str>,
    pub(crate) dialect: Dialect,
    pub(crate) debug_assertions: bool,
    pub(crate) migrations: Cow<'static, [Migration]>,
    /// Objects the folder does not own (`extern` in `driftless.toml`), as configured.
    pub(crate) externs: Cow<'static, [Cow<'static, str>]>,
    /// The down files of the folder, when the value was loaded at run time
    /// ([`Migrations::load`]); `None` when embedded by `migrations!`, which does not carry them.
    #[cfg_attr(not(feature = "load"), allow(dead_code))]
    pub(crate) downs: Option<Vec<Down>>,
}

/// The down file of a migration (sqlx reversible `N_name.down.sql`, diesel `down.sql`), kept by
/// [`Migrations::load`] for reverting. Never embedded, never run by `migrate`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(not(feature = "load"), allow(dead_code))]
pub(crate) struct Down {
    /// The version of the migration it undoes.
    pub version: u64,
    /// The file, relative to the migrations folder.
    pub path: String,
    /// Its text; `None` when it is not valid UTF-8 (reverting it refuses, naming the file).
    pub sql: Option<String>,
}

impl Migrations {
    /// The objects `driftless.toml` declares owned outside the folder (`schema.table`, `table`
    /// or `schema.*`): drift never reports them.
    pub fn externs(&self) -> impl Iterator<Item = &str> {
        self.externs.iter().map(|e| e.as_ref())
    }
    /// The namespace; empty for the application's default namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }
    /// The dialect the migrations were checked for.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }
    /// Whether the crate that embedded them was built with debug assertions.
    pub fn debug_assertions(&self) -> bool {
        self.debug_assertions
    }
    /// The migrations, ordered by version.
    pub fn migrations(&self) -> &[Migration] {
        &self.migrations
    }
    /// Whether this value carries the folder's down files (loaded at run time with
    /// [`Migrations::load`]); the `migrations!` macro does not embed them, so an embedded value
    /// cannot revert.
    pub fn has_down_files(&self) -> bool {
        self.downs.is_some()
    }
    /// The down file of `version`, relative to the folder, if the value carries one.
    pub fn down_path(&self, version: u64) -> Option<&str> {
        self.downs
            .as_ref()?
            .iter()
            .find(|d| d.version == version)
            .map(|d| d.path.as_str())
    }
    /// Returns the same migrations as if embedded by a build with (or without) debug assertions:
    /// how tests exercise a release binary's refusal of drafts.
    #[doc(hidden)]
    pub fn __with_debug_assertions(mut self, on: bool) -> Migrations {
        self.debug_assertions = on;
        self
    }

    /// Returns the same migrations without the down files [`Migrations::load`] keeps: the value
    /// `migrations!` embeds for the same folder (how tests compare the two).
    #[doc(hidden)]
    pub fn __without_down_files(mut self) -> Migrations {
        self.downs = None;
        self
    }

    /// Returns the same migrations in another namespace (for a library embedding its schema).
    pub fn with_namespace(mut self, namespace: impl Into<Cow<'static, str>>) -> Migrations {
        self.namespace = namespace.into();
        self
    }
}
