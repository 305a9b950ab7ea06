//! Table renames (`ALTER TABLE ... RENAME TO`, `RENAME TABLE`, PostgreSQL's `SET SCHEMA`) and
//! the recognition of table rebuilds at the end of a migration.

use sqlparser::ast::{Ident, ObjectName};
use sqlparser::tokenizer::Span;

use crate::diagnostic::Code;
use crate::dialect::Dialect;
use crate::schema::catalog::{ConstraintKind, Key, Name, Table};
use crate::schema::{Hazard, Replay};

use super::{Created, HELP_TABLE, Run, Stmt, column_object, display, table_object};

impl Replay {
    /// PostgreSQL's `ALTER TABLE [IF EXISTS] [ONLY] name SET SCHEMA schema`, which the parser
    /// does not know: a rename into another schema. Returns false when the statement has another
    /// shape.
    pub(super) fn set_schema(&mut self, run: &mut Run<'_>, st: &Stmt<'_>) -> bool {
        use sqlparser::dialect::PostgreSqlDialect;
        use sqlparser::tokenizer::{Token, Tokenizer};
        if self.dialect != Dialect::Postgres {
            return false;
        }
        let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, st.text).tokenize() else {
            return false;
        };
        let tokens: Vec<Token> = tokens
            .into_iter()
            .filter(|t| !matches!(t, Token::Whitespace(_) | Token::SemiColon))
            .collect();
        let word = |t: &Token| match t {
            Token::Word(w) => Some(Ident {
                value: w.value.clone(),
                quote_style: w.quote_style,
                span: Span::empty(),
            }),
            _ => None,
        };
        let keyword = |t: Option<&Token>, k: &str| {
            t.and_then(word)
                .is_some_and(|w| w.quote_style.is_none() && w.value.eq_ignore_ascii_case(k))
        };
        let mut i = 0;
        if !(keyword(tokens.first(), "alter") && keyword(tokens.get(1), "table")) {
            return false;
        }
        i += 2;
        if keyword(tokens.get(i), "if") && keyword(tokens.get(i + 1), "exists") {
            i += 2;
        }
        if keyword(tokens.get(i), "only") {
            i += 1;
        }
        let mut parts = Vec::new();
        loop {
            let Some(part) = tokens.get(i).and_then(word) else {
                return false;
            };
            parts.push(part);
            i += 1;
            if tokens.get(i) == Some(&Token::Period) {
                i += 1;
            } else {
                break;
            }
        }
        if !(keyword(tokens.get(i), "set") && keyword(tokens.get(i + 1), "schema")) {
            return false;
        }
        let Some(schema) = tokens.get(i + 2).and_then(word) else {
            return false;
        };
        if tokens.len() != i + 3 || parts.len() > 2 {
            return false;
        }
        let Some(last) = parts.last().cloned() else {
            return false;
        };
        let old = ObjectName::from(parts);
        let new = ObjectName::from(vec![schema, last]);
        self.rename_table_statement(run, st, &old, &new);
        true
    }

    /// Book-keeping of a table renamed from `from` to `to` (not yet re-inserted).
    pub(super) fn renamed_table(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        table: &mut Table,
        from: &Key,
        to: &Name,
    ) {
        let migration = self.migration;
        let origin = match &table.origin {
            Some((m, origin)) if *m == migration => origin.clone(),
            _ => from.clone(),
        };
        table.origin = Some((migration, origin.clone()));
        let old = table_object(table);
        let old_display = display(table);
        table.schema = to.schema.clone();
        table.name = to.name.clone();
        let new = table_object(table);
        self.note_table_rename(run, &old, &new, table.created_in < migration);
        self.catalog.move_indexes(from, &to.key);
        self.forget_view_queries(&from.name);
        for other in self.catalog.tables.values_mut() {
            for constraint in &mut other.constraints {
                if let Some((target, _)) = &mut constraint.target
                    && target == from
                {
                    *target = to.key.clone();
                }
            }
        }
        for constraint in &mut table.constraints {
            if let Some((target, _)) = &mut constraint.target
                && target == from
            {
                *target = to.key.clone();
            }
        }
        if self.dialect == Dialect::Mysql {
            // InnoDB renames the foreign keys it named after the table.
            let old_prefix = format!("{}_ibfk_", from.name);
            for constraint in &mut table.constraints {
                if let Some(n) = constraint.key.strip_prefix(&old_prefix)
                    && constraint.kind == ConstraintKind::ForeignKey
                {
                    constraint.name = format!("{}_ibfk_{n}", to.name);
                    constraint.key = constraint.name.to_lowercase();
                }
            }
        }
        for copy in &mut run.copies {
            if copy.into == *from {
                copy.into = to.key.clone();
            }
            if copy.from == *from {
                copy.from = to.key.clone();
            }
        }
        if table.created_in < migration {
            self.hazard(
                run,
                st,
                Code::RenameTable,
                old.clone(),
                None,
                format!(
                    "renaming table `{old_display}` to `{}` breaks code that still uses \
                     `{old_display}`",
                    to.display()
                ),
            );
            run.renames.push((st.index, old, origin));
        } else {
            run.created.push(Created::Table(to.key.clone()));
        }
    }

    pub(super) fn rename_table_statement(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        old: &ObjectName,
        new: &ObjectName,
    ) {
        let old = self.name(st, old);
        let new = self.name(st, new);
        let Some(mut table) = self.catalog.tables.remove(&old.key) else {
            self.report(
                run,
                Code::MissingTable,
                old.range.clone().unwrap_or(st.range()),
                self.certainty(&old.key, None),
                format!("table `{}` does not exist", old.display()),
                HELP_TABLE,
            );
            return;
        };
        if self.catalog.tables.contains_key(&new.key) || self.catalog.views.contains_key(&new.key) {
            self.report(
                run,
                Code::ObjectExists,
                new.range.clone().unwrap_or(st.range()),
                self.certainty(&new.key, None),
                format!("table `{}` already exists", new.display()),
                "pick another name, or drop the existing table first",
            );
            self.catalog.tables.insert(old.key, table);
            return;
        }
        self.renamed_table(run, st, &mut table, &old.key, &new);
        self.catalog.tables.insert(new.key, table);
        self.resolve_rebuilds(run);
    }

    /// Recognises table rebuilds: a pre-existing table was copied into a new one with
    /// `INSERT ... SELECT`, dropped, and the new table now has its original name. Only the
    /// columns the copy left out are lost.
    pub(super) fn resolve_rebuilds(&mut self, run: &mut Run<'_>) {
        let migration = self.migration;
        for i in 0..run.dropped.len() {
            if run.dropped[i].resolved {
                continue;
            }
            let dropped = &run.dropped[i];
            let Some(copy) = run.copies.iter().find(|c| {
                c.from == dropped.key
                    && c.into == dropped.origin
                    && self.catalog.tables.contains_key(&c.into)
            }) else {
                continue;
            };
            let old = dropped.hazard_object.clone();
            // Name the lost columns after the table as it is known from now on.
            let rebuilt = &self.catalog.tables[&copy.into];
            let mut hazards = Vec::new();
            for column in &dropped.table.columns {
                let copied = copy
                    .columns
                    .as_ref()
                    .is_none_or(|names| names.contains(&column.key));
                if column.created_in < migration && !copied {
                    hazards.push(Hazard {
                        code: Code::DropColumn,
                        range: dropped.range.clone(),
                        object: column_object(rebuilt, &column.name),
                        empty_table: Some(table_object(rebuilt)),
                        message: format!(
                            "rebuilding table `{}` drops column `{}.{}`, which the copy leaves \
                             out, and loses its data",
                            display(rebuilt),
                            display(rebuilt),
                            column.name
                        ),
                    });
                }
            }
            let facts = &mut run.facts.statements[dropped.stmt].hazards;
            facts.retain(|h| !(h.code == Code::DropTable && h.object == old));
            facts.extend(hazards);
            // The rebuilt table carries the old one's history.
            let origin = dropped.origin.clone();
            let old_table = dropped.table.clone();
            if let Some(new) = self.catalog.tables.get_mut(&copy.into) {
                new.created_in = old_table.created_in;
                for column in &mut new.columns {
                    match old_table.column(&column.key) {
                        Some(old) => column.created_in = old.created_in,
                        None => run
                            .created
                            .push(Created::Column(origin.clone(), column.key.clone())),
                    }
                }
            }
            for (stmt, object, _) in run.renames.iter().filter(|(_, _, o)| *o == origin) {
                run.facts.statements[*stmt]
                    .hazards
                    .retain(|h| !(h.code == Code::RenameTable && h.object == *object));
            }
            run.renames.retain(|(_, _, o)| *o != origin);
            run.dropped[i].resolved = true;
        }
    }
}
