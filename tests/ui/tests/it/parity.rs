//! One verdict: the embedded value equals the run-time analysis field by field, and a failing
//! fixture's compile errors are the analysis's rendered errors.

use driftless::{Dialect, MigrationState, Migrations};
use driftless_core::{Analysis, Options};

use crate::fixtures_dir;

fn analyse(name: &str) -> Analysis {
    let folder = driftless_core::loader::load(&fixtures_dir().join(name)).unwrap();
    // The one fixture whose macro call passes an option.
    let dialect = (name == "dialect_mismatch").then_some(driftless_core::Dialect::Sqlite);
    driftless_core::analyze(
        &folder,
        &Options {
            dialect,
            strict: None,
        },
    )
}

fn assert_parity(name: &str, embedded: &Migrations) {
    // The runtime's loader (the `load` feature) builds the same value from the folder, plus the
    // down files it keeps for reverting (the macro embeds none).
    let loaded = Migrations::load(fixtures_dir().join(name)).unwrap();
    assert!(
        loaded.has_down_files() && !embedded.has_down_files(),
        "{name}"
    );
    assert_eq!(embedded, &loaded.__without_down_files(), "{name}");
    // And field by field against the core's analysis, so a shared mistake in both conversions
    // shows too.
    let analysis = analyse(name);
    assert!(!analysis.has_errors(), "{name}");
    let dialect = match analysis.dialect.unwrap() {
        driftless_core::Dialect::Postgres => Dialect::Postgres,
        driftless_core::Dialect::Mysql => Dialect::Mysql,
        driftless_core::Dialect::Sqlite => Dialect::Sqlite,
    };
    assert_eq!(embedded.dialect(), dialect, "{name}");
    assert_eq!(embedded.namespace(), "", "{name}");
    assert_eq!(embedded.debug_assertions(), cfg!(debug_assertions));
    assert_eq!(
        embedded.migrations().len(),
        analysis.migrations.len(),
        "{name}"
    );
    let consent_creates = analysis.consent_creates();
    for (index, (e, a)) in embedded
        .migrations()
        .iter()
        .zip(&analysis.migrations)
        .enumerate()
    {
        assert_eq!(e.version(), a.version, "{name}");
        assert_eq!(e.description(), a.description, "{name}");
        assert_eq!(e.path(), a.path, "{name}");
        assert_eq!(e.sql(), a.sql, "{name}");
        assert_eq!(e.checksum(), &a.checksum, "{name}");
        let state = match a.state {
            driftless_core::MigrationState::Draft => MigrationState::Draft,
            driftless_core::MigrationState::Locked => MigrationState::Locked,
            driftless_core::MigrationState::Adopted => MigrationState::Adopted,
        };
        assert_eq!(e.state(), state, "{name}");
        assert_eq!(e.is_transactional(), a.transactional, "{name}");
        let ranges: Vec<_> = e.statement_ranges().collect();
        let expected: Vec<_> = a.statements.iter().map(|s| s.range.clone()).collect();
        assert_eq!(ranges, expected, "{name}");
        let lossy: Vec<_> = a
            .statements
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.hazards.iter().map(move |h| (i, h)))
            .filter(|(_, h)| h.is_data_loss())
            .collect();
        assert_eq!(e.hazards().len(), lossy.len(), "{name}");
        for (eh, (i, h)) in e.hazards().zip(lossy) {
            assert_eq!(eh.statement(), i, "{name}");
            assert_eq!(eh.code(), h.code.as_str(), "{name}");
            assert_eq!(eh.object().to_string(), h.object.to_string(), "{name}");
            assert_eq!(eh.message(), h.message, "{name}");
            assert_eq!(
                eh.empty_table().map(ToString::to_string),
                h.empty_table.as_ref().map(ToString::to_string),
                "{name}"
            );
        }
        let creates: Vec<String> = e.creates().iter().map(ToString::to_string).collect();
        let expected: Vec<String> = consent_creates[index]
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(creates, expected, "{name}");
        let renames: Vec<String> = e
            .renames()
            .iter()
            .map(|(to, from)| format!("{to} <- {from}"))
            .collect();
        let expected: Vec<String> = a
            .renames
            .iter()
            .map(|(to, from)| format!("{to} <- {from}"))
            .collect();
        assert_eq!(renames, expected, "{name}");
    }
}

#[test]
fn embedded_values_equal_the_run_time_analysis() {
    assert_parity(
        "valid",
        &driftless::migrations!("fixtures/valid", build_script = false),
    );
    assert_parity(
        "acknowledged",
        &driftless::migrations!("fixtures/acknowledged", build_script = false),
    );
    assert_parity(
        "adopted",
        &driftless::migrations!("fixtures/adopted", build_script = false),
    );
    assert_parity(
        "crlf",
        &driftless::migrations!("fixtures/crlf", build_script = false),
    );
}

/// The compile errors blessed in `fail/*.stderr` are the analysis's errors, rendered as
/// `driftless check fixtures/<name>` renders them, each after rustc's `error: `.
#[test]
fn compile_errors_are_the_rendered_diagnostics() {
    let ui = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for entry in std::fs::read_dir(ui.join("fail")).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".rs"))
        else {
            continue;
        };
        if !fixtures_dir().join(name).is_dir() || name == "missing_build_script" {
            continue;
        }
        let stderr = std::fs::read_to_string(path.with_extension("stderr")).unwrap();
        let analysis = analyse(name);
        let written = format!("fixtures/{name}");
        let mut errors = 0;
        for d in analysis.errors() {
            let rendered = analysis.render(d, &written);
            let message = rendered.strip_prefix("error").unwrap().trim_end();
            // rustc indents a message's continuation lines under `error: `.
            let expected: String = message
                .lines()
                .enumerate()
                .map(|(i, line)| {
                    let prefix = if i == 0 { "error: " } else { "       " };
                    format!("{}\n", format!("{prefix}{line}").trim_end())
                })
                .collect();
            assert!(
                stderr.contains(&expected),
                "{name}: the compile error differs from\n{rendered}\nin\n{stderr}"
            );
            errors += 1;
        }
        assert!(errors > 0, "{name}: the analysis has no error");
        assert_eq!(
            stderr.matches("\nerror: [").count() + usize::from(stderr.starts_with("error: [")),
            errors,
            "{name}"
        );
        checked += 1;
    }
    assert!(checked >= 12, "only {checked} fixtures checked");
}
