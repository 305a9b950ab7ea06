//! Part 2: 16 processes boot one fresh database at once with the same 30 migrations. All exit
//! 0, and each migration is applied exactly once.

use std::path::Path;

use crate::crash::complete;
use crate::db::{self, Backend, Ctx, Fresh, Res};
use crate::{Tally, Violation, spawn_child};

const PROCESSES: usize = 16;
const COUNT: usize = 30;

pub async fn run(backend: Backend, server: &str, repeats: usize, tally: &mut Tally) {
    let dir = match db::folder(backend, &db::numbered(COUNT, false), true) {
        Ok(dir) => dir,
        Err(e) => return tally.violation(Violation::Process, &format!("{backend} herd"), e),
    };
    for i in 1..=repeats {
        tally.herd += 1;
        let trial = format!("{backend} herd repeat {i}/{repeats}");
        let db = match Fresh::new(backend, server).await {
            Ok(db) => db,
            Err(e) => {
                tally.violation(Violation::Process, &trial, e);
                continue;
            }
        };
        if let Err(e) = repeat(&db, &dir, &trial, tally).await {
            tally.violation(Violation::Process, &trial, e);
        }
        db.drop().await;
    }
    db::remove_folder(&dir);
}

async fn repeat(db: &Fresh, dir: &Path, trial: &str, tally: &mut Tally) -> Res<()> {
    let children = (0..PROCESSES)
        .map(|_| spawn_child(db.pool.backend(), &db.url, dir))
        .collect::<Res<Vec<_>>>()?;
    let mut applied = 0;
    for (n, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().ctx("cannot wait for a child")?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        match stdout
            .trim()
            .strip_prefix("applied ")
            .map(str::parse::<usize>)
        {
            Some(Ok(count)) if out.status.success() => applied += count,
            _ => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let what = format!("process {n} exited with {}: {stderr}", out.status);
                tally.violation(Violation::Process, trial, what.trim_end());
            }
        }
    }
    if applied != COUNT {
        let what = format!("the processes applied {applied} migrations in all, not {COUNT}");
        tally.violation(Violation::Other, trial, what);
    }
    for (kind, what) in complete(&db.pool, COUNT).await? {
        tally.violation(kind, trial, what);
    }
    Ok(())
}
