//! UI tests: every failure mode of `migrations!` is a compile error that points into the SQL.
#[test]
fn ui() {
    driftless_ui_tests::link_fixtures(env!("CARGO_TARGET_TMPDIR"));
    let t = trybuild::TestCases::new();
    t.compile_fail("fail/*.rs");
    t.pass("pass/*.rs");
}
