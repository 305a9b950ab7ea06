//! The reliability suite (issue 7): the runtime against every configured backend, in four parts.
//!
//! 1. `crash`: kill -9 at random points of a run of 200 migrations, then check the database
//!    against its history and boot again as an operator would.
//! 2. `herd`: 16 processes booting one fresh database at once.
//! 3. `bypass`: a corpus of migrations that try to lose rows with only an acknowledgement.
//! 4. `inject`: hostile names and values.
//!
//! `reliability full` prints the figures per backend; `reliability smoke` is the bounded version
//! that `cargo test` runs (`tests/it/reliability.rs`). SQLite always runs; PostgreSQL and MariaDB
//! when `DRIFTLESS_TEST_POSTGRES_URL` / `DRIFTLESS_TEST_MYSQL_URL` are set (required under
//! `CI=true`). Any violation makes the exit status non-zero.

mod bypass;
mod crash;
mod db;
mod herd;
mod inject;

use std::collections::BTreeMap;
use std::fmt;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use db::{Backend, Pool, Res};

/// How many trials of the repeated parts.
#[derive(Debug, Clone, Copy)]
struct Size {
    /// Kills per backend and mode.
    crash: usize,
    /// Concurrent boots per backend.
    herd: usize,
}

const SMOKE: Size = Size { crash: 3, herd: 2 };
const FULL: Size = Size {
    crash: 50,
    herd: 20,
};

/// What went wrong in a trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Violation {
    /// Rows the history says are there are not, or a refusal still lost rows.
    DataLost,
    /// The next boot timed out on the lock of a killed process.
    LockLeft,
    /// A migration lost rows with neither a refusal for consent nor a build error.
    Bypass,
    /// A child process or a harness step failed.
    Process,
    /// Anything else the runtime promises: the history agrees with the data, a refusal has the
    /// right kind and names its repair, a migration runs once.
    Other,
}

/// The trials and violations of one backend.
#[derive(Debug, Default)]
struct Tally {
    crash: usize,
    herd: usize,
    corpus: usize,
    inject: usize,
    violations: Vec<(Violation, String)>,
    /// Figures that are not violations (how trials ended), counted by label.
    outcomes: BTreeMap<String, usize>,
    notes: Vec<String>,
    /// How long each part took.
    laps: Vec<String>,
}

impl Tally {
    fn violation(&mut self, kind: Violation, trial: &str, what: impl fmt::Display) {
        let line = format!("{trial}: {what}");
        eprintln!("VIOLATION ({kind:?}) {line}");
        self.violations.push((kind, line));
    }

    fn count(&self, kind: Violation) -> usize {
        self.violations.iter().filter(|(k, _)| *k == kind).count()
    }

    /// Notes the time a part took since `lap`, and starts the next lap.
    fn lap(&mut self, part: &str, lap: &mut Instant) {
        self.laps.push(format!("{part} {:.1?}", lap.elapsed()));
        *lap = Instant::now();
    }

    fn outcome(&mut self, label: &str) {
        *self.outcomes.entry(label.to_owned()).or_default() += 1;
    }
}

/// xorshift64*: reproducible kill points from the printed seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e3779b97f4a7c15) | 1)
    }

    /// A number in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545f4914f6cdd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size = match args.first().map(String::as_str) {
        Some("child-migrate") => return child_migrate(&args[1..]).await,
        Some("smoke") => SMOKE,
        Some("full") => FULL,
        _ => return usage(),
    };
    let seed = match args.get(1..) {
        Some([flag, seed]) if flag == "--seed" => match seed.parse() {
            Ok(seed) => seed,
            Err(_) => return usage(),
        },
        Some([]) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
        _ => return usage(),
    };
    suite(&args[0], size, seed).await
}

fn usage() -> ExitCode {
    eprintln!("usage: reliability smoke|full [--seed N]");
    ExitCode::from(2)
}

/// `child-migrate <backend> <url> <dir>`: what a service does at boot. Prints `applied N`.
async fn child_migrate(args: &[String]) -> ExitCode {
    let [backend, url, dir] = args else {
        return usage();
    };
    let Some(backend) = Backend::parse(backend) else {
        return usage();
    };
    let run = async {
        let pool = Pool::connect(backend, url).await?;
        let m = driftless::Migrations::load(dir).map_err(|e| e.to_string())?;
        let report = pool.run(m.migrator()).await;
        report.map_err(|e| format!("{:?}: {e}", e.kind()))
    };
    match run.await {
        Ok(report) => {
            println!("applied {}", report.applied.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Starts `child-migrate` on a database.
fn spawn_child(backend: Backend, url: &str, dir: &std::path::Path) -> Res<std::process::Child> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this binary: {e}"))?;
    std::process::Command::new(exe)
        .arg("child-migrate")
        .arg(backend.name())
        .arg(url)
        .arg(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start a child process: {e}"))
}

/// Runs every configured backend, the three at once: each waits on its own server.
async fn suite(mode: &str, size: Size, seed: u64) -> ExitCode {
    println!("reliability {mode}: seed {seed} (rerun with `-- {mode} --seed {seed}`)");
    let start = Instant::now();
    let tasks: Vec<_> = (0..)
        .zip(Backend::ALL)
        .map(|(i, backend)| (backend, tokio::spawn(one_backend(backend, size, seed ^ i))))
        .collect();
    let mut rows = Vec::new();
    for (backend, task) in tasks {
        match task.await {
            Ok(Some(row)) => rows.push(row),
            Ok(None) => {}
            Err(e) => {
                let mut tally = Tally::default();
                tally.violation(Violation::Process, backend.name(), e);
                rows.push((backend, tally, start.elapsed()));
            }
        }
    }
    report(&rows, start.elapsed())
}

/// The four parts on one backend; `None` when it is skipped.
async fn one_backend(
    backend: Backend,
    size: Size,
    seed: u64,
) -> Option<(Backend, Tally, Duration)> {
    let start = Instant::now();
    let mut tally = Tally::default();
    match backend.server() {
        Ok(None) => return None,
        Err(e) => tally.violation(Violation::Process, backend.name(), e),
        Ok(Some(server)) => {
            let mut rng = Rng::new(seed);
            let mut lap = Instant::now();
            crash::run(backend, &server, size.crash, &mut rng, &mut tally).await;
            tally.lap("crash", &mut lap);
            herd::run(backend, &server, size.herd, &mut tally).await;
            tally.lap("herd", &mut lap);
            bypass::run(backend, &server, &mut tally).await;
            tally.lap("bypass", &mut lap);
            inject::run(backend, &server, &mut tally).await;
            tally.lap("inject", &mut lap);
        }
    }
    Some((backend, tally, start.elapsed()))
}

/// Prints the table of figures and the violations; fails on any violation.
fn report(rows: &[(Backend, Tally, Duration)], wall: Duration) -> ExitCode {
    println!(
        "\n{:<9} {:>6} {:>5} {:>7} {:>7} {:>5} {:>6} {:>9} {:>8} {:>6} {:>8}",
        "backend",
        "crash",
        "herd",
        "bypass",
        "inject",
        "lost",
        "locks",
        "bypasses",
        "process",
        "other",
        "wall"
    );
    println!(
        "{:<9} {:>6} {:>5} {:>7} {:>7} {:>5} {:>6} {:>9} {:>8} {:>6} {:>8}",
        "", "trials", "runs", "cases", "trials", "", "left", "", "errors", "", ""
    );
    for (backend, t, wall) in rows {
        println!(
            "{:<9} {:>6} {:>5} {:>7} {:>7} {:>5} {:>6} {:>9} {:>8} {:>6} {:>7.1}s",
            backend.name(),
            t.crash,
            t.herd,
            t.corpus,
            t.inject,
            t.count(Violation::DataLost),
            t.count(Violation::LockLeft),
            t.count(Violation::Bypass),
            t.count(Violation::Process),
            t.count(Violation::Other),
            wall.as_secs_f64()
        );
    }
    for (backend, t, _) in rows.iter().filter(|(_, t, _)| !t.laps.is_empty()) {
        let outcomes: Vec<String> = t.outcomes.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!("\n{backend}: parts took {}", t.laps.join(", "));
        println!("{backend}: {}", outcomes.join(", "));
        for note in &t.notes {
            println!("{backend}: {note}");
        }
    }
    println!(
        "\nwall time {:.1}s (the backends run at once)",
        wall.as_secs_f64()
    );
    let violations: Vec<&String> = rows
        .iter()
        .flat_map(|(_, t, _)| t.violations.iter().map(|(_, v)| v))
        .collect();
    if violations.is_empty() {
        println!("\nno violations");
        return ExitCode::SUCCESS;
    }
    println!("\n{} violation(s):", violations.len());
    for v in violations {
        println!("- {v}");
    }
    ExitCode::FAILURE
}
