//! Keeps the embedded migrations fresh: re-analyses only when the folder changes.
fn main() {
    driftless_build::watch("migrations");
}
