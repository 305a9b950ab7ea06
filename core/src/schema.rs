//! Replaying migrations into an in-memory catalog: consistency findings, hazards, created objects.
//!
//! STUB: interface fixed; the implementation is being written.

use std::ops::Range;

use crate::diagnostic::Code;
use crate::dialect::Dialect;
use crate::object::Object;

/// One migration, as the replay sees it.
#[derive(Debug, Clone)]
pub struct MigrationInput<'a> {
    /// The file's text.
    pub sql: &'a str,
    /// The statement ranges from the splitter, in order.
    pub statements: &'a [Range<usize>],
    /// Whether the migration runs inside a transaction (false for `no-transaction` files and,
    /// in effect, for MySQL DDL).
    pub transactional: bool,
}

/// What the replay learned about one migration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrationFacts {
    /// One entry per input statement, same order.
    pub statements: Vec<StatementFacts>,
    /// Objects this migration creates that did not exist before it (tables, columns added to
    /// existing tables, schemas, views, indexes, types, sequences). The runtime uses them to
    /// waive consent for hazards on objects created earlier in the same run.
    pub creates: Vec<Object>,
    /// Consistency findings (missing/duplicate objects) and hard errors.
    pub findings: Vec<Finding>,
}

/// What the replay learned about one statement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementFacts {
    /// The parser did not understand it: the objects named in its text became uncertain.
    pub opaque: bool,
    /// Hazards of the statement (CONTRACT §5), not counting those on objects created earlier in
    /// the same migration.
    pub hazards: Vec<Hazard>,
}

/// A hazard of one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hazard {
    /// The hazard code (category `DataLoss`, `MayFail`, `Incompatible` or `LockHeavy`).
    pub code: Code,
    /// Where in the file (usually the statement, or the clause).
    pub range: Range<usize>,
    /// What is lost or touched.
    pub object: Object,
    /// For data-loss hazards: the table whose emptiness means nothing is lost (drop/truncate/
    /// delete/update/drop column/type change); `None` when only consent can waive it.
    pub empty_table: Option<Object>,
    /// What happens, lowercase, no trailing period (`dropping column `users.email` loses its data`).
    pub message: String,
}

/// A consistency finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The code (category `Schema`, or `ConcurrentlyInTransaction`).
    pub code: Code,
    /// Where in the file.
    pub range: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// The fix.
    pub help: Option<String>,
    /// The finding is about an object made uncertain by an opaque statement or an extern: it is
    /// reported as a warning, never an error.
    pub uncertain: bool,
}

/// The catalog of a migrations folder being replayed in order.
#[derive(Debug, Clone)]
pub struct Replay {
    dialect: Dialect,
}

impl Replay {
    /// An empty database of `dialect`. `externs` are objects owned outside this folder
    /// (`schema.table` or `table`, or `schema.*`): references to them are never "missing".
    pub fn new(dialect: Dialect, externs: &[String]) -> Replay {
        let _ = externs;
        Replay { dialect }
    }

    /// Replays one migration on top of the previous ones.
    pub fn migration(&mut self, input: &MigrationInput<'_>) -> MigrationFacts {
        let _ = self.dialect;
        MigrationFacts {
            statements: vec![StatementFacts::default(); input.statements.len()],
            ..MigrationFacts::default()
        }
    }
}
