//! Tests of the embedded value beyond compile errors: fixture locks, parity with the run-time
//! analysis, and rebuilds after a new migration.

mod locks;
mod parity;
mod rebuild;

fn fixtures_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}
