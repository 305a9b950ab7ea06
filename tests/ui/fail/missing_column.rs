static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/missing_column", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
