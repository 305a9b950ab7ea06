// Without `build_script = false` the macro expects `driftless_build::watch` in build.rs, which
// trybuild's generated project does not have.
static MIGRATIONS: driftless::Migrations = driftless::migrations!("fixtures/missing_build_script");

fn main() {
    let _ = &MIGRATIONS;
}
