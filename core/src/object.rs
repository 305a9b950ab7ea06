//! Names of schema objects, as hazards target them and migrations create them.

use std::fmt;

/// What kind of object a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// A schema (PostgreSQL) or database (MySQL).
    Schema,
    /// A table.
    Table,
    /// A column of a table: `name` is the table, `column` the column.
    Column,
    /// A view or materialized view.
    View,
    /// An index.
    Index,
    /// A type, such as a PostgreSQL enum; `column` holds an enum value when one is meant.
    Type,
    /// A sequence.
    Sequence,
}

impl ObjectKind {
    /// The lowercase word used in messages (`table`, `column`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Schema => "schema",
            ObjectKind::Table => "table",
            ObjectKind::Column => "column",
            ObjectKind::View => "view",
            ObjectKind::Index => "index",
            ObjectKind::Type => "type",
            ObjectKind::Sequence => "sequence",
        }
    }
}

/// A schema object, named as the database will resolve it.
///
/// Names are normalised per dialect: PostgreSQL folds unquoted identifiers to lowercase and keeps
/// quoted ones; MySQL and SQLite keep the spelling of the statement, and compare
/// case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Object {
    /// The kind of object.
    pub kind: ObjectKind,
    /// The schema it lives in, when the statement named one (`None`: the default schema).
    pub schema: Option<String>,
    /// The object's own name; for a column, the table's name.
    pub name: String,
    /// For a column, the column's name; for an enum value, the value.
    pub column: Option<String>,
}

impl Object {
    /// A table, view, index, type or sequence in `schema`.
    pub fn new(kind: ObjectKind, schema: Option<&str>, name: &str) -> Object {
        Object {
            kind,
            schema: schema.map(str::to_owned),
            name: name.to_owned(),
            column: None,
        }
    }

    /// A column of a table.
    pub fn column(schema: Option<&str>, table: &str, column: &str) -> Object {
        Object {
            kind: ObjectKind::Column,
            schema: schema.map(str::to_owned),
            name: table.to_owned(),
            column: Some(column.to_owned()),
        }
    }

    /// The table a column belongs to, or the object itself.
    pub fn table(&self) -> Object {
        match self.kind {
            ObjectKind::Column => Object {
                kind: ObjectKind::Table,
                schema: self.schema.clone(),
                name: self.name.clone(),
                column: None,
            },
            _ => self.clone(),
        }
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == ObjectKind::Schema {
            return f.write_str(&self.name);
        }
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
