//! DROP statements.

use sqlparser::ast::{ObjectName, ObjectType};

use crate::diagnostic::Code;
use crate::dialect::Dialect;
use crate::object::{Object, ObjectKind};
use crate::schema::Replay;
use crate::schema::catalog::{Catalog, Key, Name};

use super::{Certainty, Dropped, HELP_DROP, HELP_TABLE, Run, Stmt, display, object, table_object};

impl Replay {
    pub(super) fn drop(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        object_type: ObjectType,
        if_exists: bool,
        name: &ObjectName,
        table: Option<&ObjectName>,
    ) {
        let name = self.name(st, name);
        let range = name.range.clone().unwrap_or(st.range());
        match object_type {
            ObjectType::Table => self.drop_table(run, st, &name, if_exists),
            ObjectType::View | ObjectType::MaterializedView
                if self.catalog.views.remove(&name.key).is_none() && !if_exists =>
            {
                self.report(
                    run,
                    Code::MissingObject,
                    range,
                    self.certainty(&name.key, None),
                    format!("view `{}` does not exist", name.display()),
                    HELP_DROP,
                );
            }
            ObjectType::Index => {
                let (key, certainty) = match (self.dialect, table) {
                    (Dialect::Mysql, Some(table)) => {
                        let table = self.name(st, table);
                        let anonymous = self
                            .catalog
                            .tables
                            .get(&table.key)
                            .is_none_or(|t| t.anonymous || !t.columns_known);
                        let certainty = match self.certainty(&table.key, Some(&name.key.name)) {
                            Certainty::Certain if anonymous => Certainty::Uncertain,
                            other => other,
                        };
                        let key = Key {
                            schema: Catalog::mysql_index_scope(&table.key),
                            name: name.key.name.clone(),
                        };
                        (key, certainty)
                    }
                    _ => {
                        let certainty = match self.certainty(&name.key, None) {
                            Certainty::Certain if self.catalog.any_anonymous => {
                                Certainty::Uncertain
                            }
                            other => other,
                        };
                        (name.key.clone(), certainty)
                    }
                };
                match self.catalog.indexes.remove(&key) {
                    Some(index) => {
                        if let Some(table) = self.catalog.tables.get_mut(&index.table) {
                            table.constraints.retain(|c| c.key != key.name);
                        }
                    }
                    None if !if_exists => self.report(
                        run,
                        Code::MissingObject,
                        range,
                        certainty,
                        format!("index `{}` does not exist", name.display()),
                        HELP_DROP,
                    ),
                    None => {}
                }
            }
            ObjectType::Schema | ObjectType::Database => {
                let schema = name.key.name.clone();
                match self.catalog.schemas.remove(&schema) {
                    Some(removed) => {
                        if removed.created_in < self.migration {
                            self.hazard(
                                run,
                                st,
                                Code::DropSchema,
                                Object::new(ObjectKind::Schema, None, &removed.name),
                                None,
                                format!(
                                    "dropping schema `{}` loses every table in it",
                                    removed.name
                                ),
                            );
                        }
                        self.catalog.remove_schema(&schema);
                    }
                    None => {
                        // MySQL's current database has no name the replay could know.
                        let unknown = self.dialect == Dialect::Mysql
                            || self.word_uncertain(&schema)
                            || self.extern_schemas.contains(&schema);
                        if unknown {
                            self.hazard(
                                run,
                                st,
                                Code::DropSchema,
                                Object::new(ObjectKind::Schema, None, &name.name),
                                None,
                                format!("dropping schema `{}` loses every table in it", name.name),
                            );
                        }
                        if !if_exists {
                            let certainty = if self.extern_schemas.contains(&schema) {
                                Certainty::Extern
                            } else if unknown {
                                Certainty::Uncertain
                            } else {
                                Certainty::Certain
                            };
                            self.report(
                                run,
                                Code::MissingObject,
                                range,
                                certainty,
                                format!("schema `{}` does not exist", name.name),
                                HELP_DROP,
                            );
                        }
                    }
                }
            }
            ObjectType::Type if self.catalog.types.remove(&name.key).is_none() && !if_exists => {
                self.report(
                    run,
                    Code::MissingObject,
                    range,
                    self.certainty(&name.key, None),
                    format!("type `{}` does not exist", name.display()),
                    HELP_DROP,
                );
            }
            ObjectType::Sequence
                if self.catalog.sequences.remove(&name.key).is_none() && !if_exists =>
            {
                self.report(
                    run,
                    Code::MissingObject,
                    range,
                    self.certainty(&name.key, None),
                    format!("sequence `{}` does not exist", name.display()),
                    HELP_DROP,
                );
            }
            _ => {}
        }
    }

    fn drop_table(&mut self, run: &mut Run<'_>, st: &Stmt<'_>, name: &Name, if_exists: bool) {
        if self
            .catalog
            .tables
            .get(&name.key)
            .is_some_and(|t| t.created_in < self.migration)
        {
            let indexes = self
                .catalog
                .indexes
                .iter()
                .filter(|(_, index)| index.table == name.key)
                .map(|(key, _)| key.name.clone());
            run.dropped_indexes.extend(indexes);
        }
        match self.catalog.remove_table(&name.key) {
            Some(table) => {
                if table.created_in >= self.migration {
                    return;
                }
                let obj = table_object(&table);
                let hazard_object = self.origin_of(run, &obj);
                self.hazard(
                    run,
                    st,
                    Code::DropTable,
                    obj.clone(),
                    Some(obj.clone()),
                    format!("dropping table `{}` loses its data", display(&table)),
                );
                self.forget_table(run, &obj);
                let origin = match &table.origin {
                    Some((m, origin)) if *m == self.migration => origin.clone(),
                    _ => name.key.clone(),
                };
                run.dropped.push(Dropped {
                    stmt: st.index,
                    range: st.range(),
                    key: name.key.clone(),
                    origin,
                    hazard_object,
                    table,
                    resolved: false,
                });
                self.resolve_rebuilds(run);
            }
            None => {
                if self.catalog.views.contains_key(&name.key) {
                    return;
                }
                let certainty = self.certainty(&name.key, None);
                if certainty != Certainty::Certain {
                    // Owned elsewhere or made by an unparsed statement: it may hold data.
                    let obj = object(ObjectKind::Table, &name.schema, &name.name);
                    self.hazard(
                        run,
                        st,
                        Code::DropTable,
                        obj.clone(),
                        Some(obj),
                        format!("dropping table `{}` loses its data", name.display()),
                    );
                }
                if !if_exists {
                    self.report(
                        run,
                        Code::MissingTable,
                        name.range.clone().unwrap_or(st.range()),
                        certainty,
                        format!("table `{}` does not exist", name.display()),
                        HELP_TABLE,
                    );
                }
            }
        }
    }
}
