//! What the replay cannot see a statement do to data (CONTRACT §5, issue 7).
//!
//! PL/pgSQL `DO` blocks, calls of functions and procedures, `EXECUTE`, `PRAGMA writable_schema`
//! and SQLite triggers run code whose effect on existing rows the catalog cannot model. This
//! module reads such code at the level of tokens and answers one question: could it delete or
//! overwrite data? When it cannot tell, the answer is yes (an [`Effect`]); when the code only
//! creates things, reads, or calls read-only built-ins, the answer is no, so the guarded
//! `CREATE TYPE` blocks and helper calls of real histories stay clean.

use std::collections::HashMap;

use super::lex::{self, Token};
use crate::dialect::Dialect;

/// What a piece of SQL may do to data that the replay cannot follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Effect {
    /// A statement that deletes or overwrites rows or drops objects (`delete`, `drop table`).
    Runs(String),
    /// SQL built at run time (`EXECUTE` of a variable).
    Dynamic,
    /// A function or procedure that is neither a known read-only built-in nor defined earlier
    /// in the folder with a body that changes no data.
    Calls(String),
    /// Code in a language other than SQL and PL/pgSQL.
    Language(String),
}

impl Effect {
    /// `runs `delete``, `calls `archive()``, ... for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Effect::Runs(what) => format!("runs `{what}`"),
            Effect::Dynamic => "runs SQL built at run time (`execute`)".to_owned(),
            Effect::Calls(name) => format!("calls `{name}`"),
            Effect::Language(language) => format!("is written in `{language}`"),
        }
    }
}

/// Functions and procedures created by the folder so far, by lowercase name: `None` when the
/// body changes no data, else what it may do.
pub(crate) type Routines = HashMap<String, Option<Effect>>;

/// A trigger definition read from a SQLite `CREATE TRIGGER`.
#[derive(Debug, Clone)]
pub(crate) struct TriggerDef {
    /// Schema (as written) and name.
    pub name: (Option<String>, String),
    /// The table it is on: schema (as written) and name.
    pub table: (Option<String>, String),
    /// Fires on INSERT, UPDATE, DELETE.
    pub events: [bool; 3],
    /// What its body may do to data; `None` when it changes none.
    pub effect: Option<Effect>,
}

/// Nested `EXECUTE` literals deeper than this are treated as unknown.
const MAX_DEPTH: usize = 8;

/// Reads tokens of one dialect against the routines known so far.
pub(crate) struct Scan<'r> {
    dialect: Dialect,
    routines: &'r Routines,
    depth: usize,
}

fn upper(token: Option<&Token<'_>>) -> String {
    match token {
        Some(Token::Word(w)) => w.to_ascii_uppercase(),
        _ => String::new(),
    }
}

fn is_word(token: Option<&Token<'_>>, word: &str) -> bool {
    matches!(token, Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
}

/// The name a word or quoted identifier token stands for (unquoted words lowercased).
fn ident(token: Option<&Token<'_>>) -> Option<String> {
    match token {
        Some(Token::Word(w)) => Some(w.to_lowercase()),
        Some(Token::Quoted(q)) => Some((*q).to_owned()),
        _ => None,
    }
}

/// A possibly qualified name at `at`: `(schema, name, index after it)`.
fn qualified(toks: &[Token<'_>], at: usize) -> Option<(Option<String>, String, usize)> {
    let first = ident(toks.get(at))?;
    let mut parts = vec![first];
    let mut i = at + 1;
    while toks.get(i) == Some(&Token::Punct(b'.')) {
        match ident(toks.get(i + 1)) {
            Some(part) => parts.push(part),
            None => break,
        }
        i += 2;
    }
    let name = parts.pop()?;
    Some((parts.pop(), name, i))
}

fn display(schema: &Option<String>, name: &str) -> String {
    match schema {
        Some(schema) => format!("{schema}.{name}"),
        None => name.to_owned(),
    }
}

/// The first word of a statement, uppercase (empty when it starts with no word).
pub(crate) fn leading(toks: &[Token<'_>]) -> String {
    upper(toks.first())
}

/// Whether a SQLite `PRAGMA` sets `writable_schema` (reading it changes nothing).
pub(crate) fn sets_writable_schema(toks: &[Token<'_>]) -> bool {
    if !is_word(toks.first(), "pragma") {
        return false;
    }
    let Some((_, name, next)) = qualified(toks, 1) else {
        return false;
    };
    name == "writable_schema"
        && matches!(
            toks.get(next),
            Some(Token::Punct(b'=')) | Some(Token::Punct(b'('))
        )
}

/// The index of the `;` ending the statement that contains `from`, or the length.
fn statement_end(toks: &[Token<'_>], from: usize) -> usize {
    toks[from.min(toks.len())..]
        .iter()
        .position(|t| *t == Token::Punct(b';'))
        .map_or(toks.len(), |p| from + p)
}

impl<'r> Scan<'r> {
    pub(crate) fn new(dialect: Dialect, routines: &'r Routines) -> Scan<'r> {
        Scan {
            dialect,
            routines,
            depth: 0,
        }
    }

    /// Words after which a new statement of a body starts.
    fn opens_statement(&self, word: &str) -> bool {
        matches!(
            word,
            "BEGIN" | "THEN" | "ELSE" | "LOOP" | "DECLARE" | "EXCEPTION" | "ATOMIC"
        ) || (self.dialect == Dialect::Mysql && matches!(word, "DO" | "REPEAT"))
    }

    /// The index where the part of a statement that starts at `from` ends: the next `;` or
    /// the next word that opens a nested statement (`THEN`, `LOOP`, ...).
    fn segment_end(&self, toks: &[Token<'_>], from: usize, end: usize) -> usize {
        (from..end)
            .find(|&j| match &toks[j] {
                Token::Word(w) => self.opens_statement(&w.to_ascii_uppercase()),
                _ => false,
            })
            .unwrap_or(end)
    }

    /// What the statements of a body (PL/pgSQL, a SQL function, a MySQL compound statement, a
    /// SQLite trigger) may do to data; `None` when nothing that existed can change.
    pub(crate) fn body(&self, toks: &[Token<'_>]) -> Option<Effect> {
        let mut i = 0;
        let mut start = true;
        while i < toks.len() {
            match &toks[i] {
                Token::Punct(b';') => {
                    start = true;
                    i += 1;
                }
                // `<<label>>` before a PL/pgSQL statement.
                Token::Punct(b'<' | b'>') => i += 1,
                Token::Word(w) => {
                    let word = w.to_ascii_uppercase();
                    if self.opens_statement(&word) {
                        start = true;
                        i += 1;
                        continue;
                    }
                    if !start {
                        i += 1;
                        continue;
                    }
                    let (effect, next) = self.statement(toks, i, &word);
                    if effect.is_some() {
                        return effect;
                    }
                    start = false;
                    i = next.max(i + 1);
                }
                _ => {
                    start = false;
                    i += 1;
                }
            }
        }
        None
    }

    /// One statement of a body starting with `word` at `i`: its effect, and where to go on.
    fn statement(&self, toks: &[Token<'_>], i: usize, word: &str) -> (Option<Effect>, usize) {
        let end = statement_end(toks, i);
        let segment = self.segment_end(toks, i + 1, end);
        let effect = match word {
            "DELETE" | "UPDATE" | "TRUNCATE" | "MERGE" => Some(Effect::Runs(word.to_lowercase())),
            "REPLACE" if self.dialect != Dialect::Postgres => Some(Effect::Runs("replace".into())),
            "INSERT" if is_word(toks.get(i + 1), "or") && is_word(toks.get(i + 2), "replace") => {
                Some(Effect::Runs("insert or replace".into()))
            }
            "DROP" => return (self.drop(toks, i, end), end),
            "ALTER" => return (self.alter(toks, i, end), end),
            "EXECUTE" | "EXEC" => return (self.execute(toks, i + 1, end), end),
            "CALL" => return (self.call(toks, i + 1), end),
            // Creating, commenting and granting change no rows; their `name (` are not calls.
            "CREATE" | "COMMENT" | "GRANT" | "REVOKE" | "COPY" | "ANALYZE" | "VACUUM"
            | "REINDEX" | "CLUSTER" | "REFRESH" | "LOCK" | "LISTEN" | "NOTIFY" | "UNLISTEN"
            | "DEALLOCATE" | "SECURITY" => return (None, end),
            _ => self.calls(toks, i, segment, true),
        };
        (effect, segment)
    }

    fn drop(&self, toks: &[Token<'_>], i: usize, end: usize) -> Option<Effect> {
        let kind = upper(toks.get(i + 1));
        let cascade = toks[i..end].iter().any(|t| is_word(Some(t), "cascade"));
        let harmless = matches!(
            kind.as_str(),
            "VIEW"
                | "MATERIALIZED"
                | "INDEX"
                | "TRIGGER"
                | "FUNCTION"
                | "PROCEDURE"
                | "ROUTINE"
                | "POLICY"
                | "RULE"
                | "ROLE"
                | "USER"
                | "GROUP"
                | "AGGREGATE"
                | "OPERATOR"
                | "CAST"
                | "EVENT"
                | "STATISTICS"
                | "PUBLICATION"
                | "SUBSCRIPTION"
                | "PREPARE"
                | "TRANSFORM"
                | "COLLATION"
                | "CONVERSION"
                | "TEMPORARY"
        );
        if harmless && !cascade {
            return None;
        }
        Some(Effect::Runs(if kind.is_empty() {
            "drop".to_owned()
        } else {
            format!("drop {}", kind.to_lowercase())
        }))
    }

    fn alter(&self, toks: &[Token<'_>], i: usize, end: usize) -> Option<Effect> {
        let altered = upper(toks.get(i + 1));
        for j in i + 2..end {
            let Token::Word(w) = &toks[j] else {
                continue;
            };
            let word = w.to_ascii_uppercase();
            let lossy = match word.as_str() {
                "DROP" => !matches!(
                    upper(toks.get(j + 1)).as_str(),
                    "CONSTRAINT"
                        | "DEFAULT"
                        | "NOT"
                        | "IDENTITY"
                        | "EXPRESSION"
                        | "INDEX"
                        | "KEY"
                        | "FOREIGN"
                        | "PRIMARY"
                        | "CHECK"
                        | "TRIGGER"
                ),
                // A column type change (`ALTER COLUMN c [SET DATA] TYPE t`), not `ALTER TYPE`.
                "TYPE" => altered != "TYPE",
                "MODIFY" | "CHANGE" => self.dialect == Dialect::Mysql,
                "TRUNCATE" => true,
                _ => false,
            };
            if lossy {
                return Some(Effect::Runs(format!(
                    "alter {} ... {}",
                    altered.to_lowercase(),
                    word.to_lowercase()
                )));
            }
        }
        None
    }

    /// `EXECUTE` in a body: a literal (`EXECUTE 'sql' || x`, `EXECUTE format('sql', x)`,
    /// MariaDB's `EXECUTE IMMEDIATE 'sql'`) is read as SQL; anything else is unknown.
    fn execute(&self, toks: &[Token<'_>], from: usize, end: usize) -> Option<Effect> {
        let mut j = from;
        if is_word(toks.get(j), "immediate") {
            j += 1;
        }
        let text = match toks.get(j) {
            Some(Token::Str(_)) => {
                let mut pieces = Vec::new();
                for t in toks.get(j..end).unwrap_or_default() {
                    match t {
                        Token::Str(s) => pieces.push(s.as_ref()),
                        Token::Word(w)
                            if w.eq_ignore_ascii_case("into")
                                || w.eq_ignore_ascii_case("using") =>
                        {
                            break;
                        }
                        _ => {}
                    }
                }
                pieces.join(" ")
            }
            Some(Token::Word(f))
                if f.eq_ignore_ascii_case("format")
                    && toks.get(j + 1) == Some(&Token::Punct(b'(')) =>
            {
                match toks.get(j + 2) {
                    Some(Token::Str(s)) => s.to_string(),
                    _ => return Some(Effect::Dynamic),
                }
            }
            _ => return Some(Effect::Dynamic),
        };
        self.literal(&text)
    }

    /// SQL held in a string literal, read like a body; unknown when it does not start with a
    /// word (`format('%s', cmd)`).
    pub(crate) fn literal(&self, text: &str) -> Option<Effect> {
        if self.depth >= MAX_DEPTH {
            return Some(Effect::Dynamic);
        }
        let inner = lex::tokens(text, self.dialect == Dialect::Mysql);
        if !matches!(inner.first(), Some(Token::Word(_))) {
            return Some(Effect::Dynamic);
        }
        Scan {
            depth: self.depth + 1,
            ..*self
        }
        .body(&inner)
    }

    /// `CALL name(...)`: what the procedure may do; `None` only for a procedure defined in the
    /// folder whose body changes no data.
    pub(crate) fn call(&self, toks: &[Token<'_>], at: usize) -> Option<Effect> {
        let Some((schema, name, _)) = qualified(toks, at) else {
            return Some(Effect::Calls("?".to_owned()));
        };
        match self.routines.get(&name.to_lowercase()) {
            Some(None) => None,
            _ => Some(Effect::Calls(display(&schema, &name))),
        }
    }

    /// The effect of the routine `name` for messages: its body's effect when the folder defines
    /// it, `None` when it is unknown or safe.
    pub(crate) fn routine_effect(&self, name: &str) -> Option<&Effect> {
        self.routines
            .get(&name.to_lowercase())
            .and_then(Option::as_ref)
    }

    /// Function calls in `toks[from..to]` that may change data: the first one that is neither
    /// a known read-only built-in nor defined by the folder with a safe body. In a body
    /// (`body`), a parenthesised `DELETE`/`UPDATE` (a data-modifying CTE) counts too.
    /// SQLite has no functions a migration could define, so nothing counts there.
    pub(crate) fn calls(
        &self,
        toks: &[Token<'_>],
        from: usize,
        to: usize,
        body: bool,
    ) -> Option<Effect> {
        let to = to.min(toks.len());
        for j in from..to {
            match &toks[j] {
                Token::Punct(b'(') if body => {
                    let word = upper(toks.get(j + 1));
                    if matches!(word.as_str(), "DELETE" | "UPDATE" | "MERGE") {
                        return Some(Effect::Runs(word.to_lowercase()));
                    }
                }
                Token::Word(_) | Token::Quoted(_)
                    if self.dialect != Dialect::Sqlite
                        && toks.get(j + 1) == Some(&Token::Punct(b'(')) =>
                {
                    if let Some(effect) = self.call_at(toks, j) {
                        return Some(effect);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The word at `j` is followed by `(`: a call that may change data?
    fn call_at(&self, toks: &[Token<'_>], j: usize) -> Option<Effect> {
        let name = ident(toks.get(j))?;
        let qualified = j >= 2 && toks[j - 1] == Token::Punct(b'.');
        let schema = if qualified {
            ident(toks.get(j - 2))
        } else {
            None
        };
        let chain_start = if qualified { j - 2 } else { j };
        if !qualified
            && let Token::Word(w) = &toks[j]
            && not_a_call(&w.to_ascii_uppercase())
        {
            return None;
        }
        if chain_start >= 1 {
            match &toks[chain_start - 1] {
                // A cast's type modifier: `x::varchar(10)`.
                Token::Punct(b':') => return None,
                // A table, alias or index with a column list, not a function.
                Token::Word(before)
                    if matches!(
                        before.to_ascii_uppercase().as_str(),
                        "INTO"
                            | "TABLE"
                            | "JOIN"
                            | "AS"
                            | "REFERENCES"
                            | "ON"
                            | "WITH"
                            | "RECURSIVE"
                            | "ONLY"
                            | "INDEX"
                            | "KEY"
                            | "UPDATE"
                            | "COPY"
                    ) =>
                {
                    return None;
                }
                _ => {}
            }
        }
        match schema.as_deref() {
            Some("pg_catalog" | "information_schema") => {
                return UNSAFE_CATALOG
                    .contains(&name.as_str())
                    .then(|| Effect::Calls(display(&schema, &name)));
            }
            None if SAFE_FUNCTIONS.contains(&name.as_str()) => return None,
            _ => {}
        }
        match self.routines.get(&name) {
            Some(None) => None,
            _ => Some(Effect::Calls(display(&schema, &name))),
        }
    }

    /// PostgreSQL `DO [LANGUAGE l] body [LANGUAGE l]`.
    pub(crate) fn do_block(&self, toks: &[Token<'_>]) -> Option<Effect> {
        let mut language = None;
        let mut body = None;
        let mut j = 1;
        while j < toks.len() {
            match &toks[j] {
                Token::Word(w) if w.eq_ignore_ascii_case("language") => {
                    language = match toks.get(j + 1) {
                        Some(Token::Str(s)) => Some(s.to_lowercase()),
                        other => ident(other),
                    };
                    j += 2;
                    continue;
                }
                Token::Str(s) if body.is_none() => body = Some(s.as_ref()),
                _ => {}
            }
            j += 1;
        }
        if let Some(language) = language
            && language != "plpgsql"
            && language != "sql"
        {
            return Some(Effect::Language(language));
        }
        let body = body?;
        let inner = lex::tokens(body, false);
        self.body(&inner)
    }

    /// `CREATE [OR REPLACE] FUNCTION|PROCEDURE name ...`: the routine's lowercase name and what
    /// its body may do to data.
    pub(crate) fn routine(&self, toks: &[Token<'_>]) -> Option<(String, Option<Effect>)> {
        if !is_word(toks.first(), "create") {
            return None;
        }
        // Skip `OR REPLACE`, `TEMPORARY` and MySQL's `DEFINER = user@host`.
        let mut j = 1;
        loop {
            match toks.get(j)? {
                Token::Word(w) => match w.to_ascii_uppercase().as_str() {
                    "FUNCTION" | "PROCEDURE" => break,
                    "OR" | "REPLACE" | "DEFINER" | "CURRENT_USER" | "TEMP" | "TEMPORARY"
                    | "AGGREGATE" => j += 1,
                    _ if is_word(toks.get(j - 1), "definer")
                        || toks.get(j - 1) == Some(&Token::Punct(b'='))
                        || toks.get(j - 1) == Some(&Token::Punct(b'@')) =>
                    {
                        j += 1;
                    }
                    _ => return None,
                },
                Token::Quoted(_) | Token::Str(_) | Token::Punct(b'=' | b'@') => j += 1,
                _ => return None,
            }
        }
        j += 1;
        if is_word(toks.get(j), "if") {
            j += 3;
        }
        let (_, name, after) = qualified(toks, j)?;
        let effect = match self.dialect {
            Dialect::Mysql => match toks[after..].iter().position(|t| is_word(Some(t), "begin")) {
                Some(begin) => self.body(&toks[after + begin..]),
                None => self.body_without_begin(&toks[after..]),
            },
            _ => self.postgres_routine(&toks[after..]),
        };
        Some((name, effect))
    }

    /// A MySQL routine whose body is one statement after the parameters and characteristics:
    /// any data-changing word counts.
    fn body_without_begin(&self, toks: &[Token<'_>]) -> Option<Effect> {
        toks.iter().find_map(|t| match t {
            Token::Word(w) => {
                let word = w.to_ascii_uppercase();
                matches!(
                    word.as_str(),
                    "DELETE" | "UPDATE" | "TRUNCATE" | "REPLACE" | "DROP" | "CALL" | "EXECUTE"
                )
                .then(|| Effect::Runs(word.to_lowercase()))
            }
            _ => None,
        })
    }

    /// The rest of a PostgreSQL `CREATE FUNCTION` after its name.
    fn postgres_routine(&self, toks: &[Token<'_>]) -> Option<Effect> {
        let mut language = None;
        let mut read_only = false;
        let mut body = None;
        let mut standard = None;
        for (j, t) in toks.iter().enumerate() {
            match t {
                Token::Word(w) => match w.to_ascii_uppercase().as_str() {
                    "LANGUAGE" => {
                        language = match toks.get(j + 1) {
                            Some(Token::Str(s)) => Some(s.to_lowercase()),
                            other => ident(other),
                        };
                    }
                    "STABLE" | "IMMUTABLE" => read_only = true,
                    "BEGIN" | "RETURN" if standard.is_none() && body.is_none() => {
                        standard = Some(j);
                    }
                    _ => {}
                },
                Token::Str(s) if body.is_none() && is_word(toks.get(j.wrapping_sub(1)), "as") => {
                    body = Some(s.as_ref());
                }
                _ => {}
            }
        }
        let language = language.unwrap_or_else(|| "sql".to_owned());
        if language != "sql" && language != "plpgsql" {
            return Some(Effect::Language(language));
        }
        // PostgreSQL refuses data changes in a STABLE or IMMUTABLE SQL or PL/pgSQL function.
        if read_only {
            return None;
        }
        match (body, standard) {
            (Some(body), _) => self.literal_body(body),
            (None, Some(start)) => self.body(&toks[start..]),
            (None, None) => Some(Effect::Runs("function".into())),
        }
    }

    fn literal_body(&self, body: &str) -> Option<Effect> {
        let inner = lex::tokens(body, false);
        self.body(&inner)
    }

    /// A SQLite `CREATE [TEMP] TRIGGER [IF NOT EXISTS] name ... ON table ... BEGIN ... END`.
    pub(crate) fn trigger(&self, toks: &[Token<'_>]) -> Option<TriggerDef> {
        if !is_word(toks.first(), "create") {
            return None;
        }
        // Skip `TEMP`, `OR REPLACE`, `CONSTRAINT` and MySQL's `DEFINER = user@host`.
        let j = (1..toks.len().min(12)).find(|&j| is_word(toks.get(j), "trigger"))?;
        let prefix_ok = toks[1..j].iter().all(|t| match t {
            Token::Word(w) => {
                matches!(
                    w.to_ascii_uppercase().as_str(),
                    "TEMP"
                        | "TEMPORARY"
                        | "OR"
                        | "REPLACE"
                        | "CONSTRAINT"
                        | "DEFINER"
                        | "CURRENT_USER"
                ) || is_definer_part(toks, j)
            }
            _ => is_definer_part(toks, j),
        });
        if !prefix_ok {
            return None;
        }
        let mut j = j;
        j += 1;
        if is_word(toks.get(j), "if") {
            j += 3;
        }
        let (schema, name, mut j) = qualified(toks, j)?;
        let mut events = [false; 3];
        while j < toks.len() && !is_word(toks.get(j), "on") {
            match upper(toks.get(j)).as_str() {
                "INSERT" => events[0] = true,
                "UPDATE" => events[1] = true,
                "DELETE" => events[2] = true,
                _ => {}
            }
            j += 1;
        }
        let (table_schema, table, after) = qualified(toks, j + 1)?;
        let execute = toks[after..]
            .iter()
            .position(|t| is_word(Some(t), "execute"))
            .map(|e| after + e);
        let effect = match (
            toks[after..].iter().position(|t| is_word(Some(t), "begin")),
            execute,
        ) {
            // PostgreSQL: `EXECUTE FUNCTION f()` runs what `f`'s body does, when the folder
            // defined it; an unknown function may do anything.
            (_, Some(e)) if self.dialect == Dialect::Postgres => match qualified(toks, e + 2) {
                Some((_, function, _)) => match self.routines.get(&function.to_lowercase()) {
                    Some(effect) => effect.clone(),
                    None => Some(Effect::Calls(function)),
                },
                None => Some(Effect::Runs("trigger".into())),
            },
            (Some(begin), _) => self.body(&toks[after + begin..]),
            // MySQL's one-statement body (`FOR EACH ROW SET NEW.x = ...`).
            (None, _) if self.dialect == Dialect::Mysql => self.body_without_begin(&toks[after..]),
            (None, _) => Some(Effect::Runs("trigger".into())),
        };
        Some(TriggerDef {
            name: (schema, name),
            table: (table_schema, table),
            events,
            effect,
        })
    }
}

/// Whether every token before the `TRIGGER` at `trigger` belongs to the words a `CREATE ...
/// TRIGGER` may have there (MySQL's `DEFINER = user@host` included).
fn is_definer_part(toks: &[Token<'_>], trigger: usize) -> bool {
    toks[1..trigger]
        .iter()
        .any(|t| matches!(t, Token::Word(w) if w.eq_ignore_ascii_case("definer")))
}

/// Words that are followed by `(` without being a call: keywords and type names.
fn not_a_call(word: &str) -> bool {
    matches!(
        word,
        "ALL"
            | "AND"
            | "ANY"
            | "ARRAY"
            | "AS"
            | "BETWEEN"
            | "BY"
            | "CASE"
            | "CHECK"
            | "CONSTRAINT"
            | "CUBE"
            | "DEFAULT"
            | "DISTINCT"
            | "DO"
            | "ELSE"
            | "ELSEIF"
            | "ELSIF"
            | "ENUM"
            | "EXCEPT"
            | "EXISTS"
            | "FILTER"
            | "FOR"
            | "FROM"
            | "GROUP"
            | "GROUPING"
            | "HAVING"
            | "IF"
            | "IN"
            | "INTERSECT"
            | "IS"
            | "JOIN"
            | "KEY"
            | "LATERAL"
            | "LIKE"
            | "ILIKE"
            | "LIMIT"
            | "NOT"
            | "OFFSET"
            | "ON"
            | "OR"
            | "OVER"
            | "PARTITION"
            | "PERFORM"
            | "PRIMARY"
            | "QUERY"
            | "RAISE"
            | "RETURN"
            | "RETURNING"
            | "RETURNS"
            | "ROLLUP"
            | "ROW"
            | "SELECT"
            | "SET"
            | "SETS"
            | "SOME"
            | "THEN"
            | "UNION"
            | "UNIQUE"
            | "USING"
            | "VALUES"
            | "WHEN"
            | "WHERE"
            | "WHILE"
            | "WINDOW"
            | "WITH"
            | "WITHIN"
            | "MATCH"
            | "AGAINST"
            // Type names with a modifier: `varchar(20)`, `numeric(10, 2)`.
            | "BINARY"
            | "BIT"
            | "BPCHAR"
            | "CHAR"
            | "CHARACTER"
            | "DATETIME"
            | "DEC"
            | "DECIMAL"
            | "DOUBLE"
            | "FLOAT"
            | "HALFVEC"
            | "INT"
            | "INTEGER"
            | "INTERVAL"
            | "BIGINT"
            | "MEDIUMINT"
            | "NCHAR"
            | "NUMERIC"
            | "NVARCHAR"
            | "SMALLINT"
            | "SPARSEVEC"
            | "TIME"
            | "TIMESTAMP"
            | "TIMESTAMPTZ"
            | "TIMETZ"
            | "TINYINT"
            | "VARBINARY"
            | "VARBIT"
            | "VARCHAR"
            | "VARYING"
            | "VECTOR"
            | "YEAR"
    )
}

/// Built-in functions (PostgreSQL and MySQL) that change no data a migration could lose, by
/// lowercase name. Sorted, so that a reader can find a name; looked up linearly (it is short).
const SAFE_FUNCTIONS: &[&str] = &[
    "abs",
    "age",
    "array_agg",
    "array_append",
    "array_length",
    "array_position",
    "array_remove",
    "array_to_json",
    "array_to_string",
    "avg",
    "bin_to_uuid",
    "bit_length",
    "bool_and",
    "bool_or",
    "btrim",
    "cardinality",
    "cast",
    "ceil",
    "ceiling",
    "char_length",
    "character_length",
    "chr",
    "clock_timestamp",
    "coalesce",
    "col_description",
    "concat",
    "concat_ws",
    "convert",
    "convert_tz",
    "count",
    "crypt",
    "curdate",
    "current_database",
    "current_date",
    "current_schema",
    "current_setting",
    "current_time",
    "current_timestamp",
    "current_user",
    "currval",
    "curtime",
    "database",
    "date",
    "date_add",
    "date_format",
    "date_part",
    "date_sub",
    "date_trunc",
    "datediff",
    "decode",
    "dense_rank",
    "digest",
    "encode",
    "every",
    "exp",
    "extract",
    "first_value",
    "floor",
    "format",
    "found_rows",
    "from_unixtime",
    "gen_random_bytes",
    "gen_random_uuid",
    "gen_salt",
    "generate_series",
    "get_lock",
    "greatest",
    "group_concat",
    "has_schema_privilege",
    "has_table_privilege",
    "hex",
    "hmac",
    "if",
    "ifnull",
    "initcap",
    "instr",
    "is_free_lock",
    "is_used_lock",
    "isnull",
    "json_agg",
    "json_array",
    "json_array_elements",
    "json_build_array",
    "json_build_object",
    "json_extract",
    "json_object",
    "json_unquote",
    "jsonb_agg",
    "jsonb_array_elements",
    "jsonb_build_array",
    "jsonb_build_object",
    "jsonb_each",
    "jsonb_object_keys",
    "jsonb_set",
    "jsonb_strip_nulls",
    "lag",
    "last_insert_id",
    "last_value",
    "lastval",
    "lead",
    "least",
    "left",
    "length",
    "ln",
    "localtime",
    "localtimestamp",
    "locate",
    "log",
    "lower",
    "lpad",
    "ltrim",
    "make_date",
    "make_interval",
    "make_timestamp",
    "max",
    "md5",
    "mid",
    "min",
    "mod",
    "nextval",
    "now",
    "nullif",
    "obj_description",
    "octet_length",
    "overlay",
    "pg_advisory_lock",
    "pg_advisory_unlock",
    "pg_advisory_xact_lock",
    "pg_column_size",
    "pg_current_xact_id",
    "pg_get_constraintdef",
    "pg_get_indexdef",
    "pg_get_serial_sequence",
    "pg_get_viewdef",
    "pg_indexes_size",
    "pg_notify",
    "pg_relation_size",
    "pg_size_pretty",
    "pg_sleep",
    "pg_table_size",
    "pg_total_relation_size",
    "pg_try_advisory_lock",
    "pg_try_advisory_xact_lock",
    "pg_typeof",
    "plainto_tsquery",
    "position",
    "power",
    "quote_ident",
    "quote_literal",
    "quote_nullable",
    "rand",
    "random",
    "rank",
    "regexp_match",
    "regexp_matches",
    "regexp_replace",
    "release_lock",
    "repeat",
    "replace",
    "reverse",
    "right",
    "round",
    "row_count",
    "row_number",
    "row_to_json",
    "rpad",
    "rtrim",
    "session_user",
    "set_config",
    "setseed",
    "setval",
    "setweight",
    "sha1",
    "sha2",
    "sha256",
    "sign",
    "sleep",
    "split_part",
    "sqrt",
    "str_to_date",
    "string_agg",
    "string_to_array",
    "strpos",
    "substr",
    "substring",
    "substring_index",
    "sum",
    "sysdate",
    "timeofday",
    "timestampdiff",
    "to_char",
    "to_date",
    "to_json",
    "to_jsonb",
    "to_number",
    "to_regclass",
    "to_regnamespace",
    "to_regproc",
    "to_regtype",
    "to_timestamp",
    "to_tsquery",
    "to_tsvector",
    "transaction_timestamp",
    "statement_timestamp",
    "translate",
    "trim",
    "trunc",
    "ts_rank",
    "txid_current",
    "unhex",
    "unix_timestamp",
    "unnest",
    "upper",
    "utc_date",
    "utc_time",
    "utc_timestamp",
    "uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuid_to_bin",
    "version",
    "websearch_to_tsquery",
];

/// `pg_catalog` functions that change data (large objects): everything else qualified with
/// `pg_catalog.` or `information_schema.` is read-only or configuration.
const UNSAFE_CATALOG: &[&str] = &["lo_put", "lo_truncate", "lo_truncate64", "lo_unlink"];

#[cfg(test)]
mod tests {
    use super::*;

    fn body(dialect: Dialect, text: &str) -> Option<Effect> {
        let routines = Routines::new();
        Scan::new(dialect, &routines).body(&lex::tokens(text, dialect == Dialect::Mysql))
    }

    #[test]
    fn statements_of_a_body() {
        let pg = Dialect::Postgres;
        assert_eq!(
            body(pg, "BEGIN IF x THEN DELETE FROM t; END IF; END"),
            Some(Effect::Runs("delete".into()))
        );
        assert_eq!(
            body(
                pg,
                "BEGIN CREATE TYPE a AS ENUM ('x'); EXCEPTION WHEN duplicate_object THEN null; END"
            ),
            None
        );
        assert_eq!(
            body(
                pg,
                "BEGIN ALTER TABLE t ADD CONSTRAINT c FOREIGN KEY (a) REFERENCES u (id) ON DELETE CASCADE ON UPDATE NO ACTION; END"
            ),
            None
        );
        assert_eq!(
            body(pg, "BEGIN ALTER TABLE t ALTER COLUMN a TYPE int; END"),
            Some(Effect::Runs("alter table ... type".into()))
        );
        assert_eq!(
            body(
                pg,
                "DECLARE n numeric(10, 2); v varchar(20) := lower('A'); BEGIN n := x::numeric(4, 1); END"
            ),
            None
        );
        assert_eq!(
            body(pg, "BEGIN INSERT INTO log (at) VALUES (now()); END"),
            None
        );
        assert_eq!(
            body(
                pg,
                "BEGIN SELECT CASE WHEN a THEN 1 ELSE 2 END INTO n FROM t FOR UPDATE; END"
            ),
            None
        );
        assert_eq!(
            body(pg, "BEGIN EXECUTE format('%s', cmd); END"),
            Some(Effect::Dynamic)
        );
        assert_eq!(
            body(
                pg,
                "BEGIN EXECUTE 'ALTER TABLE ' || t || ' DROP COLUMN x'; END"
            ),
            Some(Effect::Runs("alter table ... drop".into()))
        );
        assert_eq!(
            body(pg, "BEGIN DROP TYPE mood CASCADE; END"),
            Some(Effect::Runs("drop type".into()))
        );
        let my = Dialect::Mysql;
        assert_eq!(
            body(
                my,
                "BEGIN WHILE i < 3 DO DELETE FROM t WHERE id = i; END WHILE; END"
            ),
            Some(Effect::Runs("delete".into()))
        );
        assert_eq!(
            body(
                my,
                "BEGIN INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(a); END"
            ),
            None
        );
        let sq = Dialect::Sqlite;
        assert_eq!(
            body(sq, "BEGIN SELECT RAISE(ABORT, 'no') WHERE NEW.a < 0; END"),
            None
        );
        assert_eq!(
            body(sq, "BEGIN INSERT OR REPLACE INTO t VALUES (1); END"),
            Some(Effect::Runs("insert or replace".into()))
        );
    }

    #[test]
    fn pathological_input_never_panics() {
        for text in [
            "",
            "'",
            "$$",
            "EXECUTE",
            "EXECUTE format(",
            "DROP",
            "ALTER",
            "CALL",
            "CREATE FUNCTION",
            "CREATE TRIGGER x",
            "CREATE TRIGGER IF",
            "é(",
            "DO LANGUAGE",
        ] {
            for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
                let routines = Routines::new();
                let scan = Scan::new(dialect, &routines);
                let toks = lex::tokens(text, false);
                let _ = scan.body(&toks);
                let _ = scan.routine(&toks);
                let _ = scan.trigger(&toks);
                let _ = scan.do_block(&toks);
                let _ = scan.calls(&toks, 0, toks.len(), false);
                let _ = sets_writable_schema(&toks);
            }
        }
        // Deeply nested EXECUTE literals stop at a fixed depth.
        let mut text = "DELETE FROM t".to_owned();
        for _ in 0..20 {
            text = format!("EXECUTE '{}'", text.replace('\'', "''"));
        }
        assert!(body(Dialect::Postgres, &text).is_some());
    }

    /// Every reader of this module, on one statement, through a whole replay.
    fn replay_all(text: &str) {
        for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Sqlite] {
            let routines = Routines::new();
            let scan = Scan::new(dialect, &routines);
            let toks = lex::tokens(text, dialect == Dialect::Mysql);
            let _ = scan.body(&toks);
            let _ = scan.routine(&toks);
            let _ = scan.trigger(&toks);
            let _ = scan.do_block(&toks);
            let _ = scan.calls(&toks, 0, toks.len(), true);
            let mut replay = crate::schema::Replay::new(dialect, &[]);
            for sql in ["CREATE TABLE t (id int)", text, text] {
                let whole = 0..sql.len();
                let _ = replay.migration(&crate::schema::MigrationInput {
                    sql,
                    statements: std::slice::from_ref(&whole),
                    transactional: true,
                });
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in proptest::prelude::any::<String>()) {
            replay_all(&text);
        }

        #[test]
        fn sqlish_text_never_panics(
            text in "((DO|CREATE|OR|REPLACE|TRIGGER|FUNCTION|PROCEDURE|EXECUTE|IMMEDIATE|format|\\(|\\)|'|\\$\\$|;|\\.|IF|NOT|EXISTS|BEGIN|END|ON|DROP|ALTER|CALL|PRAGMA|writable_schema|=|t|x|DELETE|INSERT|UPDATE|SELECT|LANGUAGE|AS|WITH|WHERE|true|1|LIMIT|INTO|VALUES|::|@|\"q\") ){0,40}"
        ) {
            replay_all(&text);
        }
    }
}
