// The declared schema and the migrations disagree: one error per difference, pointing at the
// declaration (and, for a change, at the migration that made the object).
static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/schema_mismatch", build_script = false);

fn main() {
    let _ = &MIGRATIONS;
}
