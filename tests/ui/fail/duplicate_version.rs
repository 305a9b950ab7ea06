static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/duplicate_version", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
