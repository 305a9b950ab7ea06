//! Property: no folder content makes the analysis (or rendering its diagnostics, or `lock`)
//! panic, in any dialect. Hostile input comes from `support/hostile.rs`, which the `fuzz`
//! example also loops over for as long as asked:
//! `cargo run --release -p driftless-core --example fuzz -- <seconds>`.
//!
//! The default case count keeps this to a few seconds in a debug build; `PROPTEST_CASES=10000`
//! raises it.

mod support;

use proptest::prelude::*;
use proptest::test_runner::Config;

/// 64 cases unless `PROPTEST_CASES` says otherwise.
fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    Config {
        cases,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn analysis_never_panics((dialect, folder) in support::hostile::folder()) {
        support::hostile::exercise(dialect, &folder);
    }

    /// The statement splitter and directive parser alone, on more and shorter inputs.
    #[test]
    fn splitting_never_panics(sql in support::hostile::sql()) {
        for dialect in driftless_core::Dialect::ALL {
            let split = driftless_core::split::split(&sql, dialect);
            let ranges: Vec<_> = split.statements().collect();
            for r in &ranges {
                prop_assert!(sql.get(r.clone()).is_some(), "{r:?}");
            }
            let _ = driftless_core::directive::parse(&sql, &split.comments, &ranges);
        }
    }
}
