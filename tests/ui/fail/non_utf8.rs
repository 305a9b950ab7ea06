static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/non_utf8", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
