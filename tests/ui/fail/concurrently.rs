static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/concurrently", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
