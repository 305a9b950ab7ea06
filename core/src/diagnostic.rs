//! Diagnostics: stable codes, levels, spans, and their rustc-style rendering.

use std::fmt;
use std::ops::Range;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Recorded but not shown by default (an `allow`ed lint).
    Note,
    /// Shown; does not fail the build.
    Warning,
    /// Fails the build and `driftless check`.
    Error,
}

impl Severity {
    /// `note`, `warning` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A lint level, as `driftless.toml` sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Not shown.
    Allow,
    /// A warning.
    Warn,
    /// An error.
    Deny,
}

impl Level {
    /// Parses `allow`, `warn` or `deny`.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }

    /// The severity a diagnostic at this level gets.
    pub fn severity(self) -> Severity {
        match self {
            Level::Allow => Severity::Note,
            Level::Warn => Severity::Warning,
            Level::Deny => Severity::Error,
        }
    }
}

/// The family a diagnostic code belongs to; hazards carry their CONTRACT §5 class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// File names, versions and layouts.
    Layout,
    /// The lock file: checksums, deleted and out-of-order migrations, drafts.
    Lock,
    /// `driftless.toml` and macro or CLI options.
    Config,
    /// `-- driftless:` directives.
    Directive,
    /// Splitting a file into statements.
    Syntax,
    /// Schema consistency found by replaying the migrations.
    Schema,
    /// Hazard: data that existed can be lost. Needs acknowledgement and, at deploy, consent.
    DataLoss,
    /// Hazard: the statement may fail on existing data.
    MayFail,
    /// Hazard: running code may break (renames).
    Incompatible,
    /// Hazard: the statement holds heavy locks on an existing table.
    LockHeavy,
    /// A statement that can never succeed where it is.
    Transaction,
}

impl Category {
    /// Whether codes of this category are hazards of CONTRACT §5.
    pub fn is_hazard(self) -> bool {
        matches!(
            self,
            Category::DataLoss | Category::MayFail | Category::Incompatible | Category::LockHeavy
        )
    }
}

macro_rules! codes {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $name:literal, $category:ident, $level:ident, $configurable:literal;
    )*) => {
        /// A stable diagnostic code. Each is documented in `docs/diagnostics.md`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Code {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[ $(Code::$variant),* ];

            /// The kebab-case name (`drop-column`).
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The family of the code.
            pub fn category(self) -> Category {
                match self { $(Code::$variant => Category::$category,)* }
            }

            /// The level the code has unless `driftless.toml` or adoption changes it.
            pub fn default_level(self) -> Level {
                match self { $(Code::$variant => Level::$level,)* }
            }

            /// Whether `driftless.toml` and `allow` directives may change the level.
            ///
            /// Integrity errors (edited locked migrations, broken files) never are: a
            /// configuration must not be able to switch them off.
            pub fn configurable(self) -> bool {
                match self { $(Code::$variant => $configurable,)* }
            }

            /// The one-line description from the docs.
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => concat!($($doc),*).trim_ascii(),)* }
            }

            /// Looks a code up by its name.
            pub fn from_name(name: &str) -> Option<Code> {
                match name { $($name => Some(Code::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    /// A file looks like a migration but fits no layout.
    MisnamedMigration = "misnamed-migration", Layout, Deny, false;
    /// Two migrations share a version.
    DuplicateVersion = "duplicate-version", Layout, Deny, false;
    /// The folder mixes layouts (flat, sqlx reversible, Prisma, diesel).
    MixedLayout = "mixed-layout", Layout, Deny, false;
    /// A migration file is not valid UTF-8.
    NonUtf8 = "non-utf8", Layout, Deny, false;
    /// A migration holds no statement.
    EmptyMigration = "empty-migration", Layout, Warn, true;
    /// A hidden file or folder that looks like a migration, or a folder nested deeper than
    /// driftless lists: it is not checked and never runs.
    UnreadFile = "unread-file", Layout, Warn, true;
    /// No dialect is known: the folder has no lock file and none was given.
    MissingDialect = "missing-dialect", Lock, Deny, false;
    /// A dialect given to the macro or the CLI contradicts the lock file.
    DialectMismatch = "dialect-mismatch", Lock, Deny, false;
    /// The lock file cannot be read, or its header hash does not match its entries.
    CorruptLockFile = "corrupt-lock-file", Lock, Deny, false;
    /// A locked migration's content changed.
    EditedLockedMigration = "edited-locked-migration", Lock, Deny, false;
    /// A locked migration's file is gone.
    DeletedLockedMigration = "deleted-locked-migration", Lock, Deny, false;
    /// An unlocked migration sorts before the newest locked one.
    OutOfOrderMigration = "out-of-order-migration", Lock, Deny, false;
    /// A migration is not locked yet (an error in strict mode only).
    DraftMigration = "draft-migration", Lock, Allow, false;
    /// `migrations!` found no analysis from `driftless_build::watch` for its folder.
    MissingBuildScript = "missing-build-script", Config, Deny, false;
    /// `driftless.toml` is invalid.
    InvalidConfig = "invalid-config", Config, Deny, false;
    /// A lint code named in `driftless.toml` or a directive does not exist.
    UnknownLint = "unknown-lint", Config, Deny, false;
    /// A `-- driftless:` comment is not a known directive.
    UnknownDirective = "unknown-directive", Directive, Deny, false;
    /// A directive is malformed or misplaced.
    InvalidDirective = "invalid-directive", Directive, Deny, false;
    /// An `allow` directive matched no diagnostic.
    UnusedAllow = "unused-allow", Directive, Warn, true;
    /// A `DELIMITER` line: a client command, not SQL.
    DelimiterCommand = "delimiter-command", Syntax, Deny, false;
    /// A string, quoted identifier, comment or body is not closed by the end of the file.
    UnterminatedLiteral = "unterminated-literal", Syntax, Deny, false;
    /// A statement the SQL parser does not understand; its objects become uncertain.
    UnparsedStatement = "unparsed-statement", Syntax, Allow, true;
    /// A statement refers to a table that does not exist at that point of the history.
    MissingTable = "missing-table", Schema, Deny, true;
    /// A statement refers to a column that does not exist at that point of the history.
    MissingColumn = "missing-column", Schema, Deny, true;
    /// A statement refers to a schema, index, view, type or sequence that does not exist.
    MissingObject = "missing-object", Schema, Deny, true;
    /// A CREATE without IF NOT EXISTS of an object that already exists.
    ObjectExists = "object-exists", Schema, Deny, true;
    /// A table would get two columns of the same name.
    DuplicateColumn = "duplicate-column", Schema, Deny, true;
    /// The declared schema (`schema.sql`) and the schema the migrations produce differ.
    SchemaMismatch = "schema-mismatch", Schema, Deny, true;
    /// The declared schema holds a statement the analysis cannot read, or is not a file of
    /// CREATE statements.
    SchemaUnreadable = "schema-unreadable", Schema, Deny, false;
    /// An object of the declared schema the comparison cannot verify (an error in strict mode).
    SchemaNotVerified = "schema-not-verified", Schema, Allow, true;
    /// The declared schema changed since `driftless.lock` recorded it.
    SchemaUnlocked = "schema-unlocked", Lock, Warn, false;
    /// DROP TABLE of a table that existed before this migration.
    DropTable = "drop-table", DataLoss, Deny, true;
    /// DROP COLUMN of a column that existed before this migration.
    DropColumn = "drop-column", DataLoss, Deny, true;
    /// DROP SCHEMA or DROP DATABASE.
    DropSchema = "drop-schema", DataLoss, Deny, true;
    /// TRUNCATE of an existing table.
    Truncate = "truncate", DataLoss, Deny, true;
    /// DELETE without WHERE on an existing table.
    DeleteWithoutWhere = "delete-without-where", DataLoss, Deny, true;
    /// UPDATE without WHERE on an existing table.
    UpdateWithoutWhere = "update-without-where", DataLoss, Deny, true;
    /// A column type change that can lose data (narrowing, or to another type family).
    LossyTypeChange = "lossy-type-change", DataLoss, Deny, true;
    /// Dropping a value of an enum type.
    DropEnumValue = "drop-enum-value", DataLoss, Deny, true;
    /// A statement whose effect on data the analysis cannot see (DO block, call, EXECUTE, ...).
    OpaqueDataChange = "opaque-data-change", DataLoss, Deny, true;
    /// REPLACE INTO or INSERT OR REPLACE on an existing table deletes conflicting rows.
    ReplaceInto = "replace-into", DataLoss, Deny, true;
    /// Adding a NOT NULL column without a default to an existing table.
    AddNotNullColumn = "add-not-null-column", MayFail, Warn, true;
    /// SET NOT NULL, a unique index or constraint, or a CHECK on existing data.
    ConstraintOnExistingData = "constraint-on-existing-data", MayFail, Warn, true;
    /// Renaming a table: code running against the old name breaks.
    RenameTable = "rename-table", Incompatible, Warn, true;
    /// Renaming a column: code running against the old name breaks.
    RenameColumn = "rename-column", Incompatible, Warn, true;
    /// PostgreSQL CREATE INDEX without CONCURRENTLY on an existing table.
    IndexWithoutConcurrently = "index-without-concurrently", LockHeavy, Warn, true;
    /// PostgreSQL foreign key or CHECK added to an existing table without NOT VALID.
    ConstraintWithoutNotValid = "constraint-without-not-valid", LockHeavy, Warn, true;
    /// CONCURRENTLY inside a transaction can never succeed.
    ConcurrentlyInTransaction = "concurrently-in-transaction", Transaction, Deny, false;
    /// BEGIN, COMMIT or ROLLBACK inside a migration that driftless runs in a transaction.
    TransactionControl = "transaction-control", Transaction, Warn, true;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about a migrations folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The stable code.
    pub code: Code,
    /// Error, warning or note, after levels, directives and adoption were applied.
    pub severity: Severity,
    /// The file, relative to the migrations folder with `/` separators; `None` for the folder.
    pub file: Option<String>,
    /// The byte range in that file, when the finding has a place.
    pub range: Option<Range<usize>>,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
    /// The exact fix.
    pub help: Option<String>,
    /// A second place the finding involves (the migration that shaped an object the declared
    /// schema also declares), rendered as a note.
    pub related: Option<Box<Related>>,
}

/// A second place of a diagnostic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    /// The file, relative to the migrations folder.
    pub file: String,
    /// The byte range in that file.
    pub range: Range<usize>,
    /// What is there (`the migrations make it \`text\` here`).
    pub label: String,
}

impl Diagnostic {
    /// A diagnostic at the code's default level.
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.default_level().severity(),
            file: None,
            range: None,
            message: message.into(),
            help: None,
            related: None,
        }
    }

    /// Adds a second place.
    pub fn related(
        mut self,
        file: impl Into<String>,
        range: Range<usize>,
        label: impl Into<String>,
    ) -> Diagnostic {
        self.related = Some(Box::new(Related {
            file: file.into(),
            range,
            label: label.into(),
        }));
        self
    }

    /// Places the diagnostic in a file.
    pub fn in_file(mut self, file: impl Into<String>) -> Diagnostic {
        self.file = Some(file.into());
        self
    }

    /// Places the diagnostic at a byte range of its file.
    pub fn at(mut self, range: Range<usize>) -> Diagnostic {
        self.range = Some(range);
        self
    }

    /// Adds the fix.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets the severity.
    pub fn severity(mut self, severity: Severity) -> Diagnostic {
        self.severity = severity;
        self
    }

    /// Whether it fails the build.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic as rustc does:
    ///
    /// ```text
    /// error[drop-column]: dropping column `users.email` loses its data
    ///  --> migrations/0004_drop_email.sql:3:1
    ///   |
    /// 3 | ALTER TABLE users DROP COLUMN email;
    ///   | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    ///   = help: ...
    /// ```
    ///
    /// `dir` is the migrations folder as the user wrote it (`migrations`); `source` is the text of
    /// the diagnostic's file, if it has one.
    pub fn render(&self, dir: &str, source: Option<&str>) -> String {
        self.render_with(dir, source, Position::of)
    }

    /// [`Diagnostic::render`] with the position found by `position` (a [`LineStarts`] lookup
    /// when many diagnostics of one file are rendered).
    pub(crate) fn render_with(
        &self,
        dir: &str,
        source: Option<&str>,
        position: impl FnOnce(&str, usize) -> Position,
    ) -> String {
        use std::fmt::Write;
        let mut out = format!(
            "{}[{}]: {}\n",
            self.severity.as_str(),
            self.code,
            self.message
        );
        let path = match &self.file {
            Some(file) if dir.is_empty() || dir == "." => file.clone(),
            Some(file) => format!("{}/{file}", dir.trim_end_matches('/')),
            None => dir.to_owned(),
        };
        match (&self.range, source) {
            (Some(range), Some(source)) if range.start <= source.len() => {
                let pos = position(source, range.start);
                let _ = writeln!(out, " --> {path}:{}:{}", pos.line, pos.column);
                let gutter = pos.line.to_string().len();
                let line_text = source[pos.line_start..]
                    .split(['\n', '\r'])
                    .next()
                    .unwrap_or("");
                // Ranges come from analysis of the same text, but a renderer must never panic:
                // `Position::of` snapped the start to a character boundary; snap the end too.
                let start = pos.line_start
                    + source[pos.line_start..]
                        .char_indices()
                        .nth(pos.column - 1)
                        .map_or(0, |(i, _)| i);
                let mut end = range.end.min(pos.line_start + line_text.len()).max(start);
                while !source.is_char_boundary(end) {
                    end += 1;
                }
                let carets = source[start..end].chars().count().max(1);
                let _ = writeln!(out, "{:gutter$} |", "");
                let _ = writeln!(out, "{} | {}", pos.line, line_text.trim_end());
                let _ = writeln!(
                    out,
                    "{:gutter$} | {}{}",
                    "",
                    " ".repeat(pos.column - 1),
                    "^".repeat(carets)
                );
                if let Some(help) = &self.help {
                    let _ = writeln!(out, "{:gutter$} = help: {help}", "");
                }
            }
            _ => {
                let _ = writeln!(out, " --> {path}");
                if let Some(help) = &self.help {
                    let _ = writeln!(out, "  = help: {help}");
                }
            }
        }
        out
    }
}

/// A 1-based line and column (in characters) of a byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// Byte offset where the line starts.
    pub line_start: usize,
}

impl Position {
    /// The position of byte `offset` in `source` (clamped to a character boundary).
    pub fn of(source: &str, offset: usize) -> Position {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &source[..offset];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line: before.matches('\n').count() + 1,
            column: source[line_start..offset].chars().count() + 1,
            line_start,
        }
    }
}

/// Where the lines of one text start: [`Position::of`] in logarithmic time, for rendering many
/// diagnostics of one file (scanning from the start for each was quadratic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineStarts {
    /// Byte offset of each line's start; the first is 0.
    starts: Vec<usize>,
    /// Whether each line is ASCII, so that its columns are byte offsets.
    ascii: Vec<bool>,
}

impl LineStarts {
    pub(crate) fn of(source: &str) -> LineStarts {
        let mut starts = Vec::new();
        let mut ascii = Vec::new();
        let mut start = 0;
        for line in source.split_inclusive('\n') {
            starts.push(start);
            ascii.push(line.is_ascii());
            start += line.len();
        }
        if starts.is_empty() || source.ends_with('\n') {
            starts.push(start);
            ascii.push(true);
        }
        LineStarts { starts, ascii }
    }

    /// The byte offset of a 1-based line and character column, as sqlparser's spans give them
    /// (a column past the end of its line runs on into the next lines), or `None` when the
    /// text is shorter.
    pub(crate) fn offset(&self, text: &str, line: u64, column: u64) -> Option<usize> {
        let line = usize::try_from(line).ok()?.checked_sub(1)?;
        let column = usize::try_from(column).ok()?.checked_sub(1)?;
        let start = *self.starts.get(line)?;
        let rest = text.get(start..)?;
        let line_len = self
            .starts
            .get(line + 1)
            .map_or(rest.len(), |next| next - start);
        if self.ascii[line] && (column < line_len || column == rest.len() && line_len == rest.len())
        {
            return Some(start + column);
        }
        match rest.char_indices().nth(column) {
            Some((i, _)) => Some(start + i),
            None => (rest.chars().count() == column).then_some(start + rest.len()),
        }
    }

    /// The same as [`Position::of`]`(source, offset)` for the `source` this was built from.
    pub(crate) fn position(&self, source: &str, offset: usize) -> Position {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let line_start = self.starts[line - 1];
        if line_start > offset || !source.is_char_boundary(line_start) {
            // Not the text this was built from.
            return Position::of(source, offset);
        }
        let column = if self.ascii[line - 1] {
            offset - line_start + 1
        } else {
            source[line_start..offset].chars().count() + 1
        };
        Position {
            line,
            column,
            line_start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The offset of a 1-based line and character column by scanning from the start, as the
    /// replay found it before it had a line index.
    fn offset_by_scan(text: &str, line: u64, column: u64) -> Option<usize> {
        if line == 0 || column == 0 {
            return None;
        }
        let mut line_start = 0;
        for _ in 1..line {
            line_start += text[line_start..].find('\n')? + 1;
        }
        let rest = &text[line_start..];
        let mut col = 1;
        for (i, _) in rest.char_indices() {
            if col == column {
                return Some(line_start + i);
            }
            col += 1;
        }
        (col == column).then_some(line_start + rest.len())
    }

    proptest::proptest! {
        /// The line index finds the same offsets as a scan from the start.
        #[test]
        fn line_starts_offset_agrees_with_a_scan(
            text in "[a\n\r\u{e9}\u{1f600}]{0,30}",
            line in 0u64..8,
            column in 0u64..40,
        ) {
            let lines = LineStarts::of(&text);
            proptest::prop_assert_eq!(lines.offset(&text, line, column), offset_by_scan(&text, line, column));
        }

        /// The line index finds the same positions as a scan from the start.
        #[test]
        fn line_starts_agree_with_position_of(
            source in "[a\n\r\u{e9}\u{1f600}]{0,30}",
            offset in 0usize..140,
        ) {
            let lines = LineStarts::of(&source);
            proptest::prop_assert_eq!(lines.position(&source, offset), Position::of(&source, offset));
        }
    }

    #[test]
    fn codes_are_unique_kebab_case_and_documented() {
        let docs = include_str!("../../docs/diagnostics.md");
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "duplicate code {name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()),
                "{name} is not kebab-case"
            );
            assert_eq!(Code::from_name(name), Some(*code));
            assert!(!code.description().is_empty(), "{name} has no description");
            assert!(
                docs.contains(&format!("## `{name}`")),
                "{name} has no section in docs/diagnostics.md"
            );
        }
    }

    #[test]
    fn renders_like_rustc() {
        let source = "CREATE TABLE t (id int);\nALTER TABLE users DROP COLUMN email;\n";
        let start = source.find("ALTER").unwrap();
        let d = Diagnostic::new(
            Code::DropColumn,
            "dropping column `users.email` loses its data",
        )
        .in_file("0004_drop_email.sql")
        .at(start..source.len() - 2)
        .help("acknowledge it");
        let text = d.render("migrations", Some(source));
        assert_eq!(
            text,
            "error[drop-column]: dropping column `users.email` loses its data\n \
             --> migrations/0004_drop_email.sql:2:1\n  |\n\
             2 | ALTER TABLE users DROP COLUMN email;\n  | \
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  = help: acknowledge it\n"
        );
    }

    #[test]
    fn rendering_never_splits_a_character() {
        let source = "SELECT 'caf\u{fffd}';\n";
        let d = Diagnostic::new(Code::NonUtf8, "x")
            .in_file("a.sql")
            .at(11..12);
        assert!(d.render("m", Some(source)).contains("1:12"));
        let d = Diagnostic::new(Code::NonUtf8, "x")
            .in_file("a.sql")
            .at(12..400);
        assert!(d.render("m", Some(source)).contains('^'));
    }

    #[test]
    fn position_counts_characters() {
        let p = Position::of("é\nab", 4);
        assert_eq!((p.line, p.column), (2, 2));
    }
}
