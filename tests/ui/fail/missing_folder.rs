static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/no_such_folder", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
