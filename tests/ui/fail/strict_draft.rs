static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/strict_draft", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
