//! Statements and code the parser cannot model: opaque statements, and the routines, triggers
//! and data changes found in a statement's tokens.

use sqlparser::ast::Statement;

use crate::diagnostic::Code;
use crate::dialect::Dialect;
use crate::schema::Replay;
use crate::schema::catalog::{Key, Table, Trigger, Type};
use crate::schema::lex::{self, Token};
use crate::schema::opaque::{self, Effect, Scan};

use super::{Created, Run, Stmt, unseen_object};

/// The routine name of a possibly qualified `schema.name`.
fn routine_name(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

impl Replay {
    /// A statement the parser did not understand: its names become uncertain, and tables and
    /// types it visibly creates (`DO` blocks guarding `CREATE TYPE`, dynamic SQL) are
    /// registered with unknown contents.
    pub(super) fn opaque(&mut self, run: &mut Run<'_>, st: &Stmt<'_>) {
        run.facts.statements[st.index].opaque = true;
        let mut words: Vec<(String, bool)> = Vec::new();
        lex::words(st.text, |word, _| {
            let end = word.as_ptr() as usize - st.text.as_ptr() as usize + word.len();
            let rest = st.text[end..].trim_start_matches(['"', '`']);
            words.push((word.to_lowercase(), rest.starts_with('.')));
        });
        for (word, _) in &words {
            self.uncertain.insert(word.clone());
        }
        let mut i = 0;
        while i < words.len() {
            if words[i].0 != "create" {
                i += 1;
                continue;
            }
            i += 1;
            while words.get(i).is_some_and(|(w, _)| {
                matches!(
                    w.as_str(),
                    "or" | "replace" | "temp" | "temporary" | "unlogged"
                )
            }) {
                i += 1;
            }
            let Some((kind, _)) = words.get(i).cloned() else {
                break;
            };
            if kind != "table" && kind != "type" {
                continue;
            }
            i += 1;
            while words
                .get(i)
                .is_some_and(|(w, _)| matches!(w.as_str(), "if" | "not" | "exists"))
            {
                i += 1;
            }
            let (schema, name) = match (words.get(i), words.get(i + 1)) {
                (Some((schema, true)), Some((name, _))) => (Some(schema.clone()), name.clone()),
                (Some((name, false)), _) => (None, name.clone()),
                _ => break,
            };
            let key = Key {
                schema: schema.clone().and_then(|s| self.default_schema(s)),
                name: name.clone(),
            };
            if kind == "table" && !self.catalog.tables.contains_key(&key) {
                self.catalog.tables.insert(
                    key.clone(),
                    Table {
                        schema: key.schema.clone(),
                        name,
                        columns: Vec::new(),
                        columns_known: false,
                        keys_known: false,
                        partition: false,
                        constraints: Vec::new(),
                        anonymous: true,
                        created_in: self.migration,
                        made: (self.migration, st.start),
                        origin: None,
                    },
                );
                run.created.push(Created::Table(key));
            } else if kind == "type" && !self.catalog.types.contains_key(&key) {
                self.catalog.types.insert(
                    key.clone(),
                    Type {
                        schema: key.schema.clone(),
                        name,
                        values: None,
                        fields: None,
                        created_in: self.migration,
                        made: (self.migration, st.start),
                    },
                );
                run.created.push(Created::Type(key));
            }
        }
    }

    /// What the replay learns from a statement's tokens, parsed or not: routines and triggers
    /// it defines, and data changes it cannot see (`DO`, `CALL`, `EXECUTE`, calls of
    /// functions, `PRAGMA writable_schema`).
    pub(super) fn unseen(
        &mut self,
        run: &mut Run<'_>,
        st: &Stmt<'_>,
        parsed: Option<&[Statement]>,
    ) {
        let toks = lex::tokens(st.text, self.dialect == Dialect::Mysql);
        let lead = opaque::leading(&toks);
        let scan = Scan::new(self.dialect, &self.catalog.routines);
        let mut found: Option<(String, String)> = None;
        match (self.dialect, lead.as_str()) {
            (Dialect::Postgres, "DO") => {
                if let Some(effect) = scan.do_block(&toks) {
                    found = Some((
                        "do block".to_owned(),
                        format!(
                            "this `do` block {}; driftless cannot see which rows it changes, so \
                             it may delete or overwrite data",
                            effect.describe()
                        ),
                    ));
                }
            }
            (Dialect::Postgres | Dialect::Mysql, "CALL") => {
                if let Some(Effect::Calls(name)) = scan.call(&toks, 1) {
                    let extra = match scan.routine_effect(routine_name(&name)) {
                        Some(effect) => format!(" (its body {})", effect.describe()),
                        None => " (it is not defined in this folder)".to_owned(),
                    };
                    found = Some((
                        format!("procedure {name}"),
                        format!(
                            "calling procedure `{name}` may delete or overwrite data: driftless \
                             cannot see what it does{extra}"
                        ),
                    ));
                }
            }
            (Dialect::Postgres | Dialect::Mysql, "EXECUTE") => {
                // MariaDB's `EXECUTE IMMEDIATE 'sql'` is read; `EXECUTE name` is not followed.
                let literal = match (toks.get(1), toks.get(2)) {
                    (Some(Token::Word(w)), Some(Token::Str(text)))
                        if w.eq_ignore_ascii_case("immediate") =>
                    {
                        Some(text.to_string())
                    }
                    _ => None,
                };
                match literal {
                    Some(text) => {
                        if let Some(effect) = scan.literal(&text) {
                            found = Some((
                                "execute".to_owned(),
                                format!(
                                    "`execute immediate` {}; driftless cannot see which rows it \
                                     changes, so it may delete or overwrite data",
                                    effect.describe()
                                ),
                            ));
                        }
                    }
                    None => {
                        let prepared = match toks.get(1) {
                            Some(Token::Word(w)) => w.to_lowercase(),
                            Some(Token::Quoted(q)) => (*q).to_owned(),
                            _ => String::new(),
                        };
                        found = Some((
                            format!("execute {prepared}").trim_end().to_owned(),
                            format!(
                                "`execute {prepared}` runs a prepared statement that driftless \
                                 cannot see; it may delete or overwrite data"
                            ),
                        ));
                    }
                }
            }
            (_, "CREATE") => {
                if self.dialect != Dialect::Sqlite
                    && let Some((name, effect)) = scan.routine(&toks)
                {
                    self.catalog.routines.insert(name.to_lowercase(), effect);
                } else if let Some(def) = scan.trigger(&toks) {
                    let table = Key {
                        schema: def
                            .table
                            .0
                            .map(|s| s.to_lowercase())
                            .and_then(|s| self.default_schema(s)),
                        name: def.table.1.to_lowercase(),
                    };
                    let key = Key {
                        schema: None,
                        name: def.name.1.to_lowercase(),
                    };
                    let exists = self.catalog.triggers.contains_key(&key);
                    if !exists {
                        self.catalog.triggers.insert(
                            key,
                            Trigger {
                                name: def.name.1,
                                table,
                                events: def.events,
                                effect: def.effect,
                                created_in: self.migration,
                            },
                        );
                    }
                }
            }
            (Dialect::Sqlite, "PRAGMA") if opaque::sets_writable_schema(&toks) => {
                found = Some((
                    "pragma writable_schema".to_owned(),
                    "`pragma writable_schema` lets the migration edit the schema table directly; \
                     driftless cannot see what that does, and it can corrupt or lose tables and \
                     their data"
                        .to_owned(),
                ));
            }
            (Dialect::Postgres | Dialect::Mysql, _) => {
                let query = match parsed {
                    Some(statements) => statements.iter().any(|s| matches!(s, Statement::Query(_))),
                    None => matches!(lead.as_str(), "SELECT" | "WITH" | "VALUES"),
                };
                if query && let Some(Effect::Calls(name)) = scan.calls(&toks, 0, toks.len(), false)
                {
                    let extra = match scan.routine_effect(routine_name(&name)) {
                        Some(effect) => format!(" (its body {})", effect.describe()),
                        None => " (it is not a known read-only built-in)".to_owned(),
                    };
                    found = Some((
                        format!("function {name}"),
                        format!(
                            "calling function `{name}` may delete or overwrite data: driftless \
                             cannot see what it does{extra}"
                        ),
                    ));
                }
            }
            _ => {}
        }
        if found.is_none() && parsed.is_none() {
            // The parser could not read it (or it was too deep to parse safely), so its rows
            // are unseen: a statement that deletes or overwrites rows by its first words.
            let word = |i: usize| match toks.get(i) {
                Some(Token::Word(w)) => w.to_ascii_uppercase(),
                _ => String::new(),
            };
            let destructive = match lead.as_str() {
                "DELETE" | "UPDATE" | "TRUNCATE" | "MERGE" | "REPLACE" => true,
                "DROP" => matches!(word(1).as_str(), "TABLE" | "SCHEMA" | "DATABASE"),
                "ALTER" => toks.windows(2).any(|w| {
                    matches!(w, [Token::Word(a), Token::Word(b)]
                        if a.eq_ignore_ascii_case("drop") && b.eq_ignore_ascii_case("column"))
                }),
                _ => false,
            };
            if destructive {
                let verb = lead.to_ascii_lowercase();
                found = Some((
                    format!("unparsed {verb}"),
                    format!(
                        "this `{verb}` statement could not be parsed, so driftless cannot see \
                         which rows it deletes or overwrites"
                    ),
                ));
            }
        }
        if let Some((label, message)) = found {
            self.hazard(
                run,
                st,
                Code::OpaqueDataChange,
                unseen_object(&label),
                None,
                message,
            );
        }
    }
}
