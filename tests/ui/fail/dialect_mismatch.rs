static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/dialect_mismatch", dialect = "sqlite", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
