//! Adopting another tool's history (`driftless adopt`): the rows of sqlx's, diesel's, Prisma's
//! or refinery's history table become `applied` rows of ours, each checksum the old tool kept
//! verified the way that tool computes it (`driftless_core::foreign`), in one transaction, with
//! the old table left as it was.

use std::collections::{BTreeMap, BTreeSet};

use driftless_core::foreign;

use super::{Migrator, summary};
use crate::backend::{Conn, HistoryRow, Pool, RowStatus, Sql, is_missing_table};
use crate::error::Error;
use crate::migrations::{Dialect, Migration, MigrationState};

/// The migration tool whose history [`Migrator::adopt`] takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tool {
    /// sqlx (`_sqlx_migrations`): SHA-384 checksums, verified.
    Sqlx,
    /// diesel (`__diesel_schema_migrations`): no checksum, so nothing to verify.
    Diesel,
    /// Prisma Migrate (`_prisma_migrations`): SHA-256 checksums, verified.
    Prisma,
    /// refinery (`refinery_schema_history`): SipHash-1-3 checksums, verified.
    Refinery,
}

impl Tool {
    /// Every tool, in the order the CLI lists them.
    pub const ALL: [Tool; 4] = [Tool::Sqlx, Tool::Diesel, Tool::Prisma, Tool::Refinery];

    /// `sqlx`, `diesel`, `prisma` or `refinery`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "diesel",
            Tool::Prisma => "prisma",
            Tool::Refinery => "refinery",
        }
    }

    /// The tool named `name` (as [`Tool::as_str`] spells it, any case).
    pub fn parse(name: &str) -> Option<Tool> {
        Tool::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(name))
    }

    /// The history table the tool keeps by default.
    pub fn table(self) -> &'static str {
        match self {
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Diesel => "__diesel_schema_migrations",
            Tool::Prisma => "_prisma_migrations",
            Tool::Refinery => "refinery_schema_history",
        }
    }

    /// The value of the `consent` column of the rows adopted from this tool: `adopted:sqlx`.
    pub fn marker(self) -> String {
        format!("adopted:{}", self.as_str())
    }
}

impl std::fmt::Display for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`Migrator::adopt`] found and did. When [`Adoption::refusals`] is not empty nothing
/// was written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
#[must_use = "an adoption may have been refused: check `refusals`"]
pub struct Adoption {
    /// The tool adopted from.
    pub tool: Tool,
    /// Its history table, as read.
    pub table: String,
    /// Every migration the old tool applied, in version order.
    pub migrations: Vec<AdoptedMigration>,
    /// The folder's migrations the old tool did not apply: pending for driftless afterwards.
    pub pending: Vec<u64>,
    /// Why nothing was written, one line per reason, each naming the rows; empty when adopted.
    pub refusals: Vec<String>,
    /// Whether this was a dry run (nothing is written).
    pub dry_run: bool,
    /// Whether the history was written (false on a dry run, a refusal, or when every row was
    /// already recorded).
    pub written: bool,
}

impl Adoption {
    /// Whether the adoption was refused (nothing was written).
    pub fn is_refused(&self) -> bool {
        !self.refusals.is_empty()
    }
}

/// One migration the old tool applied.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AdoptedMigration {
    /// Its version.
    pub version: u64,
    /// Its name as the old tool recorded it.
    pub name: String,
    /// Its file in the folder, if the folder has it.
    pub path: Option<String>,
    /// When the old tool applied it (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC where the old table
    /// keeps a time zone), if its table says; the row records this time.
    pub applied_at: Option<String>,
    /// Whether the old tool's checksum matches the file.
    pub verification: Verification,
    /// Whether driftless's history already records it, with the same checksum (an adoption run
    /// again, or a baseline): it is left as it is.
    pub already_recorded: bool,
}

/// Whether the checksum the old tool kept matches the folder's file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verification {
    /// The file hashes, as the tool computes it, to the checksum the tool recorded.
    Verified,
    /// The tool keeps nothing to compare with (diesel): the reason.
    NotVerifiable(String),
    /// The checksums differ (the file was edited after the tool applied it): the details.
    Differs(String),
    /// The folder has no migration of this version.
    NotInFolder,
}

impl Verification {
    /// `verified`, `not verifiable`, `differs` or `not in folder`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verification::Verified => "verified",
            Verification::NotVerifiable(_) => "not verifiable",
            Verification::Differs(_) => "differs",
            Verification::NotInFolder => "not in folder",
        }
    }

    /// Why, when there is more to say than [`Verification::as_str`].
    pub fn detail(&self) -> Option<&str> {
        match self {
            Verification::NotVerifiable(why) | Verification::Differs(why) => Some(why),
            _ => None,
        }
    }
}

/// One row of the old tool's table, every column as text.
struct OldRow {
    version: String,
    name: String,
    checksum: Option<String>,
    applied_at: Option<String>,
    state: String,
    duration_ms: Option<String>,
    detail: Option<String>,
}

/// The query that reads the old tool's table as `version, name, checksum, applied_at, state,
/// duration_ms, detail`, all text. Times are read in UTC where the column has a time zone.
fn old_query(tool: Tool, dialect: Dialect, table: &str) -> String {
    type Render = fn(&str) -> String;
    let (text, time_tz, time): (Render, Render, Render) = match dialect {
        Dialect::Postgres => (
            |c: &str| format!("CAST({c} AS TEXT)"),
            |c: &str| format!("to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"),
            |c: &str| format!("to_char({c}, 'YYYY-MM-DD HH24:MI:SS.US')"),
        ),
        Dialect::Mysql => (
            |c: &str| format!("CAST({c} AS CHAR)"),
            |c: &str| format!("DATE_FORMAT({c}, '%Y-%m-%d %H:%i:%s.%f')"),
            |c: &str| format!("DATE_FORMAT({c}, '%Y-%m-%d %H:%i:%s.%f')"),
        ),
        Dialect::Sqlite => (
            |c: &str| format!("CAST({c} AS TEXT)"),
            |c: &str| format!("CAST({c} AS TEXT)"),
            |c: &str| format!("CAST({c} AS TEXT)"),
        ),
    };
    let null = text("NULL");
    match tool {
        Tool::Sqlx => {
            let hex = match dialect {
                Dialect::Postgres => "encode(checksum, 'hex')".to_owned(),
                Dialect::Mysql => "LOWER(HEX(checksum))".to_owned(),
                Dialect::Sqlite => "lower(hex(checksum))".to_owned(),
            };
            format!(
                "SELECT {}, {}, {hex}, {}, CASE WHEN success THEN 'ok' ELSE 'failed' END, \
                 {}, {null} FROM {table} ORDER BY version",
                text("version"),
                text("description"),
                time_tz("installed_on"),
                text("CASE WHEN execution_time >= 0 THEN execution_time / 1000000 END"),
            )
        }
        Tool::Diesel => format!(
            "SELECT {v}, {v}, {null}, {}, 'ok', {null}, {null} FROM {table} ORDER BY version",
            time("run_on"),
            v = text("version"),
        ),
        Tool::Prisma => format!(
            "SELECT {n}, {n}, {}, {}, CASE WHEN rolled_back_at IS NOT NULL THEN 'rolled_back' \
             WHEN finished_at IS NULL THEN 'failed' WHEN logs IS NOT NULL AND logs <> '' THEN \
             'logs' ELSE 'ok' END, {null}, {} FROM {table} ORDER BY started_at, migration_name",
            text("checksum"),
            time_tz("finished_at"),
            text("logs"),
            n = text("migration_name"),
        ),
        Tool::Refinery => format!(
            "SELECT {}, {}, {}, {}, 'ok', {null}, {null} FROM {table} ORDER BY version",
            text("version"),
            text("name"),
            text("checksum"),
            text("applied_on"),
        ),
    }
}

/// The version a row of the old tool names: sqlx's and refinery's integers, diesel's folder
/// prefix without dashes (as diesel stores it), Prisma's folder name up to its first `_`.
fn old_version(tool: Tool, text: &str) -> Option<u64> {
    let digits = match tool {
        Tool::Sqlx | Tool::Refinery => text.trim().to_owned(),
        Tool::Diesel => text.trim().replace('-', ""),
        Tool::Prisma => text.split('_').next().unwrap_or("").replace('-', ""),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A time as the old table gave it, as `YYYY-MM-DD HH:MM:SS.ffffff`: integer milliseconds since
/// the epoch (Prisma on SQLite), or `YYYY-MM-DD[ T]HH:MM:SS[.f…][Z|±HH[:MM]]`, moved to UTC when
/// it has an offset. `None` for anything else.
fn normalize_time(text: &str) -> Option<String> {
    let t = text.trim();
    if !t.is_empty() && t.len() <= 16 && t.bytes().all(|b| b.is_ascii_digit()) {
        let ms: i64 = t.parse().ok()?;
        return Some(format_epoch(
            ms.div_euclid(1000),
            (ms.rem_euclid(1000) * 1000) as u32,
        ));
    }
    let b = t.as_bytes();
    if b.len() < 19 || !t.is_char_boundary(19) {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = &t[range];
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b' ' | b'T') || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut rest = &t[19..];
    let mut micros = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let end = frac
            .bytes()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(frac.len());
        let digits = &frac[..end];
        let mut six: String = digits.chars().take(6).collect();
        while six.len() < 6 {
            six.push('0');
        }
        micros = six.parse().ok()?;
        rest = &frac[end..];
    }
    let rest = rest.trim();
    let offset = match rest {
        "" | "Z" | "z" | "UTC" => 0,
        _ => {
            let (sign, hm) = match rest.as_bytes()[0] {
                b'+' => (1, &rest[1..]),
                b'-' => (-1, &rest[1..]),
                _ => return None,
            };
            let hm = hm.replace(':', "");
            if !hm.bytes().all(|c| c.is_ascii_digit()) || !matches!(hm.len(), 2 | 4) {
                return None;
            }
            let h: i64 = hm[..2].parse().ok()?;
            let m: i64 = if hm.len() == 4 {
                hm[2..].parse().ok()?
            } else {
                0
            };
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(format_epoch(seconds, micros))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn format_epoch(seconds: i64, micros: u32) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{micros:06}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// A time literal of the history table's time column.
fn time_literal(sql: &Sql, time: &str) -> String {
    match sql.dialect {
        Dialect::Postgres => format!(
            "CAST({} AS timestamptz)",
            sql.literal(&format!("{time}+00"))
        ),
        Dialect::Mysql => format!("CAST({} AS DATETIME(6))", sql.literal(time)),
        Dialect::Sqlite => sql.literal(&time[..23.min(time.len())]),
    }
}

/// What the old tool applied, per version, after its failed and rolled-back rows are judged.
struct Applied {
    name: String,
    checksum: Option<String>,
    applied_at: Option<String>,
    duration_ms: Option<i64>,
}

impl<'a> Migrator<'a> {
    /// Adopts the history of `tool`: every migration its table records as applied is recorded
    /// as `applied` in driftless's history (with the time the old tool applied it and the
    /// marker [`Tool::marker`] in the `consent` column), and the namespace's summary row is
    /// written, so the next boot is a no-op. One transaction; the old table is only read.
    ///
    /// Nothing is written, and [`Adoption::refusals`] names the rows, when the old history has
    /// failed or rolled-back rows (sqlx `success = false`; Prisma rows not finished, rolled back
    /// and not applied again, or with logs), applies a version the folder lacks or whose file
    /// no longer has the checksum the tool recorded, when those migrations are not locked yet
    /// (`driftless lock --adopt`), or when driftless's history already disagrees. `dry_run`
    /// checks everything and reports what would be written, without writing or locking.
    pub async fn adopt<P: Pool>(
        self,
        pool: &P,
        tool: Tool,
        dry_run: bool,
    ) -> Result<Adoption, Error> {
        let db = pool.__db();
        self.preflight(&db)?;
        let mut sql = self.sql(db.dialect());
        let mut conn = db.open(self.acquire_timeout).await?;
        let result = self.adopt_on(&mut conn, &mut sql, tool, dry_run).await;
        if result.is_ok() && !dry_run {
            let _ = conn
                .unlock(&sql, &self.lock_key(Some(self.namespace())))
                .await;
        }
        conn.finish().await;
        result
    }

    async fn adopt_on(
        &self,
        conn: &mut Conn,
        sql: &mut Sql,
        tool: Tool,
        dry_run: bool,
    ) -> Result<Adoption, Error> {
        *sql = self.pin_schema(conn, sql.clone()).await?;
        let sql = &*sql;
        // First read-only, so that a refusal or a dry run writes nothing, not even the
        // history table; then again under the namespace's lock, which another run may have
        // held meanwhile.
        let (adoption, _) = self.plan_adoption(conn, sql, tool, dry_run).await?;
        if adoption.is_refused() || dry_run {
            return Ok(adoption);
        }
        self.lock_history(conn, sql, false).await?;
        let (current, old) = self.summaries(conn, sql).await?;
        if let Some(old) = old {
            self.upgrade_history(conn, sql, &old).await?;
        }
        let (mut adoption, (mut body, history)) =
            self.plan_adoption(conn, sql, tool, false).await?;
        if adoption.is_refused() {
            return Ok(adoption);
        }
        let ns = self.namespace();
        let summary = summary::of_applied(&history);
        if body.is_empty() && current.as_deref() == Some(&summary) {
            return Ok(adoption);
        }
        body.push(sql.put_summary(ns, &summary));
        conn.execute(self.transaction(sql, body.join(";\n")))
            .await
            .map_err(|e| self.write_error("cannot write the adopted history", e))?;
        adoption.written = true;
        Ok(adoption)
    }

    /// Reads both histories and decides: the report, the rows to insert and the applied
    /// versions with their checksums once they are. Read-only.
    #[allow(clippy::type_complexity)]
    async fn plan_adoption(
        &self,
        conn: &mut Conn,
        sql: &Sql,
        tool: Tool,
        dry_run: bool,
    ) -> Result<(Adoption, (Vec<String>, BTreeMap<u64, String>)), Error> {
        let ns = self.namespace();
        let mut adoption = Adoption {
            tool,
            table: tool.table().to_owned(),
            migrations: Vec::new(),
            pending: Vec::new(),
            refusals: Vec::new(),
            dry_run,
            written: false,
        };
        let ours: Vec<HistoryRow> = match conn.history(sql.history(ns)).await {
            Ok(rows) => rows,
            Err(e) if is_missing_table(&e) => Vec::new(),
            Err(e) => return Err(Error::database("cannot read the history", e)),
        };
        let query = old_query(tool, sql.dialect, &sql.ident(tool.table()));
        let rows = match conn.rows(query).await {
            Ok(rows) => rows,
            Err(e) if is_missing_table(&e) => {
                adoption.refusals.push(format!(
                    "the database has no `{}` table: there is no {tool} history to adopt here \
                     (a database with tables but no history is recorded with {})",
                    tool.table(),
                    self.command("baseline --version <VERSION>")
                ));
                return Ok((adoption, Default::default()));
            }
            Err(e) => {
                return Err(Error::database(
                    &format!("cannot read {tool}'s history table `{}`", tool.table()),
                    e,
                ));
            }
        };
        let rows: Vec<OldRow> = rows
            .into_iter()
            .map(|mut r| {
                r.resize(7, None);
                let mut it = r.into_iter();
                let mut next = || it.next().flatten();
                OldRow {
                    version: next().unwrap_or_default(),
                    name: next().unwrap_or_default(),
                    checksum: next(),
                    applied_at: next(),
                    state: next().unwrap_or_default(),
                    duration_ms: next(),
                    detail: next(),
                }
            })
            .collect();
        let applied = self.judge_old_rows(tool, &rows, &mut adoption.refusals);

        let embedded: BTreeMap<u64, &Migration> = self
            .migrations
            .migrations()
            .iter()
            .map(|m| (m.version, m))
            .collect();
        let ours_by_version: BTreeMap<u64, &HistoryRow> =
            ours.iter().map(|r| (r.version as u64, r)).collect();
        for row in ours.iter().filter(|r| r.status.blocks()) {
            adoption.refusals.push(format!(
                "driftless's history records migration {} ({}) as `{}`: resolve it first with {}",
                row.version,
                row.name,
                row.status.as_str(),
                self.command("status")
            ));
        }
        let mut drafts = Vec::new();
        let mut history = summary::applied_map(&ours);
        let mut body = Vec::new();
        for (&version, old) in &applied {
            let m = embedded.get(&version).copied();
            let verification = match m {
                None => Verification::NotInFolder,
                Some(m) => verify(tool, version, old, m),
            };
            match &verification {
                Verification::NotInFolder => adoption.refusals.push(format!(
                    "{tool} applied version {version} (`{}`), but the folder has no migration \
                     {version}: restore its file from version control before adopting",
                    old.name
                )),
                Verification::Differs(why) => adoption.refusals.push(format!(
                    "migration {version} ({}): {why}",
                    m.map(Migration::path).unwrap_or_default()
                )),
                _ => {}
            }
            let mut already = false;
            if let Some(m) = m {
                if m.state() == MigrationState::Draft {
                    drafts.push(version.to_string());
                }
                match ours_by_version.get(&version) {
                    Some(row) if row.status.is_applied() && row.checksum == m.checksum_hex() => {
                        already = true;
                    }
                    Some(row) if row.status.blocks() => {}
                    Some(row) => adoption.refusals.push(format!(
                        "driftless's history already records migration {version} as `{}` with \
                         checksum {}, which disagrees with the folder's file {} ({}); inspect \
                         it with {}",
                        row.status.as_str(),
                        row.checksum,
                        m.path(),
                        m.checksum_hex(),
                        self.command("status")
                    )),
                    None => {
                        let at = old.applied_at.as_deref().and_then(normalize_time);
                        body.push(adopted_row(
                            sql,
                            ns,
                            tool,
                            m,
                            at.as_deref(),
                            old.duration_ms,
                        ));
                        history.insert(version, m.checksum_hex());
                    }
                }
            }
            adoption.migrations.push(AdoptedMigration {
                version,
                name: old.name.clone(),
                path: m.map(|m| m.path().to_owned()),
                applied_at: old.applied_at.as_deref().and_then(normalize_time),
                verification,
                already_recorded: already,
            });
        }
        if let Some(&newest) = applied.keys().next_back() {
            let extra: Vec<String> = ours
                .iter()
                .filter(|r| r.status.is_applied())
                .map(|r| r.version as u64)
                .filter(|v| *v < newest && !applied.contains_key(v))
                .map(|v| v.to_string())
                .collect();
            if !extra.is_empty() {
                adoption.refusals.push(format!(
                    "driftless's history records migration(s) {} as applied, which {tool} never \
                     applied though it applied later ones: the two histories disagree; inspect \
                     them with {}",
                    extra.join(", "),
                    self.command("status")
                ));
            }
        }
        if !drafts.is_empty() {
            adoption.refusals.push(format!(
                "migration(s) {} are not locked: lock the folder as adopted first with \
                 `driftless lock --adopt migrations` (the first lock also needs `--dialect {}`), \
                 commit driftless.lock, then adopt",
                drafts.join(", "),
                self.migrations.dialect()
            ));
        }
        adoption.pending = self
            .migrations
            .migrations()
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains_key(v) && !history.contains_key(v))
            .collect();
        Ok((adoption, (body, history)))
    }

    /// The versions the old tool applied; its failed, dirty and rolled-back rows become
    /// refusals.
    fn judge_old_rows(
        &self,
        tool: Tool,
        rows: &[OldRow],
        refusals: &mut Vec<String>,
    ) -> BTreeMap<u64, Applied> {
        let mut applied: BTreeMap<u64, Applied> = BTreeMap::new();
        let mut rolled_back: BTreeSet<(u64, String)> = BTreeSet::new();
        for row in rows {
            let Some(version) = old_version(tool, &row.version) else {
                refusals.push(format!(
                    "{tool}'s row `{}` has no version driftless can read (a non-negative \
                     integer{}); rename the migration or remove the row with {tool} first",
                    row.name,
                    if tool == Tool::Prisma {
                        " before the first `_` of the folder name"
                    } else {
                        ""
                    }
                ));
                continue;
            };
            match row.state.as_str() {
                "ok" => {
                    applied.insert(
                        version,
                        Applied {
                            name: row.name.clone(),
                            checksum: row.checksum.clone(),
                            applied_at: row.applied_at.clone(),
                            duration_ms: row.duration_ms.as_deref().and_then(|d| d.parse().ok()),
                        },
                    );
                }
                "rolled_back" => {
                    rolled_back.insert((version, row.name.clone()));
                }
                "failed" => refusals.push(match tool {
                    Tool::Sqlx => format!(
                        "sqlx recorded migration {version} ({}) as failed (`success = false`): \
                         it may be half-applied; repair the database and that row with sqlx \
                         before adopting",
                        row.name
                    ),
                    _ => format!(
                        "Prisma recorded migration `{}` as started and not finished \
                         (`finished_at IS NULL`){}: resolve it with `prisma migrate resolve` \
                         before adopting",
                        row.name,
                        row.detail
                            .as_deref()
                            .map(|l| format!("; its logs: {}", first_line(l)))
                            .unwrap_or_default()
                    ),
                }),
                _ => refusals.push(format!(
                    "Prisma recorded migration `{}` as finished but with logs (`{}`): it may not \
                     have applied cleanly; check it and resolve it with Prisma before adopting",
                    row.name,
                    row.detail.as_deref().map(first_line).unwrap_or_default()
                )),
            }
        }
        for (version, name) in rolled_back {
            if !applied.contains_key(&version) {
                refusals.push(format!(
                    "Prisma recorded migration `{name}` as rolled back (`rolled_back_at` is \
                     set) and never applied it again: Prisma would apply it on its next deploy; \
                     finish it with `prisma migrate deploy`, or remove it from the folder, \
                     before adopting"
                ));
            }
        }
        applied
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() > 200 {
        format!("{}…", line.chars().take(200).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// Compares the checksum the old tool kept with the file, computed as that tool computes it.
fn verify(tool: Tool, version: u64, old: &Applied, m: &Migration) -> Verification {
    let stored = old.checksum.as_deref().unwrap_or("").trim();
    match tool {
        Tool::Diesel => Verification::NotVerifiable(
            "diesel keeps no checksum (its table holds the version and run time only)".to_owned(),
        ),
        Tool::Sqlx => {
            let computed = foreign::sqlx_checksum(m.sql());
            if computed.eq_ignore_ascii_case(stored) {
                Verification::Verified
            } else {
                Verification::Differs(format!(
                    "sqlx recorded SHA-384 {} but the file hashes to {}: it was edited after \
                     sqlx applied it (or sqlx.toml sets `migrate.ignored-chars`, which driftless \
                     cannot reproduce); restore the file as it ran",
                    short(stored),
                    short(&computed)
                ))
            }
        }
        Tool::Prisma => {
            if foreign::prisma_matches(m.sql(), stored) {
                Verification::Verified
            } else {
                Verification::Differs(format!(
                    "Prisma recorded SHA-256 {} but migration.sql hashes to {} (line endings \
                     either way): it was edited after Prisma applied it; restore the file as it \
                     ran",
                    short(stored),
                    short(&foreign::prisma_checksum(m.sql()))
                ))
            }
        }
        Tool::Refinery => {
            let computed = foreign::refinery_checksums(&old.name, version as i64, m.sql());
            match stored.parse::<u64>() {
                Ok(n) if computed.contains(&n) => Verification::Verified,
                _ => Verification::Differs(format!(
                    "refinery recorded checksum {stored} but name `{}`, version {version} and the \
                     file hash to {}: the file (or the name) changed after refinery applied it; \
                     restore the file as it ran",
                    old.name, computed[0]
                )),
            }
        }
    }
}

fn short(hex: &str) -> String {
    if hex.len() > 16 {
        format!("{}…", &hex[..16])
    } else if hex.is_empty() {
        "(nothing)".to_owned()
    } else {
        hex.to_owned()
    }
}

/// The insert of one adopted row.
fn adopted_row(
    sql: &Sql,
    ns: &str,
    tool: Tool,
    m: &Migration,
    at: Option<&str>,
    duration_ms: Option<i64>,
) -> String {
    let time = match at {
        Some(t) => time_literal(sql, t),
        None => match sql.dialect {
            Dialect::Postgres => "now()".to_owned(),
            Dialect::Mysql => "CURRENT_TIMESTAMP(6)".to_owned(),
            Dialect::Sqlite => "strftime('%Y-%m-%d %H:%M:%f', 'now')".to_owned(),
        },
    };
    let total = m.statement_count();
    format!(
        "INSERT INTO {t} (namespace, version, name, checksum, status, started_at, finished_at, \
         duration_ms, statements_done, statements_total, error, consent) VALUES ({ns}, {v}, \
         {name}, {checksum}, '{status}', {time}, {time}, {duration}, {total}, {total}, NULL, \
         {marker})",
        t = sql.table,
        ns = sql.literal(ns),
        v = m.version(),
        name = sql.literal(m.description()),
        checksum = sql.literal(&m.checksum_hex()),
        status = RowStatus::Applied.as_str(),
        duration = duration_ms.map_or_else(|| "NULL".to_owned(), |d| d.to_string()),
        marker = sql.literal(&tool.marker()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_normalised() {
        assert_eq!(
            normalize_time("2024-03-01 12:34:56").as_deref(),
            Some("2024-03-01 12:34:56.000000")
        );
        assert_eq!(
            normalize_time("2024-03-01T12:34:56.123456789Z").as_deref(),
            Some("2024-03-01 12:34:56.123456")
        );
        // An offset moves the time to UTC, across a day and a leap day.
        assert_eq!(
            normalize_time("2024-03-01T01:00:00+02:00").as_deref(),
            Some("2024-02-29 23:00:00.000000")
        );
        assert_eq!(
            normalize_time("2023-12-31 23:30:00.5-01").as_deref(),
            Some("2024-01-01 00:30:00.500000")
        );
        // Prisma on SQLite stores milliseconds since the epoch.
        assert_eq!(
            normalize_time("1700000000123").as_deref(),
            Some("2023-11-14 22:13:20.123000")
        );
        assert_eq!(normalize_time("yesterday"), None);
        assert_eq!(normalize_time("2024-13-01 00:00:00"), None);
    }

    #[test]
    fn versions_are_read_as_each_tool_writes_them() {
        assert_eq!(
            old_version(Tool::Diesel, "20240101120000"),
            Some(20240101120000)
        );
        assert_eq!(old_version(Tool::Diesel, "00000000000000"), Some(0));
        assert_eq!(
            old_version(Tool::Prisma, "20240101120000_init"),
            Some(20240101120000)
        );
        assert_eq!(old_version(Tool::Sqlx, "-1"), None);
        assert_eq!(old_version(Tool::Prisma, "init"), None);
    }

    #[test]
    fn tools_parse() {
        for tool in Tool::ALL {
            assert_eq!(Tool::parse(tool.as_str()), Some(tool));
        }
        assert_eq!(Tool::parse("Prisma"), Some(Tool::Prisma));
        assert_eq!(Tool::parse("flyway"), None);
    }
}
