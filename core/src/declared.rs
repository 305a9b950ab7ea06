//! The declared schema: an optional file of CREATE statements in the migrations folder
//! (`schema.sql`, or `schema = "…"` in `driftless.toml`) that states the end state the
//! migrations must produce. It is read with the replay into the drift model and compared with
//! the schema the whole history produces, drafts included: every difference is a
//! `schema-mismatch` error pointing at the declaration and at the migration that shaped the
//! object, so the build fails before anything reaches a database.

use crate::checksum;
use crate::config::Config;
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::dialect::Dialect;
use crate::drift::{self, DriftKind, Origin};
use crate::folder::Folder;
use crate::lockfile::LockFile;
use crate::schema::{MigrationInput, Part, Replay};
use crate::split;
use std::sync::mpsc;

/// The declared schema's file when `driftless.toml` names none.
pub const DEFAULT_FILE: &str = "schema.sql";

/// The declared schema's file for `config`, and whether `driftless.toml` named it.
pub fn file_name(config: &Config) -> (&str, bool) {
    match &config.schema {
        Some(path) => (path.as_str(), true),
        None => (DEFAULT_FILE, false),
    }
}

/// What reading the declared schema gave.
pub(crate) struct Declared {
    /// Its path in the folder.
    pub path: String,
    /// Its text.
    pub text: String,
    /// Its model, when every statement was read.
    pub schema: Option<drift::Schema>,
}

/// Reads the declared schema of `folder`, if it has one, into the drift model. Statements the
/// replay cannot read, statements that are not DDL, and inconsistencies inside the file are
/// errors in it: a declared schema the analysis cannot understand is never skipped.
pub(crate) fn read(
    folder: &Folder,
    config: &Config,
    dialect: Dialect,
    diags: &mut Vec<Diagnostic>,
) -> Option<Declared> {
    let (path, _) = file_name(config);
    read_content(
        folder.get(path).map(|f| f.content.as_slice()),
        config,
        dialect,
        diags,
    )
}

/// [`read`] of the declared schema's bytes (`None`: the folder has no such file).
pub(crate) fn read_content(
    content: Option<&[u8]>,
    config: &Config,
    dialect: Dialect,
    diags: &mut Vec<Diagnostic>,
) -> Option<Declared> {
    let (path, named) = file_name(config);
    let Some(content) = content else {
        if named {
            diags.push(
                Diagnostic::new(
                    Code::SchemaUnreadable,
                    format!("driftless.toml names the declared schema `{path}`, but the folder has no such file"),
                )
                .in_file(crate::config::FILE_NAME)
                .help(format!("create `{path}` (`driftless pull --database-url URL` writes it from a database), or remove `schema` from driftless.toml")),
            );
        }
        return None;
    };
    let path = path.to_owned();
    let Ok(text) = std::str::from_utf8(content) else {
        diags.push(
            Diagnostic::new(
                Code::SchemaUnreadable,
                format!("`{path}` is not valid UTF-8"),
            )
            .in_file(&path)
            .help("save the file as UTF-8"),
        );
        return Some(Declared {
            path,
            text: String::from_utf8_lossy(content).into_owned(),
            schema: None,
        });
    };
    let text = text
        .strip_prefix('\u{feff}')
        .map_or_else(|| text.to_owned(), |rest| format!("   {rest}"));
    let before = diags.len();
    let split = split::split(&text, dialect);
    for e in &split.errors {
        diags.push(
            Diagnostic::new(Code::SchemaUnreadable, e.message.clone())
                .in_file(&path)
                .at(e.range.clone())
                .help(e.help.clone()),
        );
    }
    let ranges: Vec<std::ops::Range<usize>> = split.statements().collect();
    for range in &ranges {
        let statement = &text[range.clone()];
        let first = first_word(statement);
        if !matches!(first.as_str(), "create" | "alter" | "comment") {
            diags.push(
                Diagnostic::new(
                    Code::SchemaUnreadable,
                    format!("`{path}` declares the end state with CREATE statements; `{}` is not one", first.to_uppercase()),
                )
                .in_file(&path)
                .at(range.start..range.start + statement.lines().next().unwrap_or("").len())
                .help("keep data changes and drops in migrations; the declared schema lists what exists at the end"),
            );
        }
    }
    let mut replay = Replay::new(dialect, &config.externs);
    let facts = replay.migration(&MigrationInput {
        sql: &text,
        statements: &ranges,
        transactional: true,
    });
    for (range, statement) in ranges.iter().zip(&facts.statements) {
        if statement.opaque {
            let first_line = text[range.clone()].lines().next().unwrap_or("").len();
            diags.push(
                Diagnostic::new(
                    Code::SchemaUnreadable,
                    format!("this statement of `{path}` cannot be read, so the declared schema is not known"),
                )
                .in_file(&path)
                .at(range.start..range.start + first_line)
                .help("write the object with a plain CREATE statement the analysis reads, or declare it under `extern` in driftless.toml if the folder does not own it"),
            );
        }
    }
    for finding in &facts.findings {
        diags.push(
            Diagnostic::new(finding.code, finding.message.clone())
                .severity(if finding.uncertain {
                    Severity::Warning
                } else {
                    Severity::Error
                })
                .in_file(&path)
                .at(finding.range.clone())
                .help(finding.help.clone().unwrap_or_default()),
        );
    }
    let readable = !diags[before..].iter().any(Diagnostic::is_error);
    let schema = readable.then(|| replay.into_schema(&[(path.as_str(), text.as_str())]));
    Some(Declared { path, text, schema })
}

fn first_word(statement: &str) -> String {
    let mut rest = statement.trim_start();
    // Leading comments belong to the statement's range.
    loop {
        if let Some(after) = rest.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix("/*") {
            rest = after.split_once("*/").map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
    }
    rest.split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or("")
        .to_lowercase()
}

/// The diagnostics of the comparison of the schema the history produces with the declared one
/// (`report`, `None` when the declared schema could not be read): a `schema-mismatch` per
/// difference, a `schema-not-verified` per fact the comparison cannot decide (an error in strict
/// mode), and `schema-unlocked` when the file changed since `driftless.lock` recorded it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn diagnose(
    path: &str,
    text: &str,
    report: Option<&drift::Report>,
    config: &Config,
    strict: bool,
    lock: Option<&LockFile>,
    sources: &[(String, String)],
    diags: &mut Vec<Diagnostic>,
) {
    // The line of a migration's statement, for its excerpt.
    let line_of = |origin: &Origin| {
        sources
            .iter()
            .find(|(p, _)| **p == *origin.file)
            .map_or(origin.offset..origin.offset + 1, |(_, text)| {
                line_range(text, origin.offset)
            })
    };
    if let Some(lock) = lock {
        let now = checksum::checksum(text.as_bytes());
        let recorded = lock
            .schema
            .as_ref()
            .filter(|(p, _)| p == path)
            .map(|(_, h)| *h);
        if recorded != Some(now) {
            diags.push(
                Diagnostic::new(
                    Code::SchemaUnlocked,
                    format!("`{path}` changed since driftless.lock recorded it"),
                )
                .in_file(path)
                .help(
                    "run `driftless lock` and commit driftless.lock, so the change shows in review",
                ),
            );
        }
    }
    let Some(report) = report else {
        return;
    };
    let level = config.level(Code::SchemaMismatch).severity();
    for d in &report.drift {
        let what = format!("{} `{}`", d.object_kind, d.object);
        let aspect = if d.aspect.is_empty() {
            String::new()
        } else {
            format!(" ({})", d.aspect)
        };
        let help = "write the migration that makes the history match it with `driftless diff --name <what_it_does>`, or change the declared schema";
        let diagnostic = match d.kind {
            DriftKind::Extra => {
                let mut diagnostic = Diagnostic::new(
                    Code::SchemaMismatch,
                    format!("{path} declares {what}, which no migration creates"),
                )
                .in_file(path)
                .help(help);
                if let Some(at) = &d.database_origin {
                    diagnostic = diagnostic.at(line_range(text, at.offset));
                }
                diagnostic
            }
            DriftKind::Missing => {
                let mut diagnostic = Diagnostic::new(
                    Code::SchemaMismatch,
                    format!("the migrations make {what}, which {path} does not declare"),
                )
                .help(help);
                match &d.origin {
                    Some(at) => {
                        diagnostic = diagnostic.in_file(&*at.file).at(line_of(at));
                    }
                    None => diagnostic = diagnostic.in_file(path),
                }
                diagnostic
            }
            DriftKind::Changed => {
                let mut diagnostic = Diagnostic::new(
                    Code::SchemaMismatch,
                    format!(
                        "{what}{aspect} differs: {path} says {}, the migrations make {}",
                        d.database.as_deref().unwrap_or("?"),
                        d.history.as_deref().unwrap_or("?")
                    ),
                )
                .in_file(path)
                .help(help);
                if let Some(at) = &d.database_origin {
                    diagnostic = diagnostic.at(line_range(text, at.offset));
                }
                if let Some(at) = &d.origin {
                    diagnostic = diagnostic.related(
                        &*at.file,
                        line_of(at),
                        format!("the migrations last shape {what} here"),
                    );
                }
                diagnostic
            }
        };
        diags.push(diagnostic.severity(level));
    }
    let not_verified = if strict {
        Severity::Error
    } else {
        config.level(Code::SchemaNotVerified).severity()
    };
    for u in &report.unverified {
        diags.push(
            Diagnostic::new(
                Code::SchemaNotVerified,
                format!("{} cannot be compared with {path}: {}", u.object, u.why),
            )
            .in_file(path)
            .severity(not_verified)
            .help("write the object so the analysis reads it on both sides, or accept it unverified (not in strict mode)"),
        );
    }
}

/// The declared schema read on a thread of its own while the migrations replay, then compared
/// there with the schema the history produces. The thread also frees the declared model: its
/// memory came from that thread's allocator arena, and freeing it on the analysis's thread cost
/// more than the comparison itself. Without a thread (none could be started), the same steps
/// run inline.
pub(crate) struct Worker {
    inner: WorkerInner,
}

enum WorkerInner {
    Thread {
        read: mpsc::Receiver<(Option<Read>, Vec<Diagnostic>)>,
        history: mpsc::Sender<Part>,
        compared: mpsc::Receiver<(drift::Report, drift::Schema)>,
        handle: std::thread::JoinHandle<()>,
    },
    Inline {
        dialect: Dialect,
        declared: Option<Declared>,
        diags: Vec<Diagnostic>,
        parts: Vec<Part>,
    },
}

/// What the analysis learns of the declared schema before comparing it.
pub(crate) struct Read {
    pub path: String,
    pub text: String,
    /// Whether every statement was read, so it can be compared.
    pub readable: bool,
}

impl Worker {
    /// Starts reading the declared schema of `folder`, if it has one.
    pub(crate) fn start(
        folder: &Folder,
        config: &Config,
        dialect: Dialect,
        stack: usize,
    ) -> Worker {
        let Some(content) = folder.get(file_name(config).0).map(|f| f.content.clone()) else {
            // Nothing to read: no thread.
            let mut diags = Vec::new();
            let declared = read_content(None, config, dialect, &mut diags);
            return Worker {
                inner: WorkerInner::Inline {
                    dialect,
                    declared,
                    diags,
                    parts: Vec::new(),
                },
            };
        };
        let (read_tx, read_rx) = mpsc::channel();
        let (history, history_rx) = mpsc::channel::<Part>();
        let (compared_tx, compared) = mpsc::channel();
        let thread_config = config.clone();
        let spawned = std::thread::Builder::new()
            .name("driftless-declared".to_owned())
            .stack_size(stack)
            .spawn(move || {
                let mut diags = Vec::new();
                let declared = read_content(Some(&content), &thread_config, dialect, &mut diags);
                let (read, model) = split_declared(declared);
                if read_tx.send((read, diags)).is_err() {
                    return;
                }
                let (Some(model), Ok(Part::Rest(rest))) = (model, history_rx.recv()) else {
                    return;
                };
                // Each part is compared as it comes, while the analysis exports the next; the
                // channel closes after the last.
                let mut comparison = drift::Streamed::new(dialect, &model, rest);
                for part in history_rx.iter() {
                    match part {
                        Part::Tables(tables) => comparison.tables(tables),
                        // Only the first part is the rest.
                        Part::Rest(_) => {}
                    }
                }
                // The history goes back to the thread that allocated it; the model is freed
                // here, once the analysis has what it needs.
                let _ = compared_tx.send(comparison.finish());
                drop(model);
            });
        let inner = match spawned {
            Ok(handle) => WorkerInner::Thread {
                read: read_rx,
                history,
                compared,
                handle,
            },
            Err(_) => {
                let mut diags = Vec::new();
                let declared = read(folder, config, dialect, &mut diags);
                WorkerInner::Inline {
                    dialect,
                    declared,
                    diags,
                    parts: Vec::new(),
                }
            }
        };
        Worker { inner }
    }

    /// Waits for the reading: what was read (`None`: the folder has no declared schema) and
    /// its diagnostics.
    pub(crate) fn read(&mut self) -> (Option<Read>, Vec<Diagnostic>) {
        let received = match &mut self.inner {
            WorkerInner::Thread { read, .. } => read.recv().ok(),
            WorkerInner::Inline {
                declared, diags, ..
            } => {
                let read = declared.as_ref().map(|d| Read {
                    path: d.path.clone(),
                    text: d.text.clone(),
                    readable: d.schema.is_some(),
                });
                Some((read, std::mem::take(diags)))
            }
        };
        received.unwrap_or_else(|| self.panicked())
    }

    /// Sends the schema the history produces to be compared with the declared one (which
    /// [`Worker::read`] said is readable): `export` gives it in parts (the rest first, then the
    /// tables in name order), which the worker compares as they come.
    pub(crate) fn send_history(&mut self, export: impl FnOnce(&mut dyn FnMut(Part))) {
        match &mut self.inner {
            WorkerInner::Thread { history, .. } => {
                export(&mut |part| {
                    // A worker that hung up panicked: `compared` says so.
                    let _ = history.send(part);
                });
                // The channel closes: that was the last part.
                drop(std::mem::replace(history, mpsc::channel().0));
            }
            WorkerInner::Inline { parts, .. } => export(&mut |part| parts.push(part)),
        }
    }

    /// The comparison of the history [`Worker::send_history`] sent, and the history back.
    pub(crate) fn compared(&mut self) -> (drift::Report, drift::Schema) {
        let received = match &mut self.inner {
            WorkerInner::Thread { compared, .. } => compared.recv().ok(),
            WorkerInner::Inline {
                dialect,
                declared,
                parts,
                ..
            } => {
                let mut history = drift::Schema::default();
                let mut tables = Vec::new();
                for part in std::mem::take(parts) {
                    match part {
                        Part::Rest(rest) => history = rest,
                        Part::Tables(more) => tables.extend(more),
                    }
                }
                history.tables = tables.into_iter().collect();
                let report = match declared.as_ref().and_then(|d| d.schema.as_ref()) {
                    Some(model) => drift::compare(*dialect, &history, model),
                    None => drift::Report::default(),
                };
                Some((report, history))
            }
        };
        received.unwrap_or_else(|| self.panicked())
    }

    /// Waits for the thread to end, passing on its panic.
    pub(crate) fn finish(self) {
        if let WorkerInner::Thread {
            handle, history, ..
        } = self.inner
        {
            // No history is coming: a thread still waiting for one ends.
            drop(history);
            if let Err(panic) = handle.join() {
                std::panic::resume_unwind(panic);
            }
        }
    }

    /// The thread hung up early, so it panicked: its panic is the analysis's.
    fn panicked(&mut self) -> ! {
        let inner = std::mem::replace(
            &mut self.inner,
            WorkerInner::Inline {
                dialect: Dialect::Sqlite,
                declared: None,
                diags: Vec::new(),
                parts: Vec::new(),
            },
        );
        if let WorkerInner::Thread { handle, .. } = inner
            && let Err(panic) = handle.join()
        {
            std::panic::resume_unwind(panic);
        }
        unreachable!("the declared schema's thread ended without its result")
    }
}

/// What the analysis needs of a read declared schema, and its model.
fn split_declared(declared: Option<Declared>) -> (Option<Read>, Option<drift::Schema>) {
    match declared {
        Some(d) => (
            Some(Read {
                path: d.path,
                text: d.text,
                readable: d.schema.is_some(),
            }),
            d.schema,
        ),
        None => (None, None),
    }
}

/// The range of the line that starts at or holds `offset`.
fn line_range(text: &str, offset: usize) -> std::ops::Range<usize> {
    let offset = offset.min(text.len());
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    offset..end.max(offset + 1).min(text.len().max(offset))
}

/// For `driftless diff` and `pull`: the dialect, the schema the folder's whole history produces
/// (drafts included) and the declared schema, or the diagnostics that keep the declared schema
/// from being read (or say the folder has none).
pub fn schemas(
    folder: &Folder,
    analysis: &crate::Analysis,
) -> Result<(Dialect, drift::Schema, drift::Schema), Vec<Diagnostic>> {
    let Some(dialect) = analysis.dialect else {
        return Err(analysis
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::MissingDialect)
            .cloned()
            .collect());
    };
    let config = folder
        .get(crate::config::FILE_NAME)
        .map(|f| Config::parse(&String::from_utf8_lossy(&f.content)).0)
        .unwrap_or_default();
    let mut diags = Vec::new();
    let Some(declared) = read(folder, &config, dialect, &mut diags) else {
        let (path, _) = file_name(&config);
        diags.push(
            Diagnostic::new(
                Code::SchemaUnreadable,
                format!("the folder has no declared schema `{path}`"),
            )
            .help("write it (`driftless pull --database-url URL` writes it from a database), or diff against a database with `--database-url`"),
        );
        return Err(diags);
    };
    let Some(declared_schema) = declared.schema else {
        return Err(diags.into_iter().filter(Diagnostic::is_error).collect());
    };
    let ranges: Vec<Vec<std::ops::Range<usize>>> = analysis
        .migrations
        .iter()
        .map(|m| m.statements.iter().map(|s| s.range.clone()).collect())
        .collect();
    let sources: Vec<drift::Source<'_>> = analysis
        .migrations
        .iter()
        .zip(&ranges)
        .map(|(m, statements)| drift::Source {
            path: &m.path,
            sql: &m.sql,
            statements,
            transactional: m.transactional,
        })
        .collect();
    let history = drift::expected(dialect, &sources, &config.externs);
    Ok((dialect, history, declared_schema))
}
