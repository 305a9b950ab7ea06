// The migrations make the declared schema (TEXT and VARCHAR(200) have the same SQLite
// affinity): it compiles, and the declared schema is not a migration.
static MIGRATIONS: driftless::Migrations =
    driftless::migrations!("fixtures/schema_agrees", build_script = false);

fn main() {
    let versions: Vec<u64> = MIGRATIONS.migrations().iter().map(|m| m.version()).collect();
    assert_eq!(versions, [1]);
}
