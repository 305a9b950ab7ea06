//! Part 1: kill -9 at random points of a run of 200 migrations, transactional and
//! `no-transaction` (MySQL always runs under the intent log). After each kill the database must
//! agree with its history; the next boot either finishes the run or refuses with a repair
//! command, which an operator follows before booting again.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use driftless::{ErrorKind, Migrations};

use crate::db::{self, Backend, Ctx, Fresh, Pool, Res};
use crate::{Rng, Tally, Violation, spawn_child};

const COUNT: usize = 200;
/// The next boot's `acquire_timeout`: a lock left by the killed process ends in `LockTimeout`.
const NEXT_BOOT: Duration = Duration::from_secs(10);

pub async fn run(backend: Backend, server: &str, trials: usize, rng: &mut Rng, tally: &mut Tally) {
    for no_transaction in [false, true] {
        let mode = if no_transaction {
            "no-transaction"
        } else {
            "transactional"
        };
        let part = format!("{backend} crash {mode}");
        let setup = async {
            let dir = db::folder(backend, &db::numbered(COUNT, no_transaction), true)?;
            let m = Migrations::load(&dir).ctx("cannot load the folder")?;
            let typical = measure(backend, server, &dir).await?;
            Ok::<_, String>((dir, m, typical))
        };
        let (dir, m, mut typical) = match setup.await {
            Ok(setup) => setup,
            Err(e) => {
                tally.violation(Violation::Process, &part, e);
                continue;
            }
        };
        let measured = typical;
        let intent_log = no_transaction || backend == Backend::Mysql;
        for i in 1..=trials {
            tally.crash += 1;
            let delay = typical.mul_f64(rng.unit());
            let trial = format!("{part} trial {i}/{trials} (kill after {delay:.2?})");
            let crash = Crash {
                dir: &dir,
                m: &m,
                intent_log,
                trial: &trial,
            };
            let db = match Fresh::new(backend, server).await {
                Ok(db) => db,
                Err(e) => {
                    tally.violation(Violation::Process, &trial, e);
                    continue;
                }
            };
            match crash.trial(&db, delay, tally).await {
                // Kills spread over the fastest run seen: a busy machine at the measure does
                // not push them past the end of later runs.
                Ok(Some(took)) => typical = typical.min(took),
                Ok(None) => {}
                Err(e) => tally.violation(Violation::Process, &trial, e),
            }
            db.drop().await;
        }
        db::remove_folder(&dir);
        tally.notes.push(format!(
            "{mode}: a run of {COUNT} migrations in a child process took {measured:.2?} \
             (measured), {typical:.2?} at the fastest"
        ));
    }
}

/// One complete run in a child process: how long it typically takes.
async fn measure(backend: Backend, server: &str, dir: &Path) -> Res<Duration> {
    let db = Fresh::new(backend, server).await?;
    let start = Instant::now();
    let out = spawn_child(backend, &db.url, dir)?.wait_with_output();
    let took = start.elapsed();
    let problems = complete(&db.pool, COUNT).await;
    db.drop().await;
    let out = out.ctx("cannot wait for the child")?;
    if !out.status.success() {
        return Err(format!(
            "the measuring run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    match problems?.first() {
        Some((_, what)) => Err(format!("the measuring run is incomplete: {what}")),
        None => Ok(took),
    }
}

struct Crash<'a> {
    dir: &'a Path,
    m: &'a Migrations,
    intent_log: bool,
    trial: &'a str,
}

impl Crash<'_> {
    /// One kill, the checks after it, the next boot and the checks after that. Returns how
    /// long the run took if it finished before the kill.
    async fn trial(&self, db: &Fresh, delay: Duration, tally: &mut Tally) -> Res<Option<Duration>> {
        let finished = self.kill(db, delay, tally).await?;
        for (kind, what) in self.after_kill(&db.pool).await? {
            tally.violation(kind, self.trial, format!("after the kill: {what}"));
        }
        if self.next_boot(&db.pool, tally).await? {
            for (kind, what) in complete(&db.pool, COUNT).await? {
                tally.violation(kind, self.trial, format!("after the next boot: {what}"));
            }
        }
        Ok(finished)
    }

    /// Runs the migrations in a child process and kills it with SIGKILL after `delay`, then
    /// waits for the server to finish what the child had sent.
    async fn kill(&self, db: &Fresh, delay: Duration, tally: &mut Tally) -> Res<Option<Duration>> {
        let watcher = Pool::single(db.pool.backend(), &db.url).await?;
        let before = watcher.sessions().await?;
        let start = Instant::now();
        let mut child = spawn_child(db.pool.backend(), &db.url, self.dir)?;
        let finished = loop {
            if child.try_wait().ctx("cannot poll the child")?.is_some() {
                break Some(start.elapsed());
            }
            let left = delay.saturating_sub(start.elapsed());
            if left.is_zero() {
                break None;
            }
            tokio::time::sleep(left.min(Duration::from_millis(5))).await;
        };
        if finished.is_none() {
            child.kill().ctx("cannot kill the child")?;
        }
        let out = child.wait_with_output().ctx("cannot wait for the child")?;
        if finished.is_some() {
            tally.outcome("finished before the kill");
            if !out.status.success() {
                let stderr = String::from_utf8_lossy(&out.stderr);
                tally.violation(Violation::Process, self.trial, format!("child: {stderr}"));
            }
        }
        // What the killed process left is what the server holds once its sessions are gone.
        let settled = watcher.settle(&before, NEXT_BOOT).await;
        watcher.close().await;
        if let Some(what) = settled? {
            tally.outcome("a killed session lingered past 10 s");
            tally
                .notes
                .push(format!("{}: a killed session lingered: {what}", self.trial));
        }
        Ok(finished)
    }

    /// The next boot: it finishes the run, or refuses with a repair command that the operator
    /// follows before booting again. True when the run is complete.
    async fn next_boot(&self, pool: &Pool, tally: &mut Tally) -> Res<bool> {
        let boot = || pool.run(self.m.migrator().acquire_timeout(NEXT_BOOT));
        let e = match boot().await {
            Ok(_) => {
                tally.outcome("next boot finished the run");
                return Ok(true);
            }
            Err(e) => e,
        };
        if e.kind() == ErrorKind::LockTimeout {
            tally.violation(Violation::LockLeft, self.trial, e);
            return Ok(false);
        }
        let refused = [ErrorKind::InterruptedMigration, ErrorKind::FailedMigration];
        if !refused.contains(&e.kind()) {
            let what = format!("the next boot failed: {:?}: {e}", e.kind());
            tally.violation(Violation::Other, self.trial, what);
            return Ok(false);
        }
        if !e.to_string().contains("driftless resolve") {
            let what = format!("the refusal names no repair command: {e}");
            tally.violation(Violation::Other, self.trial, what);
        }
        let outcome = self.operator(pool).await?;
        tally.outcome(outcome);
        if let Err(e) = boot().await {
            let what = format!("the boot after `{outcome}` failed: {:?}: {e}", e.kind());
            tally.violation(Violation::Other, self.trial, what);
            return Ok(false);
        }
        Ok(true)
    }

    /// What the killed run left: every `applied` row has its table with its row, no table
    /// exists without a row, and a `running` row with `statements_done = k` has statements up
    /// to k done and none after k + 1.
    async fn after_kill(&self, pool: &Pool) -> Res<Vec<(Violation, String)>> {
        let history: BTreeMap<i64, (String, i64)> = pool
            .history()
            .await?
            .into_iter()
            .map(|(v, status, done)| (v, (status, done)))
            .collect();
        let data = data(pool, COUNT).await?;
        let other = |what: String| (Violation::Other, what);
        let mut out = Vec::new();
        if history.keys().copied().ne(1..=history.len() as i64) {
            let versions: Vec<&i64> = history.keys().collect();
            out.push(other(format!(
                "the history is not a prefix of the run: {versions:?}"
            )));
        }
        for (k, rows) in (1..).zip(data) {
            match (history.get(&k), rows) {
                (_, Some(n)) if n > 1 => out.push(other(format!("t_{k} has {n} rows"))),
                (Some((status, _)), rows) if status == "applied" => {
                    if rows != Some(1) {
                        out.push((Violation::DataLost, lost(k, rows)));
                    }
                }
                (Some((status, done)), rows) if status == "running" => {
                    if !self.intent_log {
                        out.push(other(format!(
                            "migration {k} is `running` in a transactional run"
                        )));
                    }
                    if history.keys().next_back() != Some(&k) {
                        out.push(other(format!(
                            "migration {k} is `running` but not the last row"
                        )));
                    }
                    let (created, inserted) = (rows.is_some(), rows == Some(1));
                    if (*done >= 1 && !created) || (*done >= 2 && !inserted) {
                        let what = format!(
                            "migration {k} records {done} statements done, t_{k}: {rows:?}"
                        );
                        out.push(other(what));
                    }
                    if *done == 0 && inserted {
                        out.push(other(format!(
                            "migration {k} records 0 done but statement 2 ran"
                        )));
                    }
                }
                (Some((status, _)), _) => out.push(other(format!("migration {k} is `{status}`"))),
                (None, Some(_)) => {
                    out.push(other(format!("t_{k} exists but migration {k} has no row")))
                }
                (None, None) => {}
            }
        }
        Ok(out)
    }

    /// The operator's repair after a refusal: undo the partial migration and mark it rolled
    /// back, or mark it applied when all its statements are there.
    async fn operator(&self, pool: &Pool) -> Res<&'static str> {
        let history = pool.history().await?;
        let Some((version, _, _)) = history
            .iter()
            .find(|(_, status, _)| status == "running" || status == "failed")
        else {
            return Err("the boot refused, but no migration is running or failed".to_owned());
        };
        let rows = data(pool, COUNT).await?[*version as usize - 1];
        let applied = rows == Some(1);
        if rows.is_some() && !applied {
            pool.exec(&format!("DROP TABLE t_{version}")).await?;
        }
        let m = self.m.migrator();
        pool.resolve(m, *version as u64, applied).await?;
        Ok(if applied {
            "resolved as applied"
        } else {
            "resolved as rolled back"
        })
    }
}

fn lost(k: i64, rows: Option<i64>) -> String {
    match rows {
        None => format!("migration {k} is `applied` but t_{k} does not exist"),
        Some(n) => format!("migration {k} is `applied` but t_{k} has {n} rows"),
    }
}

/// The rows of `t_1..=t_count`, `None` for a missing table.
async fn data(pool: &Pool, count: usize) -> Res<Vec<Option<i64>>> {
    let tables = pool.tables().await?;
    let mut out = Vec::with_capacity(count);
    for k in 1..=count {
        let name = format!("t_{k}");
        out.push(match tables.contains(&name) {
            true => Some(pool.int(&format!("SELECT COUNT(*) FROM {name}")).await?),
            false => None,
        });
    }
    Ok(out)
}

/// After a complete run of `count` migrations: each `applied` once, each table with its row.
pub async fn complete(pool: &Pool, count: usize) -> Res<Vec<(Violation, String)>> {
    let history = pool.history().await?;
    let mut out = Vec::new();
    let versions: Vec<i64> = history.iter().map(|(v, _, _)| *v).collect();
    if versions.iter().copied().ne(1..=count as i64) {
        let what = format!("the history has versions {versions:?}");
        out.push((Violation::Other, what));
    }
    for (v, status, _) in history.iter().filter(|(_, s, _)| s != "applied") {
        out.push((Violation::Other, format!("migration {v} is `{status}`")));
    }
    for (k, rows) in (1..).zip(data(pool, count).await?) {
        match rows {
            Some(1) => {}
            Some(n) if n > 1 => out.push((Violation::Other, format!("t_{k} has {n} rows"))),
            rows => out.push((Violation::DataLost, lost(k, rows))),
        }
    }
    Ok(out)
}
