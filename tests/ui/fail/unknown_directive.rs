static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/unknown_directive", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
