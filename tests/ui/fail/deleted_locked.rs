static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/deleted_locked", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
