//! The one entry point: a loaded folder and options in, the verdict out.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use crate::checksum;
use crate::config::{self, Config};
use crate::diagnostic::{Category, Code, Diagnostic, LineStarts, Severity};
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
    /// Pre-existing tables and columns it renames: `(name after it, name before it)`.
    pub renames: Vec<(Object, Object)>,
    /// The down file next to it (sqlx `.down.sql`, diesel `down.sql`): never run by `migrate`;
    /// `driftless revert` (the runtime's `revert_to`) runs it.
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
    /// The objects `driftless.toml` says the folder does not own (`extern`): drift never
    /// reports them.
    pub externs: Vec<String>,
    /// The declared schema's file (`schema.sql`, or `schema` in `driftless.toml`), when the
    /// folder has one.
    pub schema_file: Option<String>,
    /// Line starts of `sources`, built on the first [`Analysis::render`].
    lines: SourceLines,
}

/// A cache of [`LineStarts`] per source: rendering the diagnostics of a file costs time
/// proportional to their number, not to their number times the file's length. Being a cache, it
/// compares equal, clones empty and prints as nothing.
#[derive(Default)]
struct SourceLines(std::sync::OnceLock<Vec<SourceIndex>>);

/// The line starts of one source, with the address and length of the text they were built from:
/// a source replaced since is rendered without them.
struct SourceIndex {
    text: (usize, usize),
    lines: LineStarts,
}

impl Clone for SourceLines {
    fn clone(&self) -> SourceLines {
        SourceLines::default()
    }
}

impl PartialEq for SourceLines {
    fn eq(&self, _: &SourceLines) -> bool {
        true
    }
}

impl Eq for SourceLines {}

impl std::fmt::Debug for SourceLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SourceLines")
    }
}

fn text_id(text: &str) -> (usize, usize) {
    (text.as_ptr() as usize, text.len())
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

    /// For each migration, the objects it creates that a data-loss hazard of a later migration
    /// may refer to (same name, compared case-insensitively: a superset of what the runtime's
    /// exact rule needs). The runtime waives consent for hazards on objects created earlier in
    /// the same run and needs nothing else of `creates`, so this is what gets embedded: most
    /// migrations embed none, which keeps the macro's constant small.
    pub fn consent_creates(&self) -> Vec<Vec<&Object>> {
        // The last migration whose data-loss hazards name each (lowercased) name.
        let mut last: HashMap<String, usize> = HashMap::new();
        for (i, m) in self.migrations.iter().enumerate() {
            for h in m
                .statements
                .iter()
                .flat_map(|s| &s.hazards)
                .filter(|h| h.is_data_loss())
            {
                for o in std::iter::once(&h.object).chain(&h.empty_table) {
                    let names = [Some(&o.name), o.schema.as_ref()];
                    for name in names.into_iter().flatten() {
                        last.insert(name.to_ascii_lowercase(), i);
                    }
                }
            }
            // A rename carries the identity of what it renames: an object created earlier and
            // renamed here may be what a later hazard names.
            for (to, from) in &m.renames {
                for o in [to, from] {
                    let names = [Some(&o.name), o.schema.as_ref()];
                    for name in names.into_iter().flatten() {
                        last.insert(name.to_ascii_lowercase(), i);
                    }
                }
            }
        }
        self.migrations
            .iter()
            .enumerate()
            .map(|(i, m)| {
                m.creates
                    .iter()
                    .filter(|c| {
                        last.get(&c.name.to_ascii_lowercase())
                            .is_some_and(|&j| j > i)
                    })
                    .collect()
            })
            .collect()
    }

    /// The warnings worth showing, and how many were left out. Warnings of locked and adopted
    /// migrations are about SQL that has shipped and that nobody can change any more: unless
    /// `all`, they are only counted, so the findings of drafts (the ones anyone can still act
    /// on) do not drown in them. Warnings of drafts and of the folder are always shown; errors
    /// are not warnings and always show.
    pub fn shown_warnings(&self, all: bool) -> (Vec<&Diagnostic>, usize) {
        let shipped: std::collections::HashSet<&str> = self
            .migrations
            .iter()
            .filter(|m| m.state != MigrationState::Draft)
            .map(|m| m.path.as_str())
            .collect();
        let mut shown = Vec::new();
        let mut hidden = 0;
        for warning in self.warnings() {
            if !all && warning.file.as_deref().is_some_and(|f| shipped.contains(f)) {
                hidden += 1;
            } else {
                shown.push(warning);
            }
        }
        (shown, hidden)
    }

    /// The one line that stands for the warnings [`Analysis::shown_warnings`] left out, naming
    /// the command that lists them; `None` when it left none out.
    pub fn hidden_warnings_line(hidden: usize, dir: &str) -> Option<String> {
        (hidden > 0).then(|| {
            format!(
                "warning: {hidden} warning(s) on locked and adopted migrations (shipped); `driftless check --all {dir}` lists them"
            )
        })
    }

    /// Renders one diagnostic with its excerpt, and its second place as a note; `dir` is the
    /// folder as the user wrote it.
    pub fn render(&self, diagnostic: &Diagnostic, dir: &str) -> String {
        let mut out = self.render_one(diagnostic, dir);
        if let Some(related) = &diagnostic.related {
            let note = Diagnostic::new(diagnostic.code, related.label.clone())
                .severity(crate::Severity::Note)
                .in_file(related.file.clone())
                .at(related.range.clone());
            let rendered = self.render_one(&note, dir);
            // The excerpt of the second place, under a `= note:` line like `= help:`.
            let excerpt = rendered.split_once('\n').map_or("", |(_, rest)| rest);
            out.push_str(&format!("  = note: {}\n{excerpt}", related.label));
        }
        out
    }

    fn render_one(&self, diagnostic: &Diagnostic, dir: &str) -> String {
        let Some((i, source)) = diagnostic.file.as_deref().and_then(|f| {
            let i = self.sources.iter().position(|(p, _)| p == f)?;
            Some((i, self.sources[i].1.as_str()))
        }) else {
            return diagnostic.render(dir, None);
        };
        let index = self.lines.0.get_or_init(|| {
            self.sources
                .iter()
                .map(|(_, text)| SourceIndex {
                    text: text_id(text),
                    lines: LineStarts::of(text),
                })
                .collect()
        });
        match index.get(i).filter(|index| index.text == text_id(source)) {
            Some(index) => diagnostic.render_with(dir, Some(source), |source, offset| {
                index.lines.position(source, offset)
            }),
            None => diagnostic.render(dir, Some(source)),
        }
    }
}

/// The stack the analysis runs on. Parse trees are bounded (`schema::parse`): in an unoptimised
/// build the deepest statement the replay accepts needs about 21 MB (printing a 2,000-operator
/// chain) and the deepest nesting the parser follows about 4 MB; an optimised build needs a
/// fraction. Only the pages used are committed.
const ANALYSIS_STACK: usize = 64 * 1024 * 1024;

/// How many tables the analysis exports at a time for the comparison with a declared schema,
/// which runs on another thread as the next are exported.
const EXPORT_CHUNK: usize = 64;

/// Analyses a folder. Never fails: every problem is a diagnostic.
///
/// The work runs on a thread of its own with a stack of known size, so the caller's stack (a 2 MiB
/// test thread or async worker, rustc's proc-macro thread) does not decide which input overflows
/// it. If no thread can be started, it runs on the caller's.
pub fn analyze(folder: &Folder, options: &Options) -> Analysis {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("driftless-analysis".to_owned())
            .stack_size(ANALYSIS_STACK)
            .spawn_scoped(scope, || analyze_here(folder, options));
        match worker {
            Ok(worker) => worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => analyze_here(folder, options),
        }
    })
}

fn analyze_here(folder: &Folder, options: &Options) -> Analysis {
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
    out.externs = config.externs.clone();

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

    // The declared schema is not a migration.
    let mut ignore = config.ignore.clone();
    ignore.push(crate::declared::file_name(&config).0.to_owned());
    let (found, layout_diags) = layout::classify(folder, &ignore);
    diags.extend(layout_diags.into_iter().map(|d| {
        let severity = if d.code.configurable() {
            config.level(d.code).severity()
        } else {
            d.severity
        };
        d.severity(severity)
    }));

    // The declared schema is read on a thread of its own while the migrations replay: the two
    // are independent until they are compared.
    let mut declared = out
        .dialect
        .map(|dialect| crate::declared::Worker::start(folder, &config, dialect, ANALYSIS_STACK));

    let newest_locked = lock.as_ref().and_then(LockFile::newest);
    let mut replay = out.dialect.map(|d| Replay::new(d, &config.externs));

    for f in found {
        let Some(file) = folder.get(&f.path) else {
            continue;
        };
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
                    .at(0..0)
                    .help(format!(
                        "a locked migration may already have run: restore it (`git checkout -- {}`) and put the change in a new migration (`driftless new <description>`); if the edit is deliberate, re-lock it explicitly with `driftless lock --rehash {}`",
                        f.path, f.version
                    )),
                );
            } else if entry.path != f.path {
                file_diags.push(
                    Diagnostic::new(
                        Code::EditedLockedMigration,
                        format!(
                            "migration {} was renamed from `{}` after it was locked",
                            f.version, entry.path
                        ),
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
                    .at(at..at + 1)
                    .help("save the file as UTF-8"),
                );
                diags.extend(file_diags.into_iter().map(|d| d.in_file(&f.path)));
                // For the excerpt only: offsets before the first bad byte are unchanged.
                out.sources.push((
                    f.path.clone(),
                    String::from_utf8_lossy(&file.content).into_owned(),
                ));
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
            renames: Vec::new(),
            down: f.down.clone(),
        };
        if let (Some(dialect), Some(replay)) = (out.dialect, replay.as_mut()) {
            analyze_sql(&mut migration, dialect, replay, &config, &mut file_diags);
        }
        diags.extend(file_diags.into_iter().map(|d| d.in_file(&f.path)));
        out.sources.push((f.path.clone(), migration.sql.clone()));
        out.migrations.push(migration);
    }

    // The declared schema against the schema the whole history produces, drafts included.
    if let Some(mut worker) = declared.take() {
        let (read, read_diags) = worker.read();
        diags.extend(read_diags);
        if let (Some(read), Some(mut replay)) = (read, replay.take()) {
            let report = read.readable.then(|| {
                let files: Vec<(&str, &str)> = out
                    .migrations
                    .iter()
                    .map(|m| (m.path.as_str(), m.sql.as_str()))
                    .collect();
                worker.send_history(|send| replay.take_schema_in_parts(&files, EXPORT_CHUNK, send));
                // What the model did not take is freed as the worker finishes.
                drop(replay);
                worker.compared()
            });
            crate::declared::diagnose(
                &read.path,
                &read.text,
                report.as_ref().map(|(report, _)| report),
                &config,
                out.strict,
                lock.as_ref(),
                &out.sources,
                &mut diags,
            );
            out.sources.push((read.path.clone(), read.text));
            out.schema_file = Some(read.path);
        }
        worker.finish();
    }

    // Locked migrations whose files are gone.
    if let Some(lock) = &lock {
        let text = out.source(lockfile::FILE_NAME).unwrap_or("").to_owned();
        // Sets, not a scan of every migration per entry.
        let present: HashSet<_> = out.migrations.iter().map(|m| m.version).collect();
        let unreadable: HashSet<String> = diags
            .iter()
            .filter(|d| d.code == Code::NonUtf8)
            .filter_map(|d| d.file.clone())
            .collect();
        for entry in &lock.entries {
            if present.contains(&entry.version) || unreadable.contains(&entry.path) {
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
        diags.push(
            Diagnostic::new(e.code, e.message.clone())
                .at(e.range.clone())
                .help(e.help.clone()),
        );
    }
    let ranges: Vec<Range<usize>> = split.statements().collect();
    let (directives, directive_diags) = directive::parse(sql, &split.comments, &ranges);
    diags.extend(directive_diags);
    if directives
        .iter()
        .any(|d| matches!(d, Directive::NoTransaction { .. }))
    {
        m.transactional = false;
    }
    m.directives = directives;
    if ranges.is_empty() && split.errors.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::EmptyMigration,
                format!("migration {} holds no statement", m.version),
            )
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
    // The `allow`s by what they cover (`None`: the file) and code, each list marked used at
    // most once: matching every diagnostic against every directive was quadratic.
    let mut allows: HashMap<(Option<usize>, Code), (Vec<usize>, bool)> = HashMap::new();
    for (i, d) in m.directives.iter().enumerate() {
        if let Directive::Allow { codes, scope, .. } = d {
            let scope = match scope {
                Scope::File => None,
                Scope::Statement(s) => Some(*s),
            };
            for &code in codes {
                allows.entry((scope, code)).or_default().0.push(i);
            }
        }
    }
    let mut allowed = |code: Code, range: &Range<usize>, used: &mut Vec<bool>| -> bool {
        // The statement holding the start of `range`: ranges are in order and do not overlap.
        let statement = ranges
            .partition_point(|s| s.start <= range.start)
            .checked_sub(1)
            .filter(|&i| range.start < ranges[i].end.max(ranges[i].start + 1));
        let mut hit = false;
        for key in [(None, code), (statement, code)] {
            if let Some((directives, marked)) = allows.get_mut(&key) {
                if !*marked {
                    for &i in directives.iter() {
                        used[i] = true;
                    }
                    *marked = true;
                }
                hit = true;
            }
        }
        hit
    };
    let mut push = |code: Code,
                    range: Range<usize>,
                    message: String,
                    help: Option<String>,
                    cap_warning: bool,
                    used: &mut Vec<bool>| {
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
        push(
            f.code,
            f.range.clone(),
            f.message.clone(),
            f.help.clone(),
            f.uncertain,
            &mut used,
        );
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
            push(
                h.code,
                h.range.clone(),
                h.message.clone(),
                Some(help),
                false,
                &mut used,
            );
        }
        let _ = range;
    }
    m.statements = ranges
        .iter()
        .cloned()
        .zip(
            facts
                .statements
                .into_iter()
                .chain(std::iter::repeat_with(StatementFacts::default)),
        )
        .map(|(range, sf)| Statement {
            range,
            opaque: sf.opaque,
            hazards: sf.hazards,
        })
        .collect();
    for s in &m.statements {
        if m.transactional && is_transaction_control(&sql[s.range.clone()]) {
            push(
                Code::TransactionControl,
                s.range.clone(),
                "driftless already runs this migration in a transaction; this statement ends or nests it, so the migration and its history row are no longer applied atomically".into(),
                Some("remove the statement, or put `-- driftless: no-transaction` at the top of the file if the migration manages its own transactions".into()),
                false,
                &mut used,
            );
        }
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
    m.renames = facts.renames;
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

/// Whether a statement starts, ends or aborts a transaction (`BEGIN;`, `COMMIT`, `START
/// TRANSACTION`, `END`), as opposed to a compound `BEGIN ... END` body.
fn is_transaction_control(statement: &str) -> bool {
    let words: Vec<String> = statement
        .split_whitespace()
        .take(3)
        .map(|w| w.trim_end_matches(';').to_ascii_uppercase())
        .collect();
    match words.first().map(String::as_str) {
        Some("COMMIT" | "ROLLBACK" | "END") => words.len() <= 2 && !words.iter().any(|w| w == "TO"),
        Some("BEGIN") => {
            words.len() == 1
                || matches!(
                    words[1].as_str(),
                    "TRANSACTION" | "WORK" | "DEFERRED" | "IMMEDIATE" | "EXCLUSIVE" | "ISOLATION"
                )
        }
        Some("START") => words.get(1).is_some_and(|w| w == "TRANSACTION"),
        _ => false,
    }
}

fn hazard_advice(code: Code) -> &'static str {
    match code {
        Code::AddNotNullColumn => {
            "existing rows have no value: add a DEFAULT, or add the column nullable, backfill, then set NOT NULL"
        }
        Code::ConstraintOnExistingData => {
            "existing rows may violate it and fail the migration: check the data first"
        }
        Code::RenameTable | Code::RenameColumn => {
            "code still using the old name breaks during a rolling deploy: add the new name, migrate readers, then drop the old one"
        }
        Code::IndexWithoutConcurrently => {
            "it blocks writes to the table while it builds: use CREATE INDEX CONCURRENTLY in a `-- driftless: no-transaction` migration"
        }
        Code::ConstraintWithoutNotValid => {
            "validating existing rows locks the table: add it NOT VALID, then VALIDATE CONSTRAINT in a later migration"
        }
        _ => "review it",
    }
}

#[cfg(test)]
mod tests;
