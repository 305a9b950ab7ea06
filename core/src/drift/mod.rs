//! Drift: the schema a history produces, compared with the schema a real database holds.
//!
//! [`model`] is the one schema model both sides fill: the replay of the history
//! ([`expected`]) and the runtime's read-only introspection of a database. [`compare`] normalises
//! what each engine normalises and reports every difference as extra, missing or changed, with
//! the migration that made the object what the history says, and the SQL that would bring one
//! side to the other. What either side cannot know is counted as not verified, never reported.

mod compare;
mod generate;
pub mod model;
mod normalize;
mod report;
mod sql;

pub(crate) use compare::Streamed;
pub use compare::compare;
pub use generate::{migration, migration_from, schema_sql};
pub(crate) use sql::names_word;

pub use model::{
    Action, Column, Composite, Constraint, ConstraintKind, Enum, Fact, Identity, Index, IndexPart,
    Name, Origin, Schema, Sequence, Table, View,
};
pub use report::{Drift, DriftKind, Report, Unverified};

/// An expression in the form the comparison compares (lowercase outside literals, no casts,
/// no grouping parentheses).
pub(crate) fn normalize_expr(dialect: crate::Dialect, text: &str) -> String {
    normalize::expr(dialect, text)
}

/// One migration of a history, as [`expected`] replays it.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    /// Its path in the folder, for origins.
    pub path: &'a str,
    /// Its text.
    pub sql: &'a str,
    /// Its statements' byte ranges, from the splitter (or the embedded value).
    pub statements: &'a [std::ops::Range<usize>],
    /// Whether it runs in a transaction.
    pub transactional: bool,
}

/// The schema a history produces: `sources` replayed in order (the migrations a database has
/// applied, not necessarily the folder's newest). `externs` are the objects `driftless.toml`
/// says the folder does not own. Runs on its own thread with a large stack, as the analysis
/// does, so the caller's stack size does not matter.
pub fn expected(dialect: crate::Dialect, sources: &[Source<'_>], externs: &[String]) -> Schema {
    let run = || {
        let mut replay = crate::schema::Replay::new(dialect, externs);
        for source in sources {
            replay.migration(&crate::schema::MigrationInput {
                sql: source.sql,
                statements: source.statements,
                transactional: source.transactional,
            });
        }
        let files: Vec<(&str, &str)> = sources.iter().map(|s| (s.path, s.sql)).collect();
        replay.into_schema(&files)
    };
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("driftless-drift".into())
            .stack_size(64 << 20)
            .spawn_scoped(scope, run)
            .map(|handle| handle.join())
    })
    .ok()
    .and_then(Result::ok)
    .unwrap_or_default()
}

/// The schema SQLite's own stored `CREATE` statements (`sqlite_schema.sql`) describe: what its
/// `pragma_*` functions do not tell (CHECK expressions, the expressions and predicates of
/// indexes), read with the replay's own parser so both sides spell them alike.
pub fn sqlite_stored(statements: &[&str]) -> Schema {
    let mut text = String::new();
    for statement in statements {
        text.push_str(statement.trim().trim_end_matches(';'));
        text.push_str(";\n");
    }
    let split = crate::split::split(&text, crate::Dialect::Sqlite);
    let ranges: Vec<std::ops::Range<usize>> = split.statements().collect();
    let source = Source {
        path: "sqlite_schema",
        sql: &text,
        statements: &ranges,
        transactional: false,
    };
    expected(crate::Dialect::Sqlite, &[source], &[])
}

#[cfg(test)]
mod tests;
