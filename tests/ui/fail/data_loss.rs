static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/data_loss", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
