//! The one entry point: a loaded folder and options in, the verdict out.

use std::ops::Range;

use crate::checksum;
use crate::config::{self, Config};
use crate::diagnostic::{Category, Code, Diagnostic, Severity};
use crate::dialect::Dialect;
use crate::directive::{self, Directive, Scope};
use crate::folder::Folder;
use crate::layout::{self, Layout};
use crate::lockfile::{self, EntryState, LockFile};
use crate::object::Object;
use crate::schema::{Hazard, MigrationInput, Replay, StatementFacts};
use crate::split;

/// Options that do not live in the folder. A dialect that contradicts the lock file is an error,
/// not an override (CONTRACT §1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// The dialect the caller expects (macro argument, `--dialect`).
    pub dialect: Option<Dialect>,
    /// Forces strict mode on (`--strict`); `None` leaves it to `driftless.toml`.
    pub strict: Option<bool>,
}

/// Whether a migration is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MigrationState {
    /// Unlocked and after the newest locked migration.
    Draft,
    /// Locked by `driftless lock`.
    Locked,
    /// Locked by `driftless lock --adopt`: its lints are warnings.
    Adopted,
}

/// One migration of the folder, with everything the runtime and tools need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The version; ordering is numeric.
    pub version: u64,
    /// The description part of the name (`create_users`).
    pub description: String,
    /// The SQL file, relative to the folder (`0001_create_users.sql`, `x/migration.sql`).
    pub path: String,
    /// The layout it was found in.
    pub layout: Layout,
    /// The text of the file.
    pub sql: String,
    /// SHA-256 of the content (CRLF→LF, BOM removed).
    pub checksum: [u8; 32],
    /// Draft, locked or adopted.
    pub state: MigrationState,
    /// Whether it runs in a transaction (false for `no-transaction`).
    pub transactional: bool,
    /// Its directives.
    pub directives: Vec<Directive>,
    /// Its statements, in order.
    pub statements: Vec<Statement>,
    /// Objects it creates that did not exist before it.
    pub creates: Vec<Object>,
    /// The down file next to it (sqlx `.down.sql`, diesel `down.sql`): noted, never run.
    pub down: Option<String>,
}

/// One statement of a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The byte range in the migration's SQL, exactly what is sent to the database.
    pub range: Range<usize>,
    /// The parser did not understand it.
    pub opaque: bool,
    /// Its hazards. Data-loss hazards here were acknowledged (or adopted) unless the analysis
    /// has an error for them.
    pub hazards: Vec<Hazard>,
}

/// The verdict on a folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Analysis {
    /// The dialect from the lock file or the options.
    pub dialect: Option<Dialect>,
    /// Whether drafts are errors.
    pub strict: bool,
    /// The migrations, ordered by version.
    pub migrations: Vec<Migration>,
    /// Every finding, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// The text of every file a diagnostic may point into, by path.
    pub sources: Vec<(String, String)>,
}

impl Analysis {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The error diagnostics.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// The warning diagnostics.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }

    /// The text of a file of the folder.
    pub fn source(&self, path: &str) -> Option<&str> {
        self.sources
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, s)| s.as_str())
    }

    /// Renders one diagnostic with its excerpt; `dir` is the folder as the user wrote it.
    pub fn render(&self, diagnostic: &Diagnostic, dir: &str) -> String {
        let source = diagnostic.file.as_deref().and_then(|f| self.source(f));
        diagnostic.render(dir, source)
    }
}

/// Analyses a folder. Never fails: every problem is a diagnostic.
pub fn analyze(folder: &Folder, options: &Options) -> Analysis {
    let mut out = Analysis::default();
    let mut diags: Vec<Diagnostic> = Vec::new();

    // driftless.toml
    let config = match folder.get(config::FILE_NAME) {
        Some(file) => {
            let text = String::from_utf8_lossy(&file.content).into_owned();
            let (config, d) = Config::parse(&text);
            diags.extend(d);
            out.sources.push((config::FILE_NAME.to_owned(), text));
            config
        }
        None => Config::default(),
    };
    out.strict = options.strict.unwrap_or(config.strict);

    // driftless.lock
    let lock = match folder.get(lockfile::FILE_NAME) {
        Some(file) => {
            let text = String::from_utf8_lossy(&file.content).into_owned();
            let parsed = LockFile::parse(&text);
            out.sources.push((lockfile::FILE_NAME.to_owned(), text));
            match parsed {
                Ok(lock) => Some(lock),
                Err(e) => {
                    diags.push(
                        Diagnostic::new(Code::CorruptLockFile, e.message)
                            .in_file(lockfile::FILE_NAME)
                            .at(e.range)
                            .help("after a merge, take one side's driftless.lock (`git checkout --ours migrations/driftless.lock`) and run `driftless lock` to lock the other side's migrations again"),
                    );
                    None
                }
            }
        }
        None => None,
    };
    out.dialect = match (lock.as_ref().map(|l| l.dialect), options.dialect) {
        (Some(locked), Some(given)) if locked != given => {
            diags.push(
                Diagnostic::new(
                    Code::DialectMismatch,
                    format!("`{given}` was given but driftless.lock says the folder is `{locked}`"),
                )
                .in_file(lockfile::FILE_NAME)
                .help("the lock file is the source of the dialect: drop the argument, or change the lock file with `driftless lock --dialect`"),
            );
            Some(locked)
        }
        (Some(d), _) | (None, Some(d)) => Some(d),
        (None, None) => {
            if folder.get(lockfile::FILE_NAME).is_none() {
                diags.push(
                    Diagnostic::new(Code::MissingDialect, "the folder has no driftless.lock, so its SQL dialect is unknown")
                        .help("create it: `driftless lock --dialect <postgres|mysql|sqlite> <folder>` and commit driftless.lock"),
                );
            }
            None
        }
    };

    let (found, layout_diags) = layout::classify(folder, &config.ignore);
    diags.extend(layout_diags);

    let newest_locked = lock.as_ref().and_then(LockFile::newest);
    let mut replay = out.dialect.map(|d| Replay::new(d, &config.externs));

    for f in found {
        let Some(file) = folder.get(&f.path) else { continue };
        let checksum = checksum::checksum(&file.content);
        let entry = lock.as_ref().and_then(|l| l.entry(f.version));
        let state = match entry.map(|e| e.state) {
            Some(EntryState::Locked) => MigrationState::Locked,
            Some(EntryState::Adopted) => MigrationState::Adopted,
            None => MigrationState::Draft,
        };
        let mut file_diags: Vec<Diagnostic> = Vec::new();
        if let Some(entry) = entry {
            if entry.checksum != checksum {
                file_diags.push(
                    Diagnostic::new(
                        Code::EditedLockedMigration,
                        format!("migration {} was edited after it was locked", f.version),
                    )
                    .help(format!(
                        "a locked migration may already have run: restore it (`git checkout -- {}`) and put the change in a new migration (`driftless new <description>`); if the edit is deliberate, re-lock it explicitly with `driftless lock --rehash {}`",
                        f.path, f.version
                    )),
                );
            } else if entry.path != f.path {
                file_diags.push(
                    Diagnostic::new(
                        Code::EditedLockedMigration,
                        format!("migration {} was renamed from `{}` after it was locked", f.version, entry.path),
                    )
                    .help(format!("rename it back to `{}`", entry.path)),
                );
            }
        } else if let Some(newest) = newest_locked.filter(|n| f.version < *n) {
            file_diags.push(
                Diagnostic::new(
                    Code::OutOfOrderMigration,
                    format!("migration {} is not locked but sorts before locked migration {newest}", f.version),
                )
                .help("databases that ran the locked migrations would skip or refuse it: give it a version after the newest locked one (`driftless new <description>` picks it) and move its SQL there"),
            );
        } else if out.strict {
            file_diags.push(
                Diagnostic::new(Code::DraftMigration, format!("migration {} is a draft (not locked)", f.version))
                    .severity(Severity::Error)
                    .help("strict mode accepts only locked migrations: run `driftless lock` and commit driftless.lock"),
            );
        }
        let text = match std::str::from_utf8(&file.content) {
            Ok(t) => t.to_owned(),
            Err(e) => {
                let at = e.valid_up_to();
                let line = file.content[..at].iter().filter(|b| **b == b'\n').count() + 1;
                file_diags.push(
                    Diagnostic::new(
                        Code::NonUtf8,
                        format!("`{}` is not valid UTF-8 (byte {at}, line {line})", f.path),
                    )
                    .help("save the file as UTF-8"),
                );
                diags.extend(file_diags.into_iter().map(|d| d.in_file(&f.path)));
                continue;
            }
        };
        let mut migration = Migration {
            version: f.version,
            description: f.description.clone(),
            path: f.path.clone(),
            layout: f.layout,
            sql: text,
            checksum,
            state,
            transactional: !f.no_transaction,
            directives: Vec::new(),
            statements: Vec::new(),
            creates: Vec::new(),
            down: f.down.clone(),
        };
        if let (Some(dialect), Some(replay)) = (out.dialect, replay.as_mut()) {
            analyze_sql(&mut migration, dialect, replay, &config, &mut file_diags);
        }
        diags.extend(file_diags.into_iter().map(|d| d.in_file(&f.path)));
        out.sources.push((f.path.clone(), migration.sql.clone()));
        out.migrations.push(migration);
    }

    // Locked migrations whose files are gone.
    if let Some(lock) = &lock {
        let text = out.source(lockfile::FILE_NAME).unwrap_or("").to_owned();
        for entry in &lock.entries {
            if out.migrations.iter().any(|m| m.version == entry.version)
                || diags.iter().any(|d| d.code == Code::NonUtf8 && d.file.as_deref() == Some(&entry.path))
            {
                continue;
            }
            let needle = format!(" {} ", entry.version);
            let range = text
                .lines()
                .scan(0, |off, line| {
                    let start = *off;
                    *off += line.len() + 1;
                    Some((start, line))
                })
                .find(|(_, line)| line.contains(&needle) && line.ends_with(&entry.path))
                .map(|(start, line)| start..start + line.len());
            let mut d = Diagnostic::new(
                Code::DeletedLockedMigration,
                format!("locked migration {} (`{}`) is missing", entry.version, entry.path),
            )
            .in_file(lockfile::FILE_NAME)
            .help(format!(
                "a locked migration may already have run: restore `{}` from git (`git checkout -- {}`); to undo its effect, write a new migration",
                entry.path, entry.path
            ));
            if let Some(range) = range {
                d = d.at(range);
            }
            diags.push(d);
        }
    }

    out.diagnostics = diags;
    out
}

/// Splits, reads directives, replays the schema and turns findings into diagnostics.
fn analyze_sql(
    m: &mut Migration,
    dialect: Dialect,
    replay: &mut Replay,
    config: &Config,
    diags: &mut Vec<Diagnostic>,
) {
    // A BOM is analysed as three spaces so byte offsets stay those of the file.
    let blanked;
    let sql: &str = match m.sql.strip_prefix('\u{feff}') {
        Some(rest) => {
            blanked = format!("   {rest}");
            &blanked
        }
        None => &m.sql,
    };
    let split = split::split(sql, dialect);
    for e in &split.errors {
        diags.push(Diagnostic::new(e.code, e.message.clone()).at(e.range.clone()).help(e.help.clone()));
    }
    let ranges: Vec<Range<usize>> = split.statements().collect();
    let (directives, directive_diags) = directive::parse(sql, &split.comments, &ranges);
    diags.extend(directive_diags);
    if directives.iter().any(|d| matches!(d, Directive::NoTransaction { .. })) {
        m.transactional = false;
    }
    m.directives = directives;
    if ranges.is_empty() && split.errors.is_empty() {
        diags.push(
            Diagnostic::new(Code::EmptyMigration, format!("migration {} holds no statement", m.version))
                .severity(config.level(Code::EmptyMigration).severity())
                .help("write its SQL, or remove the file if it was created by mistake"),
        );
    }
    let facts = replay.migration(&MigrationInput {
        sql,
        statements: &ranges,
        transactional: m.transactional,
    });
    let adopted = m.state == MigrationState::Adopted;
    let mut used = vec![false; m.directives.len()];
    let allowed = |code: Code, range: &Range<usize>, used: &mut Vec<bool>| -> bool {
        let statement = ranges.iter().position(|s| s.start <= range.start && range.start < s.end.max(s.start + 1));
        let mut hit = false;
        for (i, d) in m.directives.iter().enumerate() {
            if let Directive::Allow { codes, scope, .. } = d {
                let covers = match scope {
                    Scope::File => true,
                    Scope::Statement(s) => Some(*s) == statement,
                };
                if covers && codes.contains(&code) {
                    used[i] = true;
                    hit = true;
                }
            }
        }
        hit
    };
    let mut push = |code: Code, range: Range<usize>, message: String, help: Option<String>, cap_warning: bool, used: &mut Vec<bool>| {
        let mut severity = config.level(code).severity();
        if code.configurable() && allowed(code, &range, used) {
            severity = Severity::Note;
        }
        if (adopted || cap_warning) && code.configurable() && severity == Severity::Error {
            severity = Severity::Warning;
        }
        let mut d = Diagnostic::new(code, message).at(range).severity(severity);
        d.help = help;
        diags.push(d);
    };
    for f in &facts.findings {
        push(f.code, f.range.clone(), f.message.clone(), f.help.clone(), f.uncertain, &mut used);
    }
    for (range, sf) in ranges.iter().zip(&facts.statements) {
        for h in &sf.hazards {
            let help = if h.code.category() == Category::DataLoss {
                format!(
                    "if this is intended, acknowledge it on the line before the statement: `-- driftless: allow {}: <why the data can go>`; operators must still consent when they deploy it",
                    h.code
                )
            } else {
                format!(
                    "{}; to accept it, add `-- driftless: allow {}: <reason>` on the line before the statement",
                    hazard_advice(h.code),
                    h.code
                )
            };
            push(h.code, h.range.clone(), h.message.clone(), Some(help), false, &mut used);
        }
        let _ = range;
    }
    m.statements = ranges
        .iter()
        .cloned()
        .zip(facts.statements.into_iter().chain(std::iter::repeat_with(StatementFacts::default)))
        .map(|(range, sf)| Statement { range, opaque: sf.opaque, hazards: sf.hazards })
        .collect();
    for s in &m.statements {
        if s.opaque {
            push(
                Code::UnparsedStatement,
                s.range.clone(),
                "the SQL parser does not understand this statement; objects it names are treated as uncertain".into(),
                None,
                false,
                &mut used,
            );
        }
    }
    m.creates = facts.creates;
    for (i, d) in m.directives.iter().enumerate() {
        if let (Directive::Allow { range, codes, .. }, false) = (d, used[i]) {
            let names: Vec<&str> = codes.iter().map(|c| c.as_str()).collect();
            diags.push(
                Diagnostic::new(Code::UnusedAllow, format!("`allow {}` matches no diagnostic", names.join(", ")))
                    .at(range.clone())
                    .severity(config.level(Code::UnusedAllow).severity())
                    .help("remove the directive, or move it to the line before the statement it is meant for"),
            );
        }
    }
    diags.sort_by_key(|d| d.range.as_ref().map_or(0, |r| r.start));
}

fn hazard_advice(code: Code) -> &'static str {
    match code {
        Code::AddNotNullColumn => "existing rows have no value: add a DEFAULT, or add the column nullable, backfill, then set NOT NULL",
        Code::ConstraintOnExistingData => "existing rows may violate it and fail the migration: check the data first",
        Code::RenameTable | Code::RenameColumn => "code still using the old name breaks during a rolling deploy: add the new name, migrate readers, then drop the old one",
        Code::IndexWithoutConcurrently => "it blocks writes to the table while it builds: use CREATE INDEX CONCURRENTLY in a `-- driftless: no-transaction` migration",
        Code::ConstraintWithoutNotValid => "validating existing rows locks the table: add it NOT VALID, then VALIDATE CONSTRAINT in a later migration",
        _ => "review it",
    }
}
