//! `driftless migrate` and `driftless revert`: applying and reverting a folder on a database, with
//! the runtime's checks, lock and consent.
//!
//! The CLI behaves like a release binary, whatever profile it was built with: it refuses drafts
//! unless `--allow-drafts`, and reverts only with `--yes`. Exit codes: 0 applied (or reverted)
//! or nothing to do, 1 refused (nothing changed: a check said no), 2 failed (a migration or down
//! file failed, the database, a lock or connection timeout).

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Duration;

use driftless::Progress;
use serde_json::json;

use crate::Format;
use crate::db::{Target, connect, load, on_pool};

/// `driftless migrate`.
#[derive(clap::Args, Debug, Clone)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub target: Target,
    /// Consent to a migration that can lose existing data, as `[namespace:]version`
    /// (repeatable); also read from DRIFTLESS_ALLOW_DESTRUCTIVE.
    #[arg(long, value_name = "VERSION")]
    pub consent: Vec<String>,
    /// Apply draft (unlocked) migrations; refused without it, as a release binary does.
    #[arg(long)]
    pub allow_drafts: bool,
    /// Apply pending migrations older than the newest applied one.
    #[arg(long)]
    pub allow_out_of_order: bool,
    /// Accept applied migrations the folder does not have (a newer deploy ran).
    #[arg(long)]
    pub allow_unknown_applied: bool,
    /// Refuse to apply pending migrations on top of drift (see `driftless drift`).
    #[arg(long)]
    pub refuse_drift: bool,
}

/// `driftless revert`.
#[derive(clap::Args, Debug, Clone)]
pub struct RevertArgs {
    #[command(flatten)]
    pub target: Target,
    /// Revert the applied migrations newer than this version (0 reverts all of them).
    #[arg(long, value_name = "VERSION")]
    pub to: u64,
    /// Consent to a down file that can lose existing data, as `[namespace:]version` of the
    /// migration it reverts (repeatable). DRIFTLESS_ALLOW_DESTRUCTIVE is not read: it consents to
    /// applying, not to reverting.
    #[arg(long, value_name = "VERSION")]
    pub consent: Vec<String>,
    /// Run the down files. Without it, revert lists what it would revert and exits 1.
    #[arg(long)]
    pub yes: bool,
}

/// The exit code of an error: 1 for a refusal (nothing changed), 2 for a failure.
fn exit_code(e: &anyhow::Error) -> u8 {
    if e.downcast_ref::<Refusal>().is_some() {
        return 1;
    }
    match e.downcast_ref::<driftless::Error>() {
        Some(e) if e.kind().is_refusal() => 1,
        _ => 2,
    }
}

/// The CLI's own refusal (revert without `--yes`).
#[derive(Debug)]
struct Refusal(String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// The error's kind as JSON names it (`ConsentRequired`), when it is the runtime's.
fn kind_name(e: &anyhow::Error) -> Option<String> {
    e.downcast_ref::<driftless::Error>()
        .map(|e| format!("{:?}", e.kind()))
}

/// Whether to print JSON lines: asked for, or nobody watches a terminal.
fn json_lines(format: Format) -> bool {
    format == Format::Json || !std::io::stderr().is_terminal()
}

/// A progress event as the CLI uses it (the runtime's `Progress` cannot be built outside it).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Started {
        version: u64,
        description: String,
        statements: usize,
    },
    Statement {
        version: u64,
        done: usize,
        total: usize,
    },
    Applied {
        version: u64,
        duration: Duration,
        consent: bool,
    },
}

impl Event {
    fn of(p: Progress) -> Option<Event> {
        Some(match p {
            Progress::MigrationStarted {
                version,
                description,
                statements,
                ..
            } => Event::Started {
                version,
                description,
                statements,
            },
            Progress::StatementDone {
                version,
                done,
                total,
                ..
            } => Event::Statement {
                version,
                done,
                total,
            },
            Progress::MigrationApplied {
                version,
                duration,
                consent,
                ..
            } => Event::Applied {
                version,
                duration,
                consent,
            },
            _ => return None,
        })
    }
}

/// What the terminal shows while a run progresses: one line, rewritten in place, with the
/// migration running and its statement; a line that stays for each applied migration.
#[derive(Debug, Default)]
struct Display {
    /// The running migration: version, description, statements.
    current: Option<(u64, String, usize)>,
}

impl Display {
    /// The text for `event`, and whether it stays (`true`) or is overwritten by the next one.
    fn render(&mut self, event: Event) -> (String, bool) {
        match event {
            Event::Started {
                version,
                description,
                statements,
            } => {
                let line = format!(
                    "applying {version} {description} ({statements} statement{})",
                    if statements == 1 { "" } else { "s" }
                );
                self.current = Some((version, description, statements));
                (line, false)
            }
            Event::Statement {
                version,
                done,
                total,
            } => {
                let description = self
                    .current
                    .as_ref()
                    .filter(|(v, _, _)| *v == version)
                    .map_or("", |(_, d, _)| d.as_str());
                // The statement running now: the one after the last that completed.
                let line = if done < total {
                    format!(
                        "applying {version} {description}: statement {} of {total}",
                        done + 1
                    )
                } else {
                    format!("applying {version} {description}: recording ({total} of {total} done)")
                };
                (line, false)
            }
            Event::Applied {
                version,
                duration,
                consent,
            } => {
                let (description, statements) = match self.current.take() {
                    Some((v, d, n)) if v == version => (d, n),
                    _ => (String::new(), 0),
                };
                (
                    format!(
                        "applied {version} {description} ({statements} statement{}, {} ms{})",
                        if statements == 1 { "" } else { "s" },
                        duration.as_millis(),
                        if consent { ", with consent" } else { "" }
                    ),
                    true,
                )
            }
        }
    }
}

/// Clears the line the progress display rewrites.
const CLEAR: &str = "\r\x1b[2K";

/// One JSON line per applied migration, from the progress events.
#[derive(Debug, Default)]
struct Lines {
    /// Started migrations: description and statements, by version.
    started: HashMap<u64, (String, usize)>,
}

impl Lines {
    fn line(&mut self, event: Event) -> Option<serde_json::Value> {
        match event {
            Event::Started {
                version,
                description,
                statements,
            } => {
                self.started.insert(version, (description, statements));
                None
            }
            Event::Applied {
                version,
                duration,
                consent,
            } => {
                let (description, statements) = self.started.remove(&version).unwrap_or_default();
                Some(json!({
                    "event": "applied",
                    "version": version,
                    "description": description,
                    "duration_ms": millis(duration),
                    "statements": statements,
                    "consent": consent,
                }))
            }
            _ => None,
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Applies the folder's pending migrations, as `MIGRATIONS.migrate` does, with a progress
/// display on a terminal and JSON lines otherwise.
pub async fn run_migrate(args: MigrateArgs) -> anyhow::Result<ExitCode> {
    let t = &args.target;
    let json = json_lines(t.format);
    let applied = Mutex::new(Vec::<u64>::new());
    let display = Mutex::new(Display::default());
    let lines = Mutex::new(Lines::default());
    let on_progress = |event: Progress| {
        let Some(event) = Event::of(event) else {
            return;
        };
        if let Event::Applied { version, .. } = &event
            && let Ok(mut applied) = applied.lock()
        {
            applied.push(*version);
        }
        if json {
            let line = lines.lock().ok().and_then(|mut l| l.line(event));
            if let Some(line) = line {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        } else if let Some((line, stays)) = display.lock().ok().map(|mut d| d.render(event)) {
            let mut err = std::io::stderr().lock();
            let _ = if stays {
                writeln!(err, "{CLEAR}{line}")
            } else {
                write!(err, "{CLEAR}{line}")
            };
            let _ = err.flush();
        }
    };
    let result: anyhow::Result<driftless::Report> = async {
        // As a release binary: drafts only with --allow-drafts.
        let m = load(t)?.__with_debug_assertions(false);
        let db = connect(&t.database_url).await?;
        let mut migrator = t
            .migrator(&m)
            .consent_env()
            .allow_drafts(args.allow_drafts)
            .allow_out_of_order(args.allow_out_of_order)
            .allow_unknown_applied(args.allow_unknown_applied)
            .refuse_drift(args.refuse_drift)
            .on_progress(on_progress);
        for c in &args.consent {
            migrator = migrator.consent(c);
        }
        Ok(on_pool!(db, |p| migrator.clone().run(p).await)?)
    }
    .await;
    if !json {
        eprint!("{CLEAR}");
    }
    let applied = applied.into_inner().unwrap_or_default();
    let (code, result_word, error) = match &result {
        Ok(report) if report.applied.is_empty() => (0, "up_to_date", None),
        Ok(_) => (0, "applied", None),
        Err(e) => {
            let code = exit_code(e);
            (code, if code == 1 { "refused" } else { "failed" }, Some(e))
        }
    };
    if json {
        println!(
            "{}",
            json!({
                "event": "summary",
                "result": result_word,
                "applied": applied,
                "exit_code": code,
                "kind": error.and_then(kind_name),
                "error": error.map(|e| format!("{e:#}")),
            })
        );
    } else {
        match &result {
            Ok(r) if r.applied.is_empty() => {
                println!("nothing to apply: the database is up to date")
            }
            Ok(r) => println!("applied {} migration(s)", r.applied.len()),
            Err(_) => {}
        }
    }
    if let Some(e) = error {
        let what = if code == 1 {
            "refused, nothing was applied"
        } else if applied.is_empty() {
            "failed"
        } else {
            "failed after applying some migrations"
        };
        eprintln!("error: {e:#}");
        eprintln!("migrate {what} (exit {code})");
    }
    Ok(ExitCode::from(code))
}

/// Reverts the applied migrations newer than `--to` with their down files, newest first.
pub async fn run_revert(args: RevertArgs) -> anyhow::Result<ExitCode> {
    let t = &args.target;
    let json = json_lines(t.format);
    let result: anyhow::Result<Option<driftless::RevertReport>> = async {
        let m = load(t)?.__with_debug_assertions(false);
        let db = connect(&t.database_url).await?;
        if !args.yes {
            // Show what would run, and refuse: reverting usually drops tables.
            let status = on_pool!(db, |p| t.migrator(&m).status(p).await)?;
            let mut newer: Vec<u64> = status
                .applied
                .iter()
                .copied()
                .filter(|v| *v > args.to)
                .collect();
            newer.reverse();
            if newer.is_empty() {
                return Ok(None);
            }
            let list: Vec<String> = newer
                .iter()
                .map(|v| match m.down_path(*v) {
                    Some(down) => format!("{v} ({down})"),
                    None => format!("{v} (no down file)"),
                })
                .collect();
            anyhow::bail!(Refusal(format!(
                "revert would run the down files of {}; they usually drop tables and their \
                 data: pass --yes to run them",
                list.join(", ")
            )));
        }
        let mut migrator = t.migrator(&m).allow_release_revert(true);
        for c in &args.consent {
            migrator = migrator.consent(c);
        }
        Ok(Some(on_pool!(db, |p| migrator
            .clone()
            .revert_to(p, args.to)
            .await)?))
    }
    .await;
    let reverted: Vec<&driftless::Reverted> = match &result {
        Ok(Some(r)) => r.reverted.iter().collect(),
        _ => Vec::new(),
    };
    for r in &reverted {
        if json {
            println!(
                "{}",
                json!({
                    "event": "reverted",
                    "version": r.version,
                    "description": r.description,
                    "down": r.down,
                    "duration_ms": millis(r.duration),
                    "statements": r.statements,
                    "consent": r.consent,
                })
            );
        } else {
            eprintln!(
                "reverted {} {} ({}, {} ms{})",
                r.version,
                r.description,
                r.down,
                r.duration.as_millis(),
                if r.consent { ", with consent" } else { "" }
            );
        }
    }
    let (code, word, error) = match &result {
        Ok(_) if reverted.is_empty() => (0, "nothing_to_revert", None),
        Ok(_) => (0, "reverted", None),
        Err(e) => {
            let code = exit_code(e);
            (code, if code == 1 { "refused" } else { "failed" }, Some(e))
        }
    };
    if json {
        let versions: Vec<u64> = reverted.iter().map(|r| r.version).collect();
        println!(
            "{}",
            json!({
                "event": "summary",
                "result": word,
                "reverted": versions,
                "exit_code": code,
                "kind": error.and_then(kind_name),
                "error": error.map(|e| format!("{e:#}")),
            })
        );
    } else if error.is_none() {
        if reverted.is_empty() {
            println!(
                "nothing to revert: no applied migration is newer than {}",
                args.to
            );
        } else {
            println!(
                "reverted {} migration(s); `driftless migrate` applies them again",
                reverted.len()
            );
        }
    }
    if let Some(e) = error {
        eprintln!("error: {e:#}");
        eprintln!(
            "revert {} (exit {code})",
            if code == 1 {
                "refused, nothing was reverted"
            } else {
                "failed"
            }
        );
    }
    Ok(ExitCode::from(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_display_shows_the_migration_and_its_statement() {
        let mut d = Display::default();
        let (line, stays) = d.render(Event::Started {
            version: 3,
            description: "add_email".into(),
            statements: 2,
        });
        assert_eq!(line, "applying 3 add_email (2 statements)");
        assert!(!stays);
        let (line, _) = d.render(Event::Statement {
            version: 3,
            done: 1,
            total: 2,
        });
        assert_eq!(line, "applying 3 add_email: statement 2 of 2");
        let (line, stays) = d.render(Event::Applied {
            version: 3,
            duration: Duration::from_millis(12),
            consent: true,
        });
        assert_eq!(
            line,
            "applied 3 add_email (2 statements, 12 ms, with consent)"
        );
        assert!(stays);
    }

    #[test]
    fn json_lines_carry_what_started_reported() {
        let mut l = Lines::default();
        assert!(
            l.line(Event::Started {
                version: 7,
                description: "x".into(),
                statements: 4,
            })
            .is_none()
        );
        let v = l
            .line(Event::Applied {
                version: 7,
                duration: Duration::from_millis(5),
                consent: false,
            })
            .unwrap();
        assert_eq!(v["description"], "x");
        assert_eq!(v["statements"], 4);
        assert_eq!(v["duration_ms"], 5);
        assert_eq!(v["event"], "applied");
    }

    #[test]
    fn exit_codes_of_refusals_and_failures() {
        assert_eq!(
            exit_code(&anyhow::Error::new(Refusal("no --yes".into()))),
            1
        );
        assert_eq!(exit_code(&anyhow::anyhow!("cannot connect")), 2);
    }
}
