static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/edited_locked", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
