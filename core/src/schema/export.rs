//! The replayed catalog as the drift model: what the history says the database holds.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::dialect::Dialect;
use crate::drift::{self, Fact, Identity, Origin};

use super::Replay;
use super::catalog::{ConstraintKind, Key, Made, Table};

/// A part of the schema a replay produces, as [`Replay::take_schema_in_parts`] gives it.
pub(crate) enum Part {
    /// The schema without its tables: the first part.
    Rest(drift::Schema),
    /// The next tables, in name order.
    Tables(Vec<(drift::Name, drift::Table)>),
}

impl Replay {
    /// The schema the migrations replayed so far produce. `files` holds each replayed
    /// migration's path and text, in order, so origins point at `file:line`.
    ///
    /// The replay is consumed: its names, types and defaults move into the model rather than
    /// being copied.
    pub fn into_schema(mut self, files: &[(&str, &str)]) -> drift::Schema {
        self.take_schema(files)
    }

    /// [`Replay::into_schema`], leaving the emptied catalog to be freed when the caller likes.
    pub(crate) fn take_schema(&mut self, files: &[(&str, &str)]) -> drift::Schema {
        let mut schema = drift::Schema::default();
        let mut tables = Vec::new();
        self.take_schema_in_parts(files, usize::MAX, |part| match part {
            Part::Rest(rest) => schema = rest,
            Part::Tables(chunk) => tables.extend(chunk),
        });
        schema.tables = tables.into_iter().collect();
        schema
    }

    /// [`Replay::take_schema`] in parts, so another thread can compare them as they come: first
    /// the schema without its tables, then the tables in name order, `chunk` at a time.
    /// A foreign key written without the columns it references gets the target's primary key
    /// columns here, so a table can be compared without the others.
    pub(crate) fn take_schema_in_parts(
        &mut self,
        files: &[(&str, &str)],
        chunk: usize,
        mut send: impl FnMut(Part),
    ) {
        let dialect = self.dialect;
        let catalog = &mut self.catalog;
        // Each file's path is shared by every object it made, and its lines are counted by a
        // `Lines` that stays linear in the file's size whatever order the objects come in.
        let paths: Vec<std::cell::OnceCell<Arc<str>>> =
            files.iter().map(|_| std::cell::OnceCell::new()).collect();
        let lines: Vec<std::cell::RefCell<Lines>> = files
            .iter()
            .map(|_| std::cell::RefCell::new(Lines::default()))
            .collect();
        // The objects a statement makes come together (a table, then its columns): the last
        // origin is kept for them.
        let last: std::cell::RefCell<Option<(Made, Origin)>> = std::cell::RefCell::new(None);
        let origin = |made: Made| -> Option<Origin> {
            if let Some((last_made, origin)) = &*last.borrow()
                && *last_made == made
            {
                return Some(origin.clone());
            }
            let index = made.0.checked_sub(1)?;
            let (file, sql) = files.get(index)?;
            let start = made.1.min(sql.len());
            let skipped = sql[start..].len() - sql[start..].trim_start().len();
            let at = start + skipped;
            let origin = Origin {
                file: paths[index].get_or_init(|| Arc::from(*file)).clone(),
                line: lines[index].borrow_mut().line(sql.as_bytes(), at),
                offset: at,
            };
            *last.borrow_mut() = Some((made, origin.clone()));
            Some(origin)
        };
        let name = |key: Key| drift::Name {
            schema: key.schema,
            name: key.name,
        };
        let mut schema = drift::Schema {
            uncertain: self.uncertain.iter().cloned().collect(),
            externs: self.externs.clone(),
            ..drift::Schema::default()
        };
        // MySQL's implicit foreign-key indexes are the engine's, not the user's: introspection
        // leaves them out too.
        let mut engine_indexes: HashSet<(&Key, &str)> = HashSet::new();
        if dialect == Dialect::Mysql {
            for (key, table) in &catalog.tables {
                for c in &table.constraints {
                    if c.kind == ConstraintKind::Index && c.generated {
                        engine_indexes.insert((key, &c.key));
                    }
                }
            }
        }
        // Each table's indexes, moved out of the catalog.
        let mut by_table: HashMap<Key, Vec<drift::Index>> =
            HashMap::with_capacity(catalog.tables.len());
        for (key, index) in catalog.indexes.iter_mut() {
            if index.backs_constraint
                || (!engine_indexes.is_empty()
                    && engine_indexes.contains(&(&index.table, key.name.as_str())))
            {
                continue;
            }
            let table = Key {
                schema: index.table.schema.take(),
                name: std::mem::take(&mut index.table.name),
            };
            by_table.entry(table).or_default().push(drift::Index {
                name: std::mem::take(&mut index.name),
                key: key.name.clone(),
                unique: index.unique,
                parts: std::mem::replace(&mut index.parts, Fact::Unknown),
                predicate: std::mem::replace(&mut index.predicate, Fact::Unknown),
                origin: origin(index.made),
            });
        }
        drop(engine_indexes);
        // The targets' primary keys, for foreign keys written without the columns they
        // reference.
        let mut primary_keys: HashMap<Key, Vec<String>> = HashMap::new();
        for table in catalog.tables.values() {
            for c in &table.constraints {
                if let (ConstraintKind::ForeignKey, Some((target, columns))) = (c.kind, &c.target)
                    && columns.is_empty()
                    && !primary_keys.contains_key(target)
                    && let Some(pk) = catalog.tables.get(target).and_then(|t| {
                        t.constraints
                            .iter()
                            .find(|c| c.kind == ConstraintKind::PrimaryKey)
                    })
                {
                    primary_keys.insert(target.clone(), pk.columns.clone());
                }
            }
        }
        schema.views = catalog
            .views
            .iter_mut()
            .map(|(key, view)| {
                let view_name = name(key.clone());
                let view = drift::View {
                    name: view_name.clone(),
                    materialized: view.materialized,
                    definition: view.definition.take(),
                    origin: origin(view.made),
                };
                (view_name, view)
            })
            .collect();
        for (key, ty) in catalog.types.iter_mut() {
            let type_name = name(key.clone());
            if let Some(values) = ty.values.take() {
                schema.enums.insert(
                    type_name.clone(),
                    drift::Enum {
                        name: type_name.clone(),
                        values: Fact::Known(values),
                        origin: origin(ty.made),
                    },
                );
            }
            if let Some(fields) = ty.fields.take() {
                schema.composites.insert(
                    type_name.clone(),
                    drift::Composite {
                        name: type_name,
                        fields,
                        origin: origin(ty.made),
                    },
                );
            }
        }
        for (key, sequence) in catalog.sequences.iter() {
            if !sequence.owned {
                let sequence_name = name(key.clone());
                schema.sequences.insert(
                    sequence_name.clone(),
                    drift::Sequence {
                        name: sequence_name,
                        origin: origin(sequence.made),
                    },
                );
            }
        }
        send(Part::Rest(schema));
        // The tables in name order (`Key` orders as `drift::Name` does).
        let mut work: Vec<(&Key, &mut Table)> = catalog
            .tables
            .iter_mut()
            // MySQL introspection reads the connection's database only; a partition is its
            // parent's business.
            .filter(|(key, table)| {
                !(dialect == Dialect::Mysql && key.schema.is_some() || table.partition)
            })
            .collect();
        work.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for part in work.chunks_mut(chunk.max(1)) {
            let mut converted = Vec::with_capacity(part.len());
            for (key, table) in part.iter_mut() {
                let key: &Key = key;
                let columns = std::mem::take(&mut table.columns)
                    .into_iter()
                    .map(|c| {
                        let mysql_vague = c.vague && dialect == Dialect::Mysql;
                        drift::Column {
                            ty: if c.vague && c.ty.is_empty() {
                                Fact::Unknown
                            } else {
                                Fact::Known(c.ty)
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
                                c.default
                            },
                            identity: if mysql_vague {
                                Fact::Unknown
                            } else {
                                Fact::Known(c.identity)
                            },
                            origin: origin(c.made),
                            key: c.key,
                            name: c.name,
                        }
                    })
                    .collect();
                let constraints = std::mem::take(&mut table.constraints)
                    .into_iter()
                    .filter_map(|c| {
                        let kind = match c.kind {
                            ConstraintKind::PrimaryKey => drift::ConstraintKind::PrimaryKey,
                            ConstraintKind::Unique => drift::ConstraintKind::Unique,
                            ConstraintKind::ForeignKey => {
                                let (target, mut columns) = c.target?;
                                if columns.is_empty()
                                    && let Some(pk) = primary_keys.get(&target)
                                {
                                    columns.clone_from(pk);
                                }
                                drift::ConstraintKind::ForeignKey {
                                    table: name(target),
                                    columns,
                                    on_delete: c.actions.0,
                                    on_update: c.actions.1,
                                }
                            }
                            ConstraintKind::Check => drift::ConstraintKind::Check(c.check),
                            ConstraintKind::Index => return None,
                        };
                        let unnamed = c.name.is_empty()
                            || dialect == Dialect::Sqlite
                            || (c.generated
                                && dialect == Dialect::Mysql
                                && c.kind == ConstraintKind::Check);
                        Some(drift::Constraint {
                            name: (!unnamed).then_some(c.name),
                            columns: if c.kind == ConstraintKind::Check {
                                Vec::new()
                            } else {
                                c.columns
                            },
                            kind,
                            origin: origin(c.made),
                        })
                    })
                    .collect();
                let mut indexes = by_table.remove(key).unwrap_or_default();
                indexes.sort_by(|a, b| a.key.cmp(&b.key));
                let table_name = name(key.clone());
                converted.push((
                    table_name.clone(),
                    drift::Table {
                        name: table_name,
                        columns,
                        columns_known: table.columns_known,
                        keys_known: table.keys_known,
                        constraints,
                        indexes,
                        origin: origin(table.made),
                    },
                ));
            }
            send(Part::Tables(converted));
        }
    }
}

/// The 1-based lines of offsets in one file, asked in any order. The objects a statement makes
/// share its offset, so each offset asked is remembered with its line, and a new one is counted
/// from the nearest remembered offset before it: in random order that reads the file about
/// `ln n` times. Should it read more than 4 times the file, the line starts are listed and
/// searched instead. Counting from the start for every object made a schema.sql of 1,000 tables
/// quadratic, and listing every file's line starts up front cost more than the rest of the
/// export. A file of at most [`SMALL`] bytes (a migration, usually) is counted from its start.
#[derive(Default)]
struct Lines {
    /// Offsets asked, with their lines.
    known: std::collections::BTreeMap<usize, usize>,
    /// Bytes read so far.
    read: usize,
    starts: Option<Vec<usize>>,
}

/// The size up to which a file's lines are counted from its start.
const SMALL: usize = 4096;

impl Lines {
    fn line(&mut self, text: &[u8], at: usize) -> usize {
        let at = at.min(text.len());
        if let Some(starts) = &self.starts {
            return starts.partition_point(|&i| i < at) + 1;
        }
        // A migration's few kilobytes are counted from the start: no bookkeeping.
        if text.len() <= SMALL {
            return 1 + text[..at].iter().filter(|&&b| b == b'\n').count();
        }
        let (from, line) = match self.known.range(..=at).next_back() {
            Some((&offset, &line)) if offset == at => return line,
            Some((&offset, &line)) => (offset, line),
            None => (0, 1),
        };
        self.read += at - from;
        if self.read > 4 * text.len() {
            let starts: Vec<usize> = text
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i)
                .collect();
            let line = starts.partition_point(|&i| i < at) + 1;
            self.starts = Some(starts);
            self.known = std::collections::BTreeMap::new();
            return line;
        }
        let line = line + text[from..at].iter().filter(|&&b| b == b'\n').count();
        self.known.insert(at, line);
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Lines asked in any order, of small and large files, are those counted from the start.
        #[test]
        fn lines_in_any_order_are_counted_right(
            lengths in prop::collection::vec(0usize..120, 1..400),
            asked in prop::collection::vec(any::<prop::sample::Index>(), 1..200),
        ) {
            let text: String = lengths.iter().map(|&n| format!("{}\n", "x".repeat(n))).collect();
            let bytes = text.as_bytes();
            let mut lines = Lines::default();
            for index in asked {
                let at = index.index(bytes.len() + 1);
                let expected = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
                prop_assert_eq!(lines.line(bytes, at), expected);
            }
        }
    }
}
