static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/missing_table", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
