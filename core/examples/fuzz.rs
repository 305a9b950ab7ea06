//! Stress loop over the analysis: `cargo run --release -p driftless-core --example fuzz -- 60`
//! analyses random hostile folders (the generators of the `fuzz` proptest) for 60 seconds.
//!
//! It stops with the input saved under `target/fuzz/` if the analysis panics, reports (and saves)
//! every input slower than 1 s per 100 KB (at least 100 ms), and prints how many folders it
//! analysed. A second argument fixes the seed, to replay a run.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use driftless_core::Folder;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = match args.next().map(|a| a.parse()) {
        None => 10,
        Some(Ok(s)) => s,
        Some(Err(_)) => {
            eprintln!("usage: fuzz [seconds] [seed]");
            std::process::exit(2);
        }
    };
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz");
    println!("fuzzing the analysis for {seconds} s, seed {seed}");

    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(seed));
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let strategy = support::hostile::folder();
    // Silence the default hook while an analysis runs: a panic is reported below, with its input.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut runs, mut bytes, mut slow) = (0u64, 0u64, 0u64);
    let mut slowest = (Duration::ZERO, 0usize);
    let started = Instant::now();
    while Instant::now() < deadline {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let (dialect, folder) = tree.current();
        let size: usize = folder.files.iter().map(|f| f.content.len()).sum();
        let start = Instant::now();
        let outcome = std::panic::catch_unwind(|| support::hostile::exercise(dialect, &folder));
        let elapsed = start.elapsed();
        runs += 1;
        bytes += size as u64;
        if let Err(panic) = outcome {
            std::panic::set_hook(default_hook);
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            let dir = save(&out, &format!("panic-{runs}"), &folder, dialect);
            eprintln!("PANIC after {runs} runs ({dialect}): {message}\ninput saved in {dir}");
            std::process::exit(1);
        }
        // 1 s per 100 KB, and at least 100 ms (thread start and a noisy machine).
        let limit = Duration::from_secs_f64((size.max(10 * 1024) as f64) / (100.0 * 1024.0));
        if elapsed > limit {
            slow += 1;
            let dir = save(&out, &format!("slow-{runs}"), &folder, dialect);
            println!(
                "SLOW: {} KB took {:.0} ms ({dialect}), saved in {dir}",
                size / 1024,
                elapsed.as_secs_f64() * 1e3
            );
        }
        if elapsed > slowest.0 {
            slowest = (elapsed, size);
        }
    }
    let total = started.elapsed().as_secs_f64();
    println!(
        "{runs} folders ({:.1} MB) in {total:.1} s: {:.0} executions/s; slowest {:.1} ms for {} KB; {slow} slow; no panic",
        bytes as f64 / 1e6,
        runs as f64 / total,
        slowest.0.as_secs_f64() * 1e3,
        slowest.1 / 1024,
    );
    if slow > 0 {
        std::process::exit(1);
    }
}

fn seed_bytes(seed: u64) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(
            &(seed
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(i as u32 * 16)
                ^ i as u64)
                .to_le_bytes(),
        );
    }
    bytes
}

/// Writes the folder to `out/name/` (with its dialect in `DIALECT`) for `driftless check`.
fn save(
    out: &std::path::Path,
    name: &str,
    folder: &Folder,
    dialect: driftless_core::Dialect,
) -> String {
    let dir = out.join(name);
    let result = (|| -> std::io::Result<()> {
        for file in &folder.files {
            let path = dir.join(&file.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, &file.content)?;
        }
        std::fs::write(dir.join("DIALECT"), dialect.as_str())
    })();
    match result {
        Ok(()) => dir.display().to_string(),
        Err(e) => format!("(nowhere: {e})"),
    }
}
