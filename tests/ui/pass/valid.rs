use driftless::{Dialect, MigrationState, Migrations};

// Usable in a `static`, a `const` and a function body alike.
static STATIC: Migrations = driftless::migrations!("fixtures/valid", build_script = false);
const CONST: Migrations =
    driftless::migrations!("fixtures/valid", namespace = "my_lib", build_script = false);

fn main() {
    let local = driftless::migrations!("fixtures/valid", dialect = "sqlite", build_script = false);
    assert_eq!(local, STATIC);
    assert_eq!(STATIC.namespace(), "");
    assert_eq!(CONST.namespace(), "my_lib");
    assert_eq!(STATIC.dialect(), Dialect::Sqlite);
    assert_eq!(STATIC.debug_assertions(), cfg!(debug_assertions));
    let versions: Vec<u64> = STATIC.migrations().iter().map(|m| m.version()).collect();
    assert_eq!(versions, [1, 2]);
    let [first, second] = STATIC.migrations() else { unreachable!() };
    assert_eq!(first.path(), "0001_create_users.sql");
    assert_eq!(first.description(), "create_users");
    assert_eq!(first.state(), MigrationState::Locked);
    assert_eq!(second.state(), MigrationState::Draft);
    assert!(first.is_transactional());
    assert_eq!(first.sql(), include_str!("../fixtures/valid/0001_create_users.sql"));
    let statements: Vec<&str> = second.statement_sql().collect();
    assert_eq!(statements.len(), 2);
    assert!(statements[1].starts_with("CREATE INDEX posts_user_id"));
    assert_eq!(second.hazards().count(), 0);
    // driftless.toml's externs are embedded: drift never reports them.
    assert_eq!(STATIC.externs().collect::<Vec<_>>(), ["legacy_audit"]);
}
