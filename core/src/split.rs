//! Splitting a migration file into statements, per dialect, as the database would see them.
//!
//! STUB: interface fixed; the implementation is being written.

use std::ops::Range;

use crate::diagnostic::Code;
use crate::dialect::Dialect;

/// The statements and comments of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// Consecutive chunks that tile the input exactly: the first starts at 0, each starts where
    /// the previous ended, the last ends at the input's length.
    pub chunks: Vec<Chunk>,
    /// Every comment outside strings and bodies, in order (`--`, `#` in MySQL, `/* */`), as the
    /// whole comment text including its markers (a line comment's range excludes the newline).
    /// MySQL's executable `/*! ... */` comments are statement text, not comments.
    pub comments: Vec<Range<usize>>,
    /// Problems that make the file unusable as SQL (a `DELIMITER` line, an unterminated string).
    pub errors: Vec<SplitError>,
}

/// One piece of the file: optional statement text plus the trivia and `;` around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The bytes this chunk covers (trivia before, the statement, its `;`).
    pub range: Range<usize>,
    /// The statement without leading/trailing whitespace and comments and without the final
    /// `;`: exactly what the runtime sends to the database. `None` for a chunk of trivia only.
    pub statement: Option<Range<usize>>,
}

/// A problem found while splitting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    /// [`Code::DelimiterCommand`] or [`Code::UnterminatedLiteral`].
    pub code: Code,
    /// Where.
    pub range: Range<usize>,
    /// What is wrong.
    pub message: String,
    /// The fix.
    pub help: String,
}

impl Split {
    /// The statement ranges, in order.
    pub fn statements(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.chunks.iter().filter_map(|c| c.statement.clone())
    }
}

/// Splits `sql` into statements for `dialect`. Never panics; the chunks always tile the input.
pub fn split(sql: &str, dialect: Dialect) -> Split {
    let _ = dialect;
    let mut chunks = Vec::new();
    let mut start = 0;
    for (i, _) in sql.match_indices(';') {
        let stmt = trim_range(sql, start..i);
        chunks.push(Chunk {
            range: start..i + 1,
            statement: (!stmt.is_empty()).then_some(stmt),
        });
        start = i + 1;
    }
    if start < sql.len() {
        let stmt = trim_range(sql, start..sql.len());
        chunks.push(Chunk {
            range: start..sql.len(),
            statement: (!stmt.is_empty()).then_some(stmt),
        });
    }
    Split {
        chunks,
        comments: Vec::new(),
        errors: Vec::new(),
    }
}

fn trim_range(sql: &str, range: Range<usize>) -> Range<usize> {
    let text = &sql[range.clone()];
    let lead = text.len() - text.trim_start().len();
    let trail = text.len() - text.trim_end().len();
    if lead == text.len() {
        return range.start..range.start;
    }
    range.start + lead..range.end - trail
}
