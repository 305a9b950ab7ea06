static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/out_of_order", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
