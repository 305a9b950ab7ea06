use driftless::{MigrationState, Migrations};

// An adopted history: its old unacknowledged DROP COLUMN is a warning, still a hazard to consent to.
static MIGRATIONS: Migrations = driftless::migrations!("fixtures/adopted", build_script = false);

fn main() {
    let states: Vec<MigrationState> = MIGRATIONS.migrations().iter().map(|m| m.state()).collect();
    assert_eq!(
        states,
        [MigrationState::Adopted, MigrationState::Adopted, MigrationState::Draft]
    );
    let codes: Vec<&str> = MIGRATIONS.migrations()[1].hazards().map(|h| h.code()).collect();
    assert_eq!(codes, ["drop-column"]);
}
