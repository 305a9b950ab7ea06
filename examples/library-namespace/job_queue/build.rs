//! Keeps the embedded migrations fresh: each folder is re-analysed only when it changes.
fn main() {
    driftless_build::watch("migrations/sqlite");
    driftless_build::watch("migrations/postgres");
}
