//! The analysis of whole folders: verdicts, locking, directives, adoption.

use super::*;
use crate::lock::{LockRequest, lock};

/// Diagnostics as `severity code file:line`, errors and warnings only.
fn summary(a: &Analysis) -> Vec<String> {
    a.diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .map(|d| {
            let place = match (&d.file, &d.range) {
                (Some(f), Some(r)) => {
                    let line = a
                        .source(f)
                        .map_or(0, |s| crate::diagnostic::Position::of(s, r.start).line);
                    format!("{f}:{line}")
                }
                (Some(f), None) => f.clone(),
                _ => "-".into(),
            };
            format!("{} {} {place}", d.severity.as_str(), d.code)
        })
        .collect()
}

fn check(folder: &Folder, options: &Options, expect: &[&str]) -> Analysis {
    let a = analyze(folder, options);
    assert_eq!(summary(&a), expect, "{:#?}", a.diagnostics);
    a
}

/// Locks the fixture (sqlite), then applies `edit` to the files.
fn locked(fixture: &str, edit: impl FnOnce(&mut Folder)) -> Folder {
    let mut folder = Folder::from_fixture(fixture);
    let outcome = lock(
        &folder,
        &LockRequest {
            dialect: Some(Dialect::Sqlite),
            ..Default::default()
        },
    )
    .unwrap_or_else(|a| panic!("{:#?}", a.diagnostics));
    folder.files.push(crate::folder::File {
        path: "driftless.lock".into(),
        content: outcome.lock.render().into_bytes(),
    });
    edit(&mut folder);
    folder.files.sort_by(|a, b| a.path.cmp(&b.path));
    folder
}

const TWO: &str = "-- file: 0001_init.sql\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n-- file: 0002_email.sql\nALTER TABLE users ADD COLUMN email TEXT;\n";

fn set(folder: &mut Folder, path: &str, content: &str) {
    folder.files.retain(|f| f.path != path);
    folder.files.push(crate::folder::File {
        path: path.into(),
        content: content.as_bytes().to_vec(),
    });
}

#[test]
fn a_locked_folder_is_clean_and_states_are_recorded() {
    let folder = locked(TWO, |f| {
        set(f, "0003_more.sql", "CREATE TABLE t (id INTEGER);\n")
    });
    let a = check(&folder, &Options::default(), &[]);
    let states: Vec<_> = a.migrations.iter().map(|m| (m.version, m.state)).collect();
    assert_eq!(
        states,
        [
            (1, MigrationState::Locked),
            (2, MigrationState::Locked),
            (3, MigrationState::Draft)
        ]
    );
    assert_eq!(a.dialect, Some(Dialect::Sqlite));
    // Strict mode makes the draft an error.
    check(
        &folder,
        &Options {
            strict: Some(true),
            ..Default::default()
        },
        &["error draft-migration 0003_more.sql"],
    );
    let mut strict = folder.clone();
    set(&mut strict, "driftless.toml", "strict = true\n");
    check(
        &strict,
        &Options::default(),
        &["error draft-migration 0003_more.sql"],
    );
}

#[test]
fn edited_deleted_and_out_of_order() {
    let edited = locked(TWO, |f| {
        set(
            f,
            "0002_email.sql",
            "ALTER TABLE users ADD COLUMN mail TEXT;\n",
        )
    });
    check(
        &edited,
        &Options::default(),
        &["error edited-locked-migration 0002_email.sql:1"],
    );
    // Line endings do not count as an edit.
    let crlf = locked(TWO, |f| {
        set(
            f,
            "0002_email.sql",
            "ALTER TABLE users ADD COLUMN email TEXT;\r\n",
        )
    });
    check(&crlf, &Options::default(), &[]);
    let deleted = locked(TWO, |f| f.files.retain(|f| f.path != "0002_email.sql"));
    check(
        &deleted,
        &Options::default(),
        &["error deleted-locked-migration driftless.lock:5"],
    );
    let late = locked(TWO, |f| set(f, "0001_5_x.sql", "SELECT 1;\n"));
    // `0001_5_x.sql` is version 1: a duplicate; a true out-of-order file sorts between.
    assert!(
        summary(&analyze(&late, &Options::default()))
            .iter()
            .any(|s| s.contains("duplicate-version"))
    );
    let mut gap = Folder::from_fixture(&TWO.replace("0002_email", "0005_email"));
    let outcome = lock(
        &gap,
        &LockRequest {
            dialect: Some(Dialect::Sqlite),
            ..Default::default()
        },
    )
    .unwrap();
    set(&mut gap, "driftless.lock", &outcome.lock.render());
    set(&mut gap, "0003_between.sql", "SELECT 1;\n");
    check(
        &gap,
        &Options::default(),
        &["error out-of-order-migration 0003_between.sql"],
    );
}

#[test]
fn dialect_comes_from_the_lock_file() {
    let folder = Folder::from_fixture(TWO);
    check(&folder, &Options::default(), &["error missing-dialect -"]);
    check(
        &folder,
        &Options {
            dialect: Some(Dialect::Sqlite),
            ..Default::default()
        },
        &[],
    );
    let folder = locked(TWO, |_| {});
    check(
        &folder,
        &Options {
            dialect: Some(Dialect::Postgres),
            ..Default::default()
        },
        &["error dialect-mismatch driftless.lock"],
    );
    let mut broken = folder.clone();
    let text = String::from_utf8(broken.get("driftless.lock").unwrap().content.clone()).unwrap();
    set(
        &mut broken,
        "driftless.lock",
        &text.replace("locked 2", "locked 3"),
    );
    check(
        &broken,
        &Options::default(),
        &["error corrupt-lock-file driftless.lock:1"],
    );
}

#[test]
fn non_utf8_and_empty_files() {
    let mut folder = Folder::from_fixture(TWO);
    folder.files.push(crate::folder::File {
        path: "0003_bad.sql".into(),
        content: b"SELECT '\xff';\n".to_vec(),
    });
    set(&mut folder, "0004_empty.sql", "-- nothing yet\n");
    folder.files.sort_by(|a, b| a.path.cmp(&b.path));
    check(
        &folder,
        &Options {
            dialect: Some(Dialect::Sqlite),
            ..Default::default()
        },
        &[
            "error non-utf8 0003_bad.sql:1",
            "warning empty-migration 0004_empty.sql",
        ],
    );
}

#[test]
fn lock_refuses_what_it_would_hide() {
    // An edited locked migration is re-hashed only when named.
    let edited = locked(TWO, |f| {
        set(
            f,
            "0002_email.sql",
            "ALTER TABLE users ADD COLUMN mail TEXT;\n",
        )
    });
    let refused = lock(&edited, &LockRequest::default()).unwrap_err();
    assert!(
        refused
            .diagnostics
            .iter()
            .any(|d| d.code == Code::EditedLockedMigration)
    );
    let ok = lock(
        &edited,
        &LockRequest {
            rehash: vec![2],
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(ok.rehashed, [2]);
    // No dialect, no lock.
    assert!(lock(&Folder::from_fixture(TWO), &LockRequest::default()).is_err());
    // A contradicting dialect is an error, not an override.
    let folder = locked(TWO, |_| {});
    assert!(
        lock(
            &folder,
            &LockRequest {
                dialect: Some(Dialect::Mysql),
                ..Default::default()
            }
        )
        .is_err()
    );
    // Locking twice locks nothing new.
    let again = lock(&folder, &LockRequest::default()).unwrap();
    assert!(again.locked.is_empty());
}

#[test]
fn transaction_control_in_a_transactional_migration() {
    let sqlite = Options {
        dialect: Some(Dialect::Sqlite),
        ..Default::default()
    };
    let folder =
        Folder::from_fixture("-- file: 1_a.sql\nBEGIN;\nCREATE TABLE a (id INTEGER);\nCOMMIT;\n");
    check(
        &folder,
        &sqlite,
        &[
            "warning transaction-control 1_a.sql:1",
            "warning transaction-control 1_a.sql:3",
        ],
    );
    // Near misses: a no-transaction file manages its own; a trigger body is not a transaction.
    let own = Folder::from_fixture(
        "-- file: 1_a.sql\n-- driftless: no-transaction\nBEGIN;\nCREATE TABLE a (id INTEGER);\nCOMMIT;\n",
    );
    check(&own, &sqlite, &[]);
    let body = Folder::from_fixture(
        "-- file: 1_a.sql\nCREATE TABLE a (id INTEGER);\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE a SET id = id;\nEND;\n",
    );
    check(&body, &sqlite, &[]);
}

#[test]
fn unseen_data_changes_are_denied_until_acknowledged() {
    let pg = Options {
        dialect: Some(Dialect::Postgres),
        ..Default::default()
    };
    let denied = Folder::from_fixture(
        "-- file: 1_a.sql\nCREATE TABLE a (id int);\n-- file: 2_b.sql\nDO $$ BEGIN DELETE FROM a; END $$;\nSELECT archive_a();\n",
    );
    let a = check(
        &denied,
        &pg,
        &[
            "error opaque-data-change 2_b.sql:1",
            "error opaque-data-change 2_b.sql:2",
        ],
    );
    let help = a.diagnostics[0].help.as_deref().unwrap();
    assert!(help.contains("allow opaque-data-change"), "{help}");
    // Acknowledged: notes, and still data-loss hazards the runtime asks consent for.
    let acknowledged = Folder::from_fixture(
        "-- file: 1_a.sql\nCREATE TABLE a (id int);\n-- file: 2_b.sql\n\
         -- driftless: allow opaque-data-change: the block only empties a scratch table\n\
         DO $$ BEGIN DELETE FROM a; END $$;\n\
         -- driftless: allow opaque-data-change: archive_a moves rows, checked by hand\n\
         SELECT archive_a();\n",
    );
    let a = check(&acknowledged, &pg, &[]);
    let hazards: Vec<_> = a.migrations[1]
        .statements
        .iter()
        .flat_map(|s| &s.hazards)
        .collect();
    assert_eq!(hazards.len(), 2);
    assert!(
        hazards
            .iter()
            .all(|h| h.is_data_loss() && h.empty_table.is_none())
    );
}

#[test]
fn allows_match_their_scope_and_code() {
    let pg = Options {
        dialect: Some(Dialect::Postgres),
        ..Default::default()
    };
    // A file-level and a statement-level allow of the same hazard are both used; an allow of
    // another statement or another code is not, and a hazard nobody allowed stays an error.
    let folder = Folder::from_fixture(
        "-- file: 1_a.sql\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\nCREATE TABLE c (id int);\n\
         -- file: 2_b.sql\n-- driftless: allow drop-table: all of them are empty\n\n\
         -- driftless: allow drop-table: a is empty\nDROP TABLE a;\n\
         -- driftless: allow truncate: wrong code\nDROP TABLE b;\n\
         -- driftless: allow drop-column: nothing here\nCREATE TABLE d (id int);\n\
         -- file: 3_c.sql\nDROP TABLE c;\n",
    );
    check(
        &folder,
        &pg,
        &[
            "warning unused-allow 2_b.sql:5",
            "warning unused-allow 2_b.sql:7",
            "error drop-table 3_c.sql:1",
        ],
    );
}

#[test]
fn unused_allow_and_unparsed_statements() {
    let pg = Options {
        dialect: Some(Dialect::Postgres),
        ..Default::default()
    };
    let stale = Folder::from_fixture(
        "-- file: 1_a.sql\nCREATE TABLE a (id int);\n-- driftless: allow drop-table: it is empty\nCREATE TABLE b (id int);\n",
    );
    check(&stale, &pg, &["warning unused-allow 1_a.sql:2"]);
    // Near miss: the allow covers a real hazard.
    let used = Folder::from_fixture(
        "-- file: 1_a.sql\nCREATE TABLE a (id int);\n-- file: 2_b.sql\n-- driftless: allow drop-table: it is empty\nDROP TABLE a;\n",
    );
    let a = check(&used, &pg, &[]);
    assert_eq!(
        a.migrations[1].statements[0].hazards[0].code,
        Code::DropTable
    );
    // An unparsed statement is recorded as a note (allowed by default), and `warn` shows it.
    let opaque = "-- file: 1_a.sql\nDO $$ BEGIN PERFORM 1; END $$;\n";
    let a = check(&Folder::from_fixture(opaque), &pg, &[]);
    assert!(a.migrations[0].statements[0].opaque);
    assert!(
        a.diagnostics
            .iter()
            .any(|d| d.code == Code::UnparsedStatement && d.severity == Severity::Note)
    );
    let mut shown = Folder::from_fixture(opaque);
    shown.files.push(crate::folder::File {
        path: "driftless.toml".into(),
        content: b"[lints]\nunparsed-statement = \"warn\"\n".to_vec(),
    });
    check(&shown, &pg, &["warning unparsed-statement 1_a.sql:1"]);
}

#[test]
fn only_creates_a_later_hazard_names_are_embedded() {
    let folder = Folder::from_fixture(
        "-- file: 1_a.sql\nCREATE TABLE a (id INTEGER, b TEXT);\nCREATE TABLE keep (id INTEGER);\n\
         -- file: 2_b.sql\nALTER TABLE a ADD COLUMN c TEXT;\nCREATE TABLE other (id INTEGER);\n\
         -- file: 3_c.sql\n-- driftless: allow drop-column: unused\nALTER TABLE a DROP COLUMN c;\n",
    );
    let a = analyze(
        &folder,
        &Options {
            dialect: Some(Dialect::Sqlite),
            ..Default::default()
        },
    );
    let names: Vec<Vec<String>> = a
        .consent_creates()
        .iter()
        .map(|cs| cs.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(
        names,
        [vec!["a".to_owned()], vec!["a.c".to_owned()], vec![]]
    );
}

#[test]
fn bom_keeps_offsets_and_checksum() {
    let mut folder = Folder::from_fixture(TWO);
    set(
        &mut folder,
        "0003_bom.sql",
        "\u{feff}CREATE TABLE b (id INTEGER);\n",
    );
    let a = check(
        &folder,
        &Options {
            dialect: Some(Dialect::Sqlite),
            ..Default::default()
        },
        &[],
    );
    let m = &a.migrations[2];
    assert_eq!(
        &m.sql[m.statements[0].range.clone()],
        "CREATE TABLE b (id INTEGER)"
    );
    assert_eq!(
        m.checksum,
        crate::checksum::checksum(b"CREATE TABLE b (id INTEGER);\n")
    );
}
