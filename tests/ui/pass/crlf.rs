use driftless::Migrations;

// Statement ranges are byte ranges of the file as written, CRLF included.
static MIGRATIONS: Migrations = driftless::migrations!("fixtures/crlf", build_script = false);

fn main() {
    let m = &MIGRATIONS.migrations()[0];
    assert!(m.sql().contains("\r\n"));
    let statements: Vec<&str> = m.statement_sql().collect();
    assert_eq!(
        statements,
        ["CREATE TABLE t (id INTEGER PRIMARY KEY)", "CREATE TABLE u (id INTEGER PRIMARY KEY)"]
    );
}
