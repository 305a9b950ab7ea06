//! Views, enum and composite types, and sequences.

use crate::dialect::Dialect;

use super::super::model::{Composite, Fact, Name, View};
use super::super::normalize;
use super::super::report::{Drift, DriftKind};
use super::super::sql;
use super::Cmp;

impl Cmp<'_> {
    pub(super) fn views(&mut self) {
        let d = self.dialect;
        for (name, view) in &self.history.views {
            self.report.compared += 1;
            if let Some(other) = self.database.views.get(name) {
                self.view(name, view, other);
                continue;
            }
            let sure = !self.uncertain(&name.name);
            let at = view
                .origin
                .as_ref()
                .map(|o| format!(" (see {o})"))
                .unwrap_or_default();
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Missing,
                    object_kind: "view",
                    object: name.to_string(),
                    aspect: "",
                    history: Some("view".into()),
                    database: None,
                    origin: view.origin.clone(),
                    database_origin: None,
                    to_history: sql::create_view(d, name, view).unwrap_or_else(|| {
                        format!(
                            "-- re-create view {} from its definition in the history{at}",
                            sql::qualified(d, name)
                        )
                    }),
                    to_database: sql::drop_view(d, name, view.materialized),
                },
            );
        }
        for (name, view) in self.extras(&self.database.views, &self.history.views) {
            self.report.compared += 1;
            let sure = !self.uncertain(&name.name);
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Extra,
                    object_kind: "view",
                    object: name.to_string(),
                    aspect: "",
                    history: None,
                    database: Some("view".into()),
                    origin: None,
                    database_origin: view.origin.clone(),
                    to_history: sql::drop_view(d, name, view.materialized),
                    to_database: sql::create_view(d, name, view).unwrap_or_else(|| {
                        format!(
                            "-- CREATE VIEW {} AS …: copy its definition from the database",
                            sql::qualified(d, name)
                        )
                    }),
                },
            );
        }
    }

    /// Compares two views of the same name: their kind, and on SQLite their queries. SQLite
    /// keeps a view's statement as written; PostgreSQL and MySQL print the query in their own
    /// words (qualified columns, aliases, parentheses), so a `schema.sql` pulled from them
    /// differs in spelling from the history's on every view, and their queries are not
    /// compared.
    fn view(&mut self, name: &Name, h: &View, e: &View) {
        let d = self.dialect;
        let (Some(hq), Some(eq)) = (&h.definition, &e.definition) else {
            return;
        };
        let same_query = d != Dialect::Sqlite || normalize::expr(d, hq) == normalize::expr(d, eq);
        if same_query && h.materialized == e.materialized {
            return;
        }
        let shown = |v: &View, query: &str| {
            let kind = if v.materialized {
                "materialized view"
            } else {
                "view"
            };
            format!("{kind} AS {query}")
        };
        let sure = !self.uncertain(&name.name);
        self.drift(
            sure,
            Drift {
                kind: DriftKind::Changed,
                object_kind: "view",
                object: name.to_string(),
                aspect: "definition",
                history: Some(shown(h, hq)),
                database: Some(shown(e, eq)),
                origin: h.origin.clone(),
                database_origin: e.origin.clone(),
                to_history: sql::replace_view(d, self.database, self.history, name),
                to_database: sql::replace_view(d, self.history, self.database, name),
            },
        );
    }

    pub(super) fn enums(&mut self) {
        let d = self.dialect;
        let list = |values: &[String]| {
            values
                .iter()
                .map(|v| sql::literal(v))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (name, h) in &self.history.enums {
            self.report.compared += 1;
            let sure = !self.uncertain(&name.name);
            let Some(e) = self.database.enums.get(name) else {
                let values = h.values.known().map(|v| list(v)).unwrap_or_default();
                self.drift(
                    sure,
                    Drift {
                        kind: DriftKind::Missing,
                        object_kind: "enum",
                        object: name.to_string(),
                        aspect: "",
                        history: Some(format!("({values})")),
                        database: None,
                        origin: h.origin.clone(),
                        database_origin: None,
                        to_history: format!(
                            "CREATE TYPE {} AS ENUM ({values});",
                            sql::qualified(d, name)
                        ),
                        to_database: format!("DROP TYPE {};", sql::qualified(d, name)),
                    },
                );
                continue;
            };
            let (Fact::Known(hv), Fact::Known(ev)) = (&h.values, &e.values) else {
                self.unverified(
                    format!("enum {name}"),
                    "its values are not known to the replay",
                );
                continue;
            };
            if hv == ev {
                continue;
            }
            let added: Vec<&String> = ev.iter().filter(|v| !hv.contains(v)).collect();
            let to_database = if hv.iter().all(|v| ev.contains(v)) {
                added
                    .iter()
                    .map(|v| {
                        let at = ev.iter().position(|x| x == *v).unwrap_or(0);
                        let place = match at.checked_sub(1).map(|p| &ev[p]) {
                            Some(prev) => format!(" AFTER {}", sql::literal(prev)),
                            None => format!(" BEFORE {}", sql::literal(&ev[1.min(ev.len() - 1)])),
                        };
                        format!(
                            "ALTER TYPE {} ADD VALUE {}{place};",
                            sql::qualified(d, name),
                            sql::literal(v)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                format!(
                    "-- the values of {} differ beyond additions: re-create the type",
                    sql::qualified(d, name)
                )
            };
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Changed,
                    object_kind: "enum",
                    object: name.to_string(),
                    aspect: "values",
                    history: Some(format!("({})", list(hv))),
                    database: Some(format!("({})", list(ev))),
                    origin: h.origin.clone(),
                    database_origin: e.origin.clone(),
                    to_history: format!(
                        "-- PostgreSQL cannot drop an enum value: re-create {} with ({})",
                        sql::qualified(d, name),
                        list(hv)
                    ),
                    to_database,
                },
            );
        }
        for (name, e) in self.extras(&self.database.enums, &self.history.enums) {
            self.report.compared += 1;
            let values = e.values.known().map(|v| list(v)).unwrap_or_default();
            let sure = !self.uncertain(&name.name);
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Extra,
                    object_kind: "enum",
                    object: name.to_string(),
                    aspect: "",
                    history: None,
                    database: Some(format!("({values})")),
                    origin: None,
                    database_origin: e.origin.clone(),
                    to_history: format!("DROP TYPE {};", sql::qualified(d, name)),
                    to_database: format!(
                        "CREATE TYPE {} AS ENUM ({values});",
                        sql::qualified(d, name)
                    ),
                },
            );
        }
    }

    pub(super) fn composites(&mut self) {
        let d = self.dialect;
        let fields = |c: &Composite| -> Vec<(String, String)> {
            c.fields
                .iter()
                .map(|(n, t)| {
                    let t = normalize::ty(d, t).unwrap_or_else(|| t.to_lowercase());
                    (n.clone(), t)
                })
                .collect()
        };
        let describe = |c: &Composite| {
            let f: Vec<String> = c.fields.iter().map(|(n, t)| format!("{n} {t}")).collect();
            format!("({})", f.join(", "))
        };
        for (name, h) in &self.history.composites {
            self.report.compared += 1;
            let sure = !self.uncertain(&name.name);
            let drift = match self.database.composites.get(name) {
                Some(e) if fields(h) == fields(e) => continue,
                Some(e) => Drift {
                    kind: DriftKind::Changed,
                    object_kind: "type",
                    object: name.to_string(),
                    aspect: "fields",
                    history: Some(describe(h)),
                    database: Some(describe(e)),
                    origin: h.origin.clone(),
                    database_origin: e.origin.clone(),
                    to_history: format!(
                        "DROP TYPE {};\n{}",
                        sql::qualified(d, name),
                        sql::create_composite(d, name, h)
                    ),
                    to_database: format!(
                        "DROP TYPE {};\n{}",
                        sql::qualified(d, name),
                        sql::create_composite(d, name, e)
                    ),
                },
                None => Drift {
                    kind: DriftKind::Missing,
                    object_kind: "type",
                    object: name.to_string(),
                    aspect: "",
                    history: Some(describe(h)),
                    database: None,
                    origin: h.origin.clone(),
                    database_origin: None,
                    to_history: sql::create_composite(d, name, h),
                    to_database: format!("DROP TYPE {};", sql::qualified(d, name)),
                },
            };
            self.drift(sure, drift);
        }
        for (name, e) in self.extras(&self.database.composites, &self.history.composites) {
            self.report.compared += 1;
            let sure = !self.uncertain(&name.name);
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Extra,
                    object_kind: "type",
                    object: name.to_string(),
                    aspect: "",
                    history: None,
                    database: Some(describe(e)),
                    origin: None,
                    database_origin: e.origin.clone(),
                    to_history: format!("DROP TYPE {};", sql::qualified(d, name)),
                    to_database: sql::create_composite(d, name, e),
                },
            );
        }
    }

    pub(super) fn sequences(&mut self) {
        let d = self.dialect;
        for (name, h) in &self.history.sequences {
            self.report.compared += 1;
            if self.database.sequences.contains_key(name) {
                continue;
            }
            let sure = !self.uncertain(&name.name);
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Missing,
                    object_kind: "sequence",
                    object: name.to_string(),
                    aspect: "",
                    history: Some("sequence".into()),
                    database: None,
                    origin: h.origin.clone(),
                    database_origin: None,
                    to_history: format!("CREATE SEQUENCE {};", sql::qualified(d, name)),
                    to_database: format!("DROP SEQUENCE {};", sql::qualified(d, name)),
                },
            );
        }
        for (name, e) in self.extras(&self.database.sequences, &self.history.sequences) {
            self.report.compared += 1;
            let sure = !self.uncertain(&name.name);
            self.drift(
                sure,
                Drift {
                    kind: DriftKind::Extra,
                    object_kind: "sequence",
                    object: name.to_string(),
                    aspect: "",
                    history: None,
                    database: Some("sequence".into()),
                    origin: None,
                    database_origin: e.origin.clone(),
                    to_history: format!("DROP SEQUENCE {};", sql::qualified(d, name)),
                    to_database: format!("CREATE SEQUENCE {};", sql::qualified(d, name)),
                },
            );
        }
    }
}
