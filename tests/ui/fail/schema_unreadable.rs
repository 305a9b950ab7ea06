// A declared schema the analysis cannot read is one clear error that points into it.
static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/schema_unreadable", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
