use driftless::{MigrationState, Migrations, ObjectKind};

static MIGRATIONS: Migrations = driftless::migrations!("fixtures/acknowledged", build_script = false);

fn main() {
    let drop = &MIGRATIONS.migrations()[1];
    assert_eq!(drop.state(), MigrationState::Locked);
    let hazards: Vec<_> = drop.hazards().collect();
    assert_eq!(hazards.len(), 1);
    assert_eq!(hazards[0].code(), "drop-column");
    assert_eq!(hazards[0].object().kind(), ObjectKind::Column);
    assert_eq!(hazards[0].object().to_string(), "users.nickname");
    assert_eq!(hazards[0].empty_table().map(|t| t.to_string()).as_deref(), Some("users"));
}
