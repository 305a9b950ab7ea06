//! Commands that work on the migrations folder alone: `check`, `lock`, `new`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use driftless_core::diagnostic::Position;
use driftless_core::layout::Layout;
use driftless_core::lock::{self as lockop, LockRequest};
use driftless_core::lockfile;
use driftless_core::{Analysis, Dialect, MigrationState, Options, Severity, analyze, loader};
use serde_json::json;

use crate::Format;

fn load(dir: &Path) -> Result<driftless_core::Folder> {
    loader::load(dir)
        .with_context(|| format!("cannot read the migrations folder `{}`", dir.display()))
}

fn parse_dialect(dialect: Option<&str>) -> Result<Option<Dialect>> {
    dialect
        .map(|d| d.parse::<Dialect>())
        .transpose()
        .map_err(Into::into)
}

/// Prints errors and the warnings worth showing as rustc does: warnings of locked and adopted
/// migrations are one summary line unless `all`.
fn print_diagnostics(analysis: &Analysis, dir: &Path, all: bool) {
    let dir = dir.display().to_string();
    let (warnings, hidden) = analysis.shown_warnings(all);
    let shown: std::collections::HashSet<*const driftless_core::Diagnostic> =
        warnings.into_iter().map(|w| w as *const _).collect();
    for d in analysis
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error || shown.contains(&(*d as *const _)))
    {
        eprintln!("{}", analysis.render(d, &dir));
    }
    if let Some(line) = Analysis::hidden_warnings_line(hidden, &dir) {
        eprintln!("{line}\n");
    }
}

fn state_name(state: MigrationState) -> &'static str {
    match state {
        MigrationState::Draft => "draft",
        MigrationState::Locked => "locked",
        MigrationState::Adopted => "adopted",
    }
}

/// `driftless check`.
pub fn check(
    dir: &Path,
    strict: bool,
    dialect: Option<&str>,
    format: Format,
    all: bool,
) -> Result<ExitCode> {
    let folder = load(dir)?;
    let options = Options {
        dialect: parse_dialect(dialect)?,
        strict: strict.then_some(true),
    };
    let analysis = analyze(&folder, &options);
    let errors = analysis.errors().count();
    let warnings = analysis.warnings().count();
    match format {
        Format::Human => {
            print_diagnostics(&analysis, dir, all);
            let drafts = analysis
                .migrations
                .iter()
                .filter(|m| m.state == MigrationState::Draft)
                .count();
            println!(
                "checked {} migrations in `{}` ({} locked, {drafts} drafts): {errors} errors, {warnings} warnings",
                analysis.migrations.len(),
                dir.display(),
                analysis.migrations.len() - drafts,
            );
        }
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&analysis, dir))?
        ),
    }
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn to_json(analysis: &Analysis, dir: &Path) -> serde_json::Value {
    let dir_text = dir.display().to_string();
    let migrations: Vec<_> = analysis
        .migrations
        .iter()
        .map(|m| {
            let hazards: Vec<_> = m
                .statements
                .iter()
                .flat_map(|s| &s.hazards)
                .map(|h| {
                    json!({
                        "code": h.code.as_str(),
                        "category": format!("{:?}", h.code.category()),
                        "object": h.object.to_string(),
                        "message": h.message,
                        "line": Position::of(&m.sql, h.range.start).line,
                    })
                })
                .collect();
            json!({
                "version": m.version,
                "description": m.description,
                "path": m.path,
                "state": state_name(m.state),
                "checksum": driftless_core::checksum::to_hex(&m.checksum),
                "transactional": m.transactional,
                "statements": m.statements.len(),
                "hazards": hazards,
            })
        })
        .collect();
    let diagnostics: Vec<_> = analysis
        .diagnostics
        .iter()
        .map(|d| {
            let pos = match (&d.file, &d.range) {
                (Some(f), Some(r)) => analysis.source(f).map(|s| Position::of(s, r.start)),
                _ => None,
            };
            json!({
                "code": d.code.as_str(),
                "severity": d.severity.as_str(),
                "file": d.file,
                "line": pos.map(|p| p.line),
                "column": pos.map(|p| p.column),
                "message": d.message,
                "help": d.help,
                "rendered": analysis.render(d, &dir_text),
            })
        })
        .collect();
    json!({
        "dialect": analysis.dialect.map(Dialect::as_str),
        "strict": analysis.strict,
        "errors": analysis.errors().count(),
        "warnings": analysis.warnings().count(),
        "migrations": migrations,
        "diagnostics": diagnostics,
    })
}

/// `driftless lock`.
pub fn lock(dir: &Path, dialect: Option<&str>, adopt: bool, rehash: Vec<u64>) -> Result<ExitCode> {
    let folder = load(dir)?;
    let request = LockRequest {
        dialect: parse_dialect(dialect)?,
        adopt,
        rehash,
    };
    match lockop::lock(&folder, &request) {
        Ok(outcome) => {
            print_diagnostics(&outcome.analysis, dir, false);
            let path = dir.join(lockfile::FILE_NAME);
            std::fs::write(&path, outcome.lock.render())
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            let how = if adopt { "adopted" } else { "locked" };
            println!(
                "{how} {} migrations, re-hashed {}; `{}` now locks {} ({})",
                outcome.locked.len(),
                outcome.rehashed.len(),
                path.display(),
                outcome.lock.entries.len(),
                outcome.lock.dialect
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(analysis) => {
            print_diagnostics(&analysis, dir, false);
            eprintln!(
                "error: nothing was locked: fix the errors above first (locking never hides a hazard)"
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `driftless new`.
pub fn new(dir: &Path, name: &str, timestamp: bool) -> Result<ExitCode> {
    for path in create(dir, name, timestamp, None)? {
        println!("created {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Creates the files of a new migration with the next version (and `up` as its SQL, else a
/// header), in the layout of the folder's newest migration; returns their paths.
pub fn create(
    dir: &Path,
    name: &str,
    timestamp: bool,
    up: Option<&str>,
) -> Result<Vec<std::path::PathBuf>> {
    let description: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let description = description.trim_matches('_').to_owned();
    if description.is_empty() {
        bail!("the name `{name}` has no letters or digits; use e.g. `add_email_to_users`");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let folder = load(dir)?;
    let ignore = driftless_core::config::Config::parse(
        &folder
            .get(driftless_core::config::FILE_NAME)
            .map(|f| String::from_utf8_lossy(&f.content).into_owned())
            .unwrap_or_default(),
    )
    .0
    .ignore;
    let (found, _) = driftless_core::layout::classify(&folder, &ignore);
    let newest = found.iter().max_by_key(|f| f.version);
    let layout = newest.map_or(Layout::Flat, |f| f.layout);
    let is_timestamp = |text: &str| {
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        digits.len() == 14 && (digits.starts_with("19") || digits.starts_with("20"))
    };
    let max = driftless_core::layout::MAX_VERSION;
    if let Some(f) = newest.filter(|f| f.version >= max) {
        bail!(
            "`{}` has version {}, the largest the history table stores ({max}): a new migration cannot sort after it",
            f.path,
            f.version
        );
    }
    let version_text = match newest {
        Some(f) if is_timestamp(&f.version_text) => {
            let now = utc_timestamp();
            let now_num: u64 = now.parse().unwrap_or(0);
            let version = if now_num > f.version {
                now_num
            } else {
                f.version + 1
            };
            let text = format!("{version:014}");
            if f.version_text.contains('-') {
                // diesel writes `YYYY-MM-DD-HHMMSS`.
                format!(
                    "{}-{}-{}-{}",
                    &text[0..4],
                    &text[4..6],
                    &text[6..8],
                    &text[8..14]
                )
            } else {
                text
            }
        }
        Some(f) => {
            let width = f.version_text.len();
            format!("{:0width$}", f.version + 1)
        }
        None if timestamp => utc_timestamp(),
        None => "0001".to_owned(),
    };
    let stem = format!("{version_text}_{description}");
    let header = "-- Write the migration here. Destructive statements need an acknowledgement on the\n-- line before them: `-- driftless: allow <code>: <reason>` (docs/directives.md).\n";
    let created: Vec<std::path::PathBuf> = match layout {
        Layout::Flat => vec![dir.join(format!("{stem}.sql"))],
        Layout::Reversible => vec![
            dir.join(format!("{stem}.up.sql")),
            dir.join(format!("{stem}.down.sql")),
        ],
        Layout::Prisma => vec![dir.join(&stem).join("migration.sql")],
        Layout::Diesel => vec![
            dir.join(&stem).join("up.sql"),
            dir.join(&stem).join("down.sql"),
        ],
    };
    for path in &created {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if path.exists() {
            bail!("`{}` already exists", path.display());
        }
        let is_down = path.to_string_lossy().contains("down.sql");
        std::fs::write(
            path,
            if is_down {
                "-- Never run by driftless; kept for reference.\n"
            } else {
                up.unwrap_or(header)
            },
        )
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    Ok(created)
}

/// The current UTC time as `YYYYMMDDHHMMSS`.
fn utc_timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamp_has_fourteen_digits_and_a_plausible_year() {
        let t = super::utc_timestamp();
        assert_eq!(t.len(), 14);
        let year: u32 = t[..4].parse().unwrap();
        assert!((2024..2200).contains(&year));
        let month: u32 = t[4..6].parse().unwrap();
        assert!((1..=12).contains(&month));
    }
}
