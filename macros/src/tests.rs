//! Tests of the macro outside a compiler: every bad input gives errors and a placeholder, never
//! a panic, and the saved analysis expands exactly as a fresh one.

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;

use crate::expand::{Env, migrations};

fn ui_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ui")
}

fn env_without_build_script() -> Env {
    Env {
        manifest_dir: Some(ui_dir()),
        var: Box::new(|_| None),
    }
}

fn expand(input: &str, env: &Env) -> String {
    let input: TokenStream = input.parse().unwrap();
    migrations(input, env).to_string()
}

/// The messages of the `compile_error!`s in an expansion.
fn errors(output: &str) -> Vec<String> {
    let tokens: TokenStream = output.parse().unwrap();
    let mut messages = Vec::new();
    collect_errors(tokens, &mut messages);
    messages
}

fn collect_errors(tokens: TokenStream, messages: &mut Vec<String>) {
    let mut after_compile_error = false;
    for tree in tokens {
        match tree {
            proc_macro2::TokenTree::Ident(i) => after_compile_error = i == "compile_error",
            proc_macro2::TokenTree::Group(g) if after_compile_error => {
                let lit: syn::LitStr = syn::parse2(g.stream()).unwrap();
                messages.push(lit.value());
                after_compile_error = false;
            }
            proc_macro2::TokenTree::Group(g) => collect_errors(g.stream(), messages),
            _ => {}
        }
    }
}

const FAILING: &[(&str, &str)] = &[
    ("misnamed", "[misnamed-migration]"),
    ("duplicate_version", "[duplicate-version]"),
    ("edited_locked", "[edited-locked-migration]"),
    ("deleted_locked", "[deleted-locked-migration]"),
    ("out_of_order", "[out-of-order-migration]"),
    ("strict_draft", "[draft-migration]"),
    ("data_loss", "[drop-column]"),
    ("unknown_directive", "[unknown-directive]"),
    ("concurrently", "[concurrently-in-transaction]"),
    ("missing_table", "[missing-table]"),
    ("missing_column", "[missing-column]"),
    ("non_utf8", "[non-utf8]"),
    ("schema_mismatch", "[schema-mismatch]"),
    ("schema_unreadable", "[schema-unreadable]"),
];

const PASSING: &[&str] = &[
    "valid",
    "acknowledged",
    "adopted",
    "crlf",
    "missing_build_script",
    "schema_agrees",
];

#[test]
fn every_fixture_is_covered() {
    for entry in std::fs::read_dir(ui_dir().join("fixtures")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            FAILING.iter().any(|(n, _)| *n == name)
                || PASSING.contains(&name.as_str())
                || name == "dialect_mismatch",
            "fixture `{name}` is not in FAILING or PASSING"
        );
    }
}

#[test]
fn failing_fixtures_give_located_errors_and_a_placeholder() {
    let env = env_without_build_script();
    for (name, code) in FAILING {
        let output = expand(&format!("\"fixtures/{name}\", build_script = false"), &env);
        let errors = errors(&output);
        assert!(
            errors.iter().any(|e| e.starts_with(code)),
            "{name}: expected {code} in {errors:#?}"
        );
        for e in &errors {
            assert!(!e.starts_with("error"), "{name}: doubled `error` in {e}");
            assert!(
                e.contains(&format!(" --> fixtures/{name}")),
                "{name}: no relative path in {e}"
            );
            assert!(
                !e.contains(&*ui_dir().to_string_lossy()),
                "{name}: absolute path in {e}"
            );
        }
        assert!(
            output.contains(":: driftless :: __private :: placeholder ()"),
            "{name}: no placeholder"
        );
        assert!(
            !output.contains("include_str"),
            "{name}: embedded despite errors"
        );
    }
}

#[test]
fn passing_fixtures_embed_every_migration() {
    let env = env_without_build_script();
    for name in PASSING {
        let output = expand(&format!("\"fixtures/{name}\", build_script = false"), &env);
        assert_eq!(errors(&output), Vec::<String>::new(), "{name}");
        let dir = ui_dir().join("fixtures").join(name);
        let sql_files = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                let path = e.as_ref().unwrap().path();
                // The declared schema is tracked (`include_bytes`), not embedded.
                path.extension().is_some_and(|x| x == "sql")
                    && path.file_name().is_some_and(|n| n != "schema.sql")
            })
            .count();
        assert_eq!(output.matches("include_str").count(), sql_files, "{name}");
        if dir.join("schema.sql").exists() {
            assert!(
                output.contains("schema.sql\")"),
                "{name}: schema.sql not tracked: {output}"
            );
        }
        assert!(output.contains("include_bytes"), "{name}: lock not tracked");
        assert!(output.contains("cfg ! (debug_assertions)"), "{name}");
    }
}

#[test]
fn bad_arguments_point_at_their_token() {
    let env = env_without_build_script();
    let cases: &[(&str, &str)] = &[
        ("", "expected the migrations folder"),
        ("migrations", "expected string literal"),
        ("\"\"", "the migrations folder is empty"),
        ("42", "expected string literal"),
        ("\"fixtures/valid\" \"x\"", "expected `,`"),
        (
            "\"fixtures/valid\", strict = true",
            "unknown argument `strict`",
        ),
        (
            "\"fixtures/valid\", dialect = \"oracle\"",
            "unknown dialect `oracle`",
        ),
        (
            "\"fixtures/valid\", dialect = sqlite",
            "expected string literal",
        ),
        (
            "\"fixtures/valid\", namespace = \"\"",
            "a namespace is a non-empty name",
        ),
        (
            "\"fixtures/valid\", namespace = \"a,b\"",
            "a namespace is a non-empty name",
        ),
        (
            "\"fixtures/valid\", build_script = \"no\"",
            "expected boolean literal",
        ),
        ("\"fixtures/valid\", build_script", "expected `=`"),
        (
            "\"fixtures/valid\", build_script = false, build_script = false",
            "`build_script` is given twice",
        ),
        (
            "\"fixtures/no_such_folder\", build_script = false",
            "no such directory",
        ),
        ("\"fixtures/valid\"", "[missing-build-script]"),
        (
            "\"fixtures/dialect_mismatch\", dialect = \"sqlite\", build_script = false",
            "[dialect-mismatch]",
        ),
    ];
    for (input, expected) in cases {
        let output = expand(input, &env);
        let errors = errors(&output);
        assert_eq!(errors.len(), 1, "{input}: {errors:#?}");
        assert!(errors[0].contains(expected), "{input}: {errors:#?}");
        assert!(output.contains("placeholder"), "{input}");
    }
    let no_manifest = Env {
        manifest_dir: None,
        var: Box::new(|_| None),
    };
    let errors = errors(&expand("\"fixtures/valid\"", &no_manifest));
    assert!(
        errors[0].contains("CARGO_MANIFEST_DIR is not set"),
        "{errors:?}"
    );
}

/// Runs the build helper on a copy of a fixture, then expands with its saved analysis.
#[test]
fn a_saved_analysis_expands_like_a_fresh_one_and_is_ignored_when_stale() {
    let root = std::env::temp_dir().join(format!("driftless-macro-saved-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dir = root.join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(ui_dir().join("fixtures/acknowledged")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let outcome = driftless_build::Watch::new("migrations").check(&root, &root);
    assert_eq!(outcome.stderr, "");
    let (name, path) = outcome
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("cargo:rustc-env="))
        .and_then(|l| l.split_once('='))
        .map(|(n, p)| (n.to_owned(), p.to_owned()))
        .unwrap();
    let saved_path = PathBuf::from(&path);
    let env_with = |value: Option<String>| {
        let name = name.clone();
        Env {
            manifest_dir: Some(root.clone()),
            var: Box::new(move |var| if var == name { value.clone() } else { None }),
        }
    };
    let fresh = expand("\"migrations\", build_script = false", &env_with(None));
    let saved = expand("\"migrations\"", &env_with(Some(path.clone())));
    assert_eq!(saved, fresh);

    // A saved analysis the macro cannot trust is never used: the folder is analysed instead.
    std::fs::write(&saved_path, "driftless-analysis 1\ngarbage").unwrap();
    assert_eq!(
        expand("\"migrations\"", &env_with(Some(path.clone()))),
        fresh
    );
    let missing = root.join("gone.txt").to_string_lossy().into_owned();
    assert_eq!(expand("\"migrations\"", &env_with(Some(missing))), fresh);

    // A stale one neither: after an edit that adds an error, the error shows.
    let outcome = driftless_build::Watch::new("migrations").check(&root, &root);
    assert_eq!(outcome.stderr, "");
    std::fs::write(
        dir.join("0003_truncate.sql"),
        "-- driftless: bogus\nSELECT 1;\n",
    )
    .unwrap();
    let errors = errors(&expand("\"migrations\"", &env_with(Some(path))));
    assert!(
        errors.iter().any(|e| e.starts_with("[unknown-directive]")
            && e.contains(" --> migrations/0003_truncate.sql:1:")),
        "{errors:#?}"
    );
    let _ = std::fs::remove_dir_all(&root);
}

/// With a build script, a folder with errors is left to the macro: the build script writes a
/// file that is not a saved analysis, and the macro reports each error at its call instead of
/// saying that no build script watches the folder.
#[test]
fn errors_the_build_script_left_are_reported_at_the_call() {
    let dir = ui_dir().join("fixtures/missing_column");
    let out = std::env::temp_dir().join(format!("driftless-macro-errors-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let outcome = driftless_build::Watch::new("fixtures/missing_column").check(&ui_dir(), &out);
    assert_eq!(outcome.stderr, "", "the build script must not fail");
    let (name, path) = outcome
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("cargo:rustc-env="))
        .and_then(|env| env.split_once('='))
        .map(|(n, p)| (n.to_owned(), p.to_owned()))
        .expect("the build script points the macro at its file");
    assert_eq!(name, driftless_build::env_var(&dir));
    let env = Env {
        manifest_dir: Some(ui_dir()),
        var: Box::new(move |var| (var == name).then(|| path.clone())),
    };
    let output = expand("\"fixtures/missing_column\"", &env);
    let errors = errors(&output);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("[missing-column]"), "{errors:?}");
    assert!(!errors[0].contains("missing-build-script"), "{errors:?}");
    let _ = std::fs::remove_dir_all(&out);
}
