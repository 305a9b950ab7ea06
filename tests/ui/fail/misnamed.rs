static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/misnamed", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
