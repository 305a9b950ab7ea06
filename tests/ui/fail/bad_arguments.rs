// Each mistake is reported at its own token.
static NO_PATH: driftless::Migrations = driftless::migrations!();
static NOT_A_STRING: driftless::Migrations = driftless::migrations!(migrations);
static UNKNOWN: driftless::Migrations =
    driftless::migrations!("fixtures/valid", build_script = false, strict = true);
static TWICE: driftless::Migrations =
    driftless::migrations!("fixtures/valid", build_script = false, build_script = false);
static DIALECT: driftless::Migrations =
    driftless::migrations!("fixtures/valid", build_script = false, dialect = "oracle");
static NAMESPACE: driftless::Migrations =
    driftless::migrations!("fixtures/valid", build_script = false, namespace = "a:b");
static NOT_A_BOOL: driftless::Migrations =
    driftless::migrations!("fixtures/valid", build_script = "no");

fn main() {
    let _ = (&NO_PATH, &NOT_A_STRING, &UNKNOWN, &TWICE, &DIALECT, &NAMESPACE, &NOT_A_BOOL);
}
