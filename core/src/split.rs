//! Splitting a migration file into statements, per dialect, as the database would see them.
//!
//! The splitter is a single pass over the bytes of the file. A small lexer recognises the tokens
//! that matter for finding statement boundaries (strings, quoted identifiers, comments, dollar
//! quotes, words and single punctuation bytes) and a statement tracker counts the compound bodies
//! in which a `;` does not end the statement: `BEGIN ATOMIC … END` in PostgreSQL, `BEGIN … END`
//! and the other compound statements of MySQL stored programs, and SQLite trigger bodies.
//!
//! Every token boundary falls on an ASCII byte or at the end of the input (a word swallows all
//! non-ASCII bytes), so every range this module returns lies on `char` boundaries.

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
    let mut splitter = Splitter::new(sql, dialect);
    splitter.run();
    splitter.finish()
}

/// Whitespace as the three databases' lexers see it: ASCII only. Non-ASCII bytes are identifier
/// characters to all of them.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

/// A byte that continues an unquoted identifier or number. `$` continues identifiers in all three
/// dialects; non-ASCII bytes are identifier characters.
fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80
}

/// A byte that may start a PostgreSQL dollar-quote tag (an identifier start).
fn is_tag_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

/// A byte that may continue a PostgreSQL dollar-quote tag: an identifier character but not `$`.
fn is_tag_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// The keywords that steer the statement tracker; every other word is [`Kw::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kw {
    Alter,
    Atomic,
    Begin,
    Case,
    Create,
    Database,
    Delimiter,
    Do,
    Else,
    End,
    Event,
    For,
    Function,
    If,
    Index,
    Loop,
    Procedure,
    Repeat,
    Role,
    Row,
    Schema,
    Table,
    Then,
    Trigger,
    Unique,
    User,
    View,
    Virtual,
    While,
    Other,
}

/// Classifies a word, case-insensitively. Bucketing by length keeps this to a comparison or two
/// per word, which matters in an unoptimised proc macro.
fn keyword(word: &[u8]) -> Kw {
    let candidates: &[(&[u8], Kw)] = match word.len() {
        2 => &[(b"do", Kw::Do), (b"if", Kw::If)],
        3 => &[(b"end", Kw::End), (b"for", Kw::For), (b"row", Kw::Row)],
        4 => &[
            (b"case", Kw::Case),
            (b"else", Kw::Else),
            (b"loop", Kw::Loop),
            (b"role", Kw::Role),
            (b"then", Kw::Then),
            (b"user", Kw::User),
            (b"view", Kw::View),
        ],
        5 => &[
            (b"alter", Kw::Alter),
            (b"begin", Kw::Begin),
            (b"event", Kw::Event),
            (b"index", Kw::Index),
            (b"table", Kw::Table),
            (b"while", Kw::While),
        ],
        6 => &[
            (b"atomic", Kw::Atomic),
            (b"create", Kw::Create),
            (b"repeat", Kw::Repeat),
            (b"schema", Kw::Schema),
            (b"unique", Kw::Unique),
        ],
        7 => &[(b"trigger", Kw::Trigger), (b"virtual", Kw::Virtual)],
        8 => &[(b"database", Kw::Database), (b"function", Kw::Function)],
        9 => &[(b"delimiter", Kw::Delimiter), (b"procedure", Kw::Procedure)],
        _ => &[],
    };
    candidates
        .iter()
        .find(|(name, _)| word.eq_ignore_ascii_case(name))
        .map_or(Kw::Other, |&(_, kw)| kw)
}

/// The last significant token of the current statement, as far as the body rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prev {
    /// Nothing yet in this statement.
    Nothing,
    /// A `;` inside a body.
    Semi,
    /// A `:` (after a MySQL label).
    Colon,
    /// A word.
    Word(Kw),
    /// Anything else.
    Other,
}

/// Whether the current `CREATE` statement defines a stored program whose body may contain `;`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Program {
    /// Not decided yet (a `CREATE` statement before its object kind).
    Unknown,
    /// A procedure, function, trigger or event (MySQL) or a trigger (SQLite).
    Yes,
    /// Anything else.
    No,
}

/// The kind of quoted token, for the unterminated-literal message and help.
#[derive(Debug, Clone, Copy)]
enum Quoted {
    /// `'…'` with `''` escapes only.
    String,
    /// `'…'` or `"…"` with backslash and doubled-quote escapes (MySQL).
    BackslashString(u8),
    /// PostgreSQL `E'…'`.
    EscapeString,
    /// `"…"` or `` `…` `` with the doubled-quote escape.
    Identifier(u8),
    /// SQLite `[…]`.
    Bracketed,
}

struct Splitter<'a> {
    text: &'a str,
    sql: &'a [u8],
    dialect: Dialect,
    pos: usize,
    out: Split,
    /// Whether an unterminated literal was reported; an unclosed body is then its consequence.
    unterminated: bool,

    chunk_start: usize,
    /// The first and last significant bytes of the statement so far.
    statement: Option<Range<usize>>,
    /// The first word of the statement, if its first token was a word.
    first: Option<Kw>,
    program: Program,
    prev: Prev,
    prev_start: usize,
    /// How many compound bodies (and `CASE`s inside them) are open.
    depth: u32,
    /// The token that opened the outermost body, for the unterminated-body error.
    opener: Range<usize>,
    /// How many PostgreSQL parentheses are open, and where the outermost opened.
    parens: u32,
    paren: usize,
    /// The opening of an open MySQL executable comment `/*! … */`.
    executable: Option<Range<usize>>,
    /// The delimiter set by a MySQL `DELIMITER` line, so that a file with one still splits the way
    /// its author meant after the error.
    delimiter: Option<Range<usize>>,
}

impl<'a> Splitter<'a> {
    fn new(text: &'a str, dialect: Dialect) -> Splitter<'a> {
        Splitter {
            text,
            sql: text.as_bytes(),
            dialect,
            pos: 0,
            out: Split::default(),
            unterminated: false,
            chunk_start: 0,
            statement: None,
            first: None,
            program: Program::Unknown,
            prev: Prev::Nothing,
            prev_start: 0,
            depth: 0,
            opener: 0..0,
            parens: 0,
            paren: 0,
            executable: None,
            delimiter: None,
        }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.sql.get(at).copied()
    }

    fn run(&mut self) {
        // A byte order mark is an artefact of the editor, not SQL: it stays trivia of the first
        // chunk so that no statement sent to the database starts with it.
        if self.sql.starts_with("\u{feff}".as_bytes()) {
            self.pos = 3;
        }
        while self.pos < self.sql.len() {
            let start = self.pos;
            let b = self.sql[start];
            if self.delimiter_at(start) {
                let end = start + self.delimiter_len();
                self.end_chunk(end);
                continue;
            }
            match b {
                _ if is_space(b) => self.pos += 1,
                // An executable comment holds its `;` too: a statement cut inside it would reach
                // the server with the comment unclosed.
                b';' if self.depth == 0 && self.parens == 0 && self.executable.is_none() => {
                    self.end_chunk(start + 1)
                }
                b';' => self.token(start, start + 1, Prev::Semi),
                b'\'' => {
                    let kind = match self.dialect {
                        Dialect::Mysql => Quoted::BackslashString(b'\''),
                        Dialect::Postgres | Dialect::Sqlite => Quoted::String,
                    };
                    self.quoted(start, 1, kind);
                }
                b'"' => {
                    let kind = match self.dialect {
                        Dialect::Mysql => Quoted::BackslashString(b'"'),
                        Dialect::Postgres | Dialect::Sqlite => Quoted::Identifier(b'"'),
                    };
                    self.quoted(start, 1, kind);
                }
                b'`' if self.dialect != Dialect::Postgres => {
                    self.quoted(start, 1, Quoted::Identifier(b'`'))
                }
                b'[' if self.dialect == Dialect::Sqlite => self.quoted(start, 1, Quoted::Bracketed),
                b'-' if self.byte(start + 1) == Some(b'-') && self.dash_comment(start) => {
                    self.line_comment(start)
                }
                b'#' if self.dialect == Dialect::Mysql => self.line_comment(start),
                b'/' if self.byte(start + 1) == Some(b'*') => self.block_comment(start),
                b'*' if self.executable.is_some() && self.byte(start + 1) == Some(b'/') => {
                    self.executable = None;
                    self.extend(start, start + 2);
                    self.pos = start + 2;
                }
                b'$' if self.dialect == Dialect::Postgres => self.dollar(start),
                // Like psql, PostgreSQL's `;` inside parentheses does not end the statement: the
                // multi-command actions of `CREATE RULE … DO (…; …)` are one statement.
                b'(' if self.dialect == Dialect::Postgres => {
                    if self.parens == 0 {
                        self.paren = start;
                    }
                    self.parens += 1;
                    self.token(start, start + 1, Prev::Other);
                }
                b')' if self.dialect == Dialect::Postgres => {
                    self.parens = self.parens.saturating_sub(1);
                    self.token(start, start + 1, Prev::Other);
                }
                b':' if self.byte(start + 1) != Some(b'=') => {
                    self.token(start, start + 1, Prev::Colon)
                }
                _ if is_word(b) => self.word(start),
                _ => self.token(start, start + 1, Prev::Other),
            }
        }
    }

    fn finish(mut self) -> Split {
        let len = self.sql.len();
        if let Some(opening) = self.executable.take()
            && !self.unterminated
        {
            self.error(
                Code::UnterminatedLiteral,
                opening,
                "unterminated executable comment".to_owned(),
                "close the executable comment with `*/`".to_owned(),
            );
        }
        if self.depth > 0 && !self.unterminated {
            self.unclosed_body();
        } else if self.parens > 0 && !self.unterminated {
            let paren = self.paren;
            self.error(
                Code::UnterminatedLiteral,
                paren..paren + 1,
                "unclosed `(`".to_owned(),
                "close the parenthesis with `)`; a `;` inside parentheses does not end the \
                 statement, so without `)` the rest of the file is part of it"
                    .to_owned(),
            );
        }
        if self.chunk_start < len {
            self.end_chunk(len);
        }
        // Errors found at the end of the input point back into it; keep them in file order.
        self.out.errors.sort_by_key(|e| e.range.start);
        self.out
    }

    fn unclosed_body(&mut self) {
        let opener = self.opener.clone();
        let (message, help) = if self.dialect == Dialect::Postgres {
            (
                "unterminated `BEGIN ATOMIC` body".to_owned(),
                "end the function body with `END`; a `;` inside `BEGIN ATOMIC … END` does not end \
                 the statement, so without `END` the rest of the file is part of it"
                    .to_owned(),
            )
        } else {
            let word = self.text[opener.clone()].to_ascii_uppercase();
            (
                format!("unterminated `{word}` block"),
                format!(
                    "close the `{word}` with its `END` (`END IF`, `END LOOP`, `END WHILE`, \
                     `END REPEAT` or `END CASE` for those statements); a `;` inside a compound \
                     body does not end the statement, so without `END` the rest of the file is \
                     part of it"
                ),
            )
        };
        self.error(Code::UnterminatedLiteral, opener, message, help);
    }

    fn error(&mut self, code: Code, range: Range<usize>, message: String, help: String) {
        self.out.errors.push(SplitError {
            code,
            range,
            message,
            help,
        });
    }

    /// Ends the current chunk at `end` (after its `;` or delimiter, or at a line boundary).
    fn end_chunk(&mut self, end: usize) {
        self.out.chunks.push(Chunk {
            range: self.chunk_start..end,
            statement: self.statement.take(),
        });
        self.chunk_start = end;
        self.pos = end;
        self.first = None;
        self.program = Program::Unknown;
        self.prev = Prev::Nothing;
        self.depth = 0;
        self.parens = 0;
    }

    /// Grows the current statement to cover `start..end` without touching the body rules.
    fn extend(&mut self, start: usize, end: usize) {
        match &mut self.statement {
            Some(range) => range.end = end,
            None => self.statement = Some(start..end),
        }
    }

    /// Records a significant non-word token.
    fn token(&mut self, start: usize, end: usize, prev: Prev) {
        self.extend(start, end);
        if self.first.is_none() {
            self.first = Some(Kw::Other);
        }
        self.prev = prev;
        self.prev_start = start;
        self.pos = end;
    }

    fn delimiter_len(&self) -> usize {
        self.delimiter.as_ref().map_or(0, |d| d.len())
    }

    fn delimiter_at(&self, at: usize) -> bool {
        match &self.delimiter {
            Some(d) => self.sql[at..].starts_with(&self.sql[d.clone()]),
            None => false,
        }
    }

    /// Whether `--` at `start` opens a comment. MySQL needs whitespace, a control character or
    /// the end of the input after it: `1--1` is an expression there.
    fn dash_comment(&self, start: usize) -> bool {
        match self.dialect {
            Dialect::Mysql => self.byte(start + 2).is_none_or(|b| b <= b' ' || b == 0x7f),
            Dialect::Postgres | Dialect::Sqlite => true,
        }
    }

    fn line_comment(&mut self, start: usize) {
        let mut end = start;
        while end < self.sql.len() && self.sql[end] != b'\n' {
            end += 1;
        }
        self.pos = end;
        // The `\r` of a CRLF line ending belongs to the newline, not to the comment.
        let text_end = if end > start && self.sql[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        self.out.comments.push(start..text_end);
    }

    fn block_comment(&mut self, start: usize) {
        let len = self.sql.len();
        if self.dialect == Dialect::Mysql {
            // `/*!` and MariaDB's `/*M!` comments are run by the server: they are statement text.
            let bang = match (self.byte(start + 2), self.byte(start + 3)) {
                (Some(b'!'), _) => Some(start + 3),
                (Some(b'M'), Some(b'!')) => Some(start + 4),
                _ => None,
            };
            if let Some(mut end) = bang {
                let version_end = (end + 6).min(len);
                while end < version_end && self.sql[end].is_ascii_digit() {
                    end += 1;
                }
                if self.executable.is_none() {
                    self.executable = Some(start..end);
                }
                // The markers do not touch `first` or `prev`: the words inside decide the
                // statement's kind as if the markers were not there.
                self.extend(start, end);
                self.pos = end;
                return;
            }
        }
        let nested = self.dialect == Dialect::Postgres;
        let mut depth = 1u32;
        let mut at = start + 2;
        while at < len {
            match (self.sql[at], self.byte(at + 1)) {
                (b'*', Some(b'/')) => {
                    at += 2;
                    depth -= 1;
                    if depth == 0 {
                        self.out.comments.push(start..at);
                        self.pos = at;
                        return;
                    }
                }
                (b'/', Some(b'*')) if nested => {
                    at += 2;
                    depth += 1;
                }
                _ => at += 1,
            }
        }
        self.out.comments.push(start..len);
        self.pos = len;
        let help = if nested {
            "close the comment with `*/`; comments nest in PostgreSQL, so every `/*` inside it \
             needs its own `*/`"
        } else {
            "close the comment with `*/`"
        };
        self.unterminated(start..start + 2, "unterminated block comment", help);
    }

    /// The end of the input without trailing whitespace: where an unterminated token's part of
    /// the statement ends, so that statements stay trimmed even then.
    fn trimmed_len(&self) -> usize {
        let mut end = self.sql.len();
        while end > 0 && is_space(self.sql[end - 1]) {
            end -= 1;
        }
        end
    }

    fn unterminated(&mut self, range: Range<usize>, message: &str, help: &str) {
        self.unterminated = true;
        self.error(
            Code::UnterminatedLiteral,
            range,
            message.to_owned(),
            help.to_owned(),
        );
    }

    /// Lexes a quoted token whose opening is `open` bytes long.
    fn quoted(&mut self, start: usize, open: usize, kind: Quoted) {
        let (close, backslash, doubled) = match kind {
            Quoted::String => (b'\'', false, true),
            Quoted::BackslashString(q) => (q, true, true),
            Quoted::EscapeString => (b'\'', true, true),
            Quoted::Identifier(q) => (q, false, true),
            Quoted::Bracketed => (b']', false, false),
        };
        let len = self.sql.len();
        let mut at = start + open;
        while at < len {
            let b = self.sql[at];
            if backslash && b == b'\\' {
                at += 2;
            } else if b == close {
                if doubled && self.byte(at + 1) == Some(close) {
                    at += 2;
                } else {
                    self.token(start, at + 1, Prev::Other);
                    return;
                }
            } else {
                at += 1;
            }
        }
        self.token(start, self.trimmed_len(), Prev::Other);
        let (message, help) = match kind {
            Quoted::String => (
                "unterminated string literal",
                "close the string with `'`; a `'` inside a string is written `''`",
            ),
            Quoted::BackslashString(b'"') => (
                "unterminated string literal",
                "close the string with `\"`; a `\"` inside it is written `\\\"` or `\"\"`",
            ),
            Quoted::BackslashString(_) => (
                "unterminated string literal",
                "close the string with `'`; a `'` inside it is written `\\'` or `''`, and a \
                 backslash `\\\\`",
            ),
            Quoted::EscapeString => (
                "unterminated escape string literal `E'…'`",
                "close the string with `'`; inside `E'…'` a `'` is written `\\'` or `''`, and a \
                 backslash `\\\\`",
            ),
            Quoted::Identifier(b'`') => (
                "unterminated quoted identifier",
                "close the identifier with `` ` ``; a backtick inside it is written twice",
            ),
            Quoted::Identifier(_) => (
                "unterminated quoted identifier",
                "close the identifier with `\"`; a `\"` inside it is written `\"\"`",
            ),
            Quoted::Bracketed => (
                "unterminated quoted identifier",
                "close the identifier with `]`",
            ),
        };
        self.unterminated(start..start + open, message, help);
    }

    /// A PostgreSQL `$`: a dollar quote, a `$1` parameter, or a lone operator byte.
    fn dollar(&mut self, start: usize) {
        let len = self.sql.len();
        if self.byte(start + 1).is_some_and(|b| b.is_ascii_digit()) {
            let mut end = start + 1;
            while end < len && self.sql[end].is_ascii_digit() {
                end += 1;
            }
            self.token(start, end, Prev::Other);
            return;
        }
        let mut tag_end = start + 1;
        if self.byte(tag_end).is_some_and(is_tag_start) {
            while tag_end < len && is_tag_continue(self.sql[tag_end]) {
                tag_end += 1;
            }
        }
        if self.byte(tag_end) != Some(b'$') {
            self.token(start, start + 1, Prev::Other);
            return;
        }
        let open_end = tag_end + 1;
        let tag = &self.sql[start..open_end];
        let mut at = open_end;
        while at < len {
            if self.sql[at] == b'$' && self.sql[at..].starts_with(tag) {
                self.token(start, at + tag.len(), Prev::Other);
                return;
            }
            at += 1;
        }
        self.token(start, self.trimmed_len(), Prev::Other);
        let tag = &self.text[start..open_end];
        self.unterminated = true;
        self.error(
            Code::UnterminatedLiteral,
            start..open_end,
            format!("unterminated dollar-quoted string `{tag}`"),
            format!("close the string with the same `{tag}` that opened it"),
        );
    }

    fn word(&mut self, start: usize) {
        let len = self.sql.len();
        let mut end = start + 1;
        while end < len && is_word(self.sql[end]) && !self.delimiter_at(end) {
            end += 1;
        }
        let word = &self.sql[start..end];
        if self.dialect == Dialect::Postgres
            && word.eq_ignore_ascii_case(b"e")
            && self.byte(end) == Some(b'\'')
        {
            self.quoted(start, 2, Quoted::EscapeString);
            return;
        }
        let kw = keyword(word);
        if kw == Kw::Delimiter && self.delimiter_command(start, end) {
            return;
        }
        match self.first {
            None => self.first = Some(kw),
            Some(Kw::Create | Kw::Alter) if self.program == Program::Unknown => {
                self.program = match (self.dialect, kw) {
                    (Dialect::Mysql, Kw::Procedure | Kw::Function | Kw::Trigger | Kw::Event)
                    | (Dialect::Sqlite, Kw::Trigger) => Program::Yes,
                    (
                        _,
                        Kw::Table
                        | Kw::View
                        | Kw::Index
                        | Kw::Unique
                        | Kw::Virtual
                        | Kw::Database
                        | Kw::Schema
                        | Kw::User
                        | Kw::Role,
                    ) => Program::No,
                    _ => Program::Unknown,
                };
            }
            Some(_) => {}
        }
        match self.dialect {
            Dialect::Postgres => self.postgres_body(kw, end),
            Dialect::Sqlite if self.program == Program::Yes => match kw {
                Kw::Begin | Kw::Case => self.open(start..end),
                Kw::End => self.close(),
                _ => {}
            },
            Dialect::Mysql if self.program == Program::Yes => self.mysql_body(kw, start, end),
            Dialect::Sqlite | Dialect::Mysql => {}
        }
        self.token(start, end, Prev::Word(kw));
    }

    fn postgres_body(&mut self, kw: Kw, end: usize) {
        match kw {
            Kw::Atomic if self.prev == Prev::Word(Kw::Begin) => self.open(self.prev_start..end),
            Kw::Case if self.depth > 0 => self.depth += 1,
            Kw::End => self.close(),
            _ => {}
        }
    }

    /// The compound statements of MySQL stored programs. `BEGIN`, `LOOP` and `WHILE` always open
    /// one; `CASE` opens one that `END` or `END CASE` closes; `IF` and MariaDB's `FOR` open one
    /// only where a statement starts (not `IF(a, b, c)` or `IF NOT EXISTS`); `REPEAT` unless it is
    /// the `REPEAT(str, n)` function. The word after `END` names what it closes.
    fn mysql_body(&mut self, kw: Kw, start: usize, end: usize) {
        if self.prev == Prev::Word(Kw::End) {
            return;
        }
        let statement_start = matches!(
            self.prev,
            Prev::Semi
                | Prev::Colon
                | Prev::Word(
                    Kw::Begin | Kw::Then | Kw::Else | Kw::Do | Kw::Loop | Kw::Repeat | Kw::Row
                )
        );
        let opens = match kw {
            Kw::Begin | Kw::Loop | Kw::While | Kw::Case => true,
            Kw::If => statement_start,
            Kw::For => statement_start && self.prev != Prev::Word(Kw::Row),
            Kw::Repeat => self.next_significant(end) != Some(b'('),
            Kw::End => {
                self.close();
                false
            }
            _ => false,
        };
        if opens {
            self.open(start..end);
        }
    }

    fn next_significant(&self, from: usize) -> Option<u8> {
        self.sql[from..].iter().copied().find(|&b| !is_space(b))
    }

    fn open(&mut self, opener: Range<usize>) {
        if self.depth == 0 {
            self.opener = opener;
        }
        self.depth += 1;
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// A MySQL `DELIMITER` at the start of a line (and of a statement, or while a custom delimiter
    /// is active): reports it, makes the line a trivia chunk of its own, and splits the rest of
    /// the file on the new delimiter as the `mysql` client would.
    fn delimiter_command(&mut self, start: usize, end: usize) -> bool {
        if self.dialect != Dialect::Mysql
            || !self.byte(end).is_none_or(is_space)
            || (self.statement.is_some() && self.delimiter.is_none())
        {
            return false;
        }
        let line_start = self.sql[..start]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        if !self.sql[line_start..start]
            .iter()
            .all(|&b| b == b' ' || b == b'\t')
        {
            return false;
        }
        let len = self.sql.len();
        let mut line_end = end;
        while line_end < len && self.sql[line_end] != b'\n' {
            line_end += 1;
        }
        let mut value_start = end;
        while value_start < line_end && is_space(self.sql[value_start]) {
            value_start += 1;
        }
        let mut value_end = value_start;
        while value_end < line_end && !is_space(self.sql[value_end]) {
            value_end += 1;
        }
        let mut text_end = line_end;
        while text_end > start && is_space(self.sql[text_end - 1]) {
            text_end -= 1;
        }
        if self.statement.is_some() {
            // The previous statement lacked its custom delimiter; it ends before this line.
            self.end_chunk(line_start);
        }
        self.delimiter = match &self.sql[value_start..value_end] {
            b"" | b";" => None,
            _ => Some(value_start..value_end),
        };
        self.error(
            Code::DelimiterCommand,
            start..text_end,
            "`DELIMITER` is a command of the mysql client, not SQL".to_owned(),
            "the server never sees `DELIMITER`: only the `mysql` command-line client understands \
             it. driftless splits compound statements (the `BEGIN … END` bodies of procedures, \
             functions, triggers and events) itself, so remove the `DELIMITER` lines, end every \
             statement with a plain `;` and drop the custom delimiter after `END`"
                .to_owned(),
        );
        self.end_chunk(line_end);
        true
    }
}

#[cfg(test)]
mod tests;
