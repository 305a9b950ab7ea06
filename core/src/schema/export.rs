//! The replayed catalog as the drift model: what the history says the database holds.

use crate::dialect::Dialect;
use crate::drift::{self, Fact, Identity, Origin};

use super::Replay;
use super::catalog::{ConstraintKind, Key, Made};

impl Replay {
    /// The schema the migrations replayed so far produce. `files` holds each replayed
    /// migration's path and text, in order, so origins point at `file:line`.
    pub fn schema(&self, files: &[(&str, &str)]) -> drift::Schema {
        // Where each file's lines start, built on first use: counting newlines from the start
        // for every object made a schema.sql of 1,000 tables quadratic.
        let newlines: Vec<std::cell::OnceCell<Vec<usize>>> =
            files.iter().map(|_| std::cell::OnceCell::new()).collect();
        let origin = |made: Made| -> Option<Origin> {
            let index = made.0.checked_sub(1)?;
            let (file, sql) = files.get(index)?;
            let start = made.1.min(sql.len());
            let skipped = sql[start..].len() - sql[start..].trim_start().len();
            let at = start + skipped;
            let breaks = newlines[index].get_or_init(|| {
                sql.bytes()
                    .enumerate()
                    .filter(|(_, b)| *b == b'\n')
                    .map(|(i, _)| i)
                    .collect()
            });
            let line = breaks.partition_point(|&i| i < at) + 1;
            Some(Origin {
                file: (*file).to_owned(),
                line,
                offset: at,
            })
        };
        let name = |key: &Key| drift::Name {
            schema: key.schema.clone(),
            name: key.name.clone(),
        };
        let dialect = self.dialect;
        let mut schema = drift::Schema {
            uncertain: self.uncertain.iter().cloned().collect(),
            externs: self.externs.clone(),
            ..drift::Schema::default()
        };
        // Indexes by table: a scan of every index per table was quadratic.
        let mut by_table: std::collections::HashMap<&Key, Vec<(&Key, &super::catalog::Index)>> =
            std::collections::HashMap::new();
        for (k, i) in &self.catalog.indexes {
            if !i.backs_constraint {
                by_table.entry(&i.table).or_default().push((k, i));
            }
        }
        for (key, table) in &self.catalog.tables {
            // MySQL introspection reads the connection's database only; a partition is its
            // parent's business.
            if dialect == Dialect::Mysql && key.schema.is_some() || table.partition {
                continue;
            }
            let columns = table
                .columns
                .iter()
                .map(|c| {
                    let mysql_vague = c.vague && dialect == Dialect::Mysql;
                    drift::Column {
                        key: c.key.clone(),
                        name: c.name.clone(),
                        ty: if c.vague && c.ty.is_empty() {
                            Fact::Unknown
                        } else {
                            Fact::Known(c.ty.clone())
                        },
                        nullable: if mysql_vague {
                            Fact::Unknown
                        } else if dialect == Dialect::Sqlite {
                            Fact::Known(!c.declared_not_null)
                        } else {
                            Fact::Known(!c.not_null)
                        },
                        default: if mysql_vague {
                            Fact::Unknown
                        } else if c.identity == Identity::Serial {
                            Fact::Known(None)
                        } else {
                            c.default.clone()
                        },
                        identity: if mysql_vague {
                            Fact::Unknown
                        } else {
                            Fact::Known(c.identity)
                        },
                        origin: origin(c.made),
                    }
                })
                .collect();
            let constraints = table
                .constraints
                .iter()
                .filter_map(|c| {
                    let kind = match c.kind {
                        ConstraintKind::PrimaryKey => drift::ConstraintKind::PrimaryKey,
                        ConstraintKind::Unique => drift::ConstraintKind::Unique,
                        ConstraintKind::ForeignKey => {
                            let (target, columns) = c.target.clone()?;
                            drift::ConstraintKind::ForeignKey {
                                table: name(&target),
                                columns,
                            }
                        }
                        ConstraintKind::Check => drift::ConstraintKind::Check(c.check.clone()),
                        ConstraintKind::Index => return None,
                    };
                    let unnamed = c.name.is_empty()
                        || dialect == Dialect::Sqlite
                        || (c.generated
                            && dialect == Dialect::Mysql
                            && c.kind == ConstraintKind::Check);
                    Some(drift::Constraint {
                        name: (!unnamed).then(|| c.name.clone()),
                        kind,
                        columns: if c.kind == ConstraintKind::Check {
                            Vec::new()
                        } else {
                            c.columns.clone()
                        },
                        origin: origin(c.made),
                    })
                })
                .collect();
            let indexes = by_table
                .get(key)
                .into_iter()
                .flatten()
                .filter(|(k, _)| {
                    // MySQL's implicit foreign-key index is the engine's, not the user's:
                    // introspection leaves it out too.
                    !table
                        .constraints
                        .iter()
                        .any(|c| c.kind == ConstraintKind::Index && c.generated && c.key == k.name)
                })
                .map(|(k, i)| drift::Index {
                    name: i.name.clone(),
                    key: k.name.clone(),
                    unique: i.unique,
                    parts: i.parts.clone(),
                    predicate: i.predicate.clone(),
                    origin: origin(i.made),
                })
                .collect();
            schema.tables.insert(
                name(key),
                drift::Table {
                    name: name(key),
                    columns,
                    columns_known: table.columns_known,
                    keys_known: table.keys_known,
                    constraints,
                    indexes,
                    origin: origin(table.made),
                },
            );
        }
        for (key, view) in &self.catalog.views {
            schema.views.insert(
                name(key),
                drift::View {
                    name: name(key),
                    materialized: view.materialized,
                    definition: view.definition.clone(),
                    origin: origin(view.made),
                },
            );
        }
        for (key, ty) in &self.catalog.types {
            if let Some(values) = &ty.values {
                schema.enums.insert(
                    name(key),
                    drift::Enum {
                        name: name(key),
                        values: Fact::Known(values.clone()),
                        origin: origin(ty.made),
                    },
                );
            }
        }
        for (key, ty) in &self.catalog.types {
            if let Some(fields) = &ty.fields {
                schema.composites.insert(
                    name(key),
                    drift::Composite {
                        name: name(key),
                        fields: fields.clone(),
                        origin: origin(ty.made),
                    },
                );
            }
        }
        for (key, sequence) in &self.catalog.sequences {
            if !sequence.owned {
                schema.sequences.insert(
                    name(key),
                    drift::Sequence {
                        name: name(key),
                        origin: origin(sequence.made),
                    },
                );
            }
        }
        schema
    }
}
