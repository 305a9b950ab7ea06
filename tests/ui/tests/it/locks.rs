//! The fixtures' lock files are what the core's lock writer produces for them.
//!
//! `DRIFTLESS_BLESS=1 cargo test -p driftless-ui-tests --test it locks` rewrites them.

use driftless_core::Dialect;
use driftless_core::checksum::checksum;
use driftless_core::lockfile::{Entry, EntryState, LockFile};

use crate::fixtures_dir;

/// Where a locked entry's content comes from.
enum Locked {
    /// The file as it is in the fixture.
    File(&'static str),
    /// A file whose content at lock time was this text (since edited or deleted).
    Was(&'static str, &'static str),
}

use EntryState::{Adopted, Locked as L};
use Locked::{File, Was};

/// A fixture, its dialect and its locked entries.
type Spec = (&'static str, Dialect, Vec<(EntryState, u64, Locked)>);

fn specs() -> Vec<Spec> {
    let sqlite = Dialect::Sqlite;
    let postgres = Dialect::Postgres;
    let init = || (L, 1, File("0001_init.sql"));
    vec![
        ("valid", sqlite, vec![(L, 1, File("0001_create_users.sql"))]),
        (
            "acknowledged",
            sqlite,
            vec![
                (L, 1, File("0001_create_users.sql")),
                (L, 2, File("0002_drop_nickname.sql")),
            ],
        ),
        (
            "adopted",
            sqlite,
            vec![
                (Adopted, 20200101000000, File("20200101000000_init.sql")),
                (
                    Adopted,
                    20200202000000,
                    File("20200202000000_drop_flag.sql"),
                ),
            ],
        ),
        ("crlf", sqlite, vec![init()]),
        ("misnamed", sqlite, vec![init()]),
        ("duplicate_version", sqlite, vec![]),
        (
            "edited_locked",
            sqlite,
            vec![(L, 1, Was("0001_init.sql", "CREATE TABLE t (id INTEGER);\n"))],
        ),
        (
            "deleted_locked",
            sqlite,
            vec![
                init(),
                (
                    L,
                    2,
                    Was("0002_gone.sql", "CREATE TABLE gone (id INTEGER);\n"),
                ),
            ],
        ),
        (
            "out_of_order",
            sqlite,
            vec![init(), (L, 3, File("0003_more.sql"))],
        ),
        ("strict_draft", sqlite, vec![init()]),
        (
            "data_loss",
            sqlite,
            vec![(L, 1, File("0001_create_users.sql"))],
        ),
        ("unknown_directive", sqlite, vec![]),
        ("concurrently", postgres, vec![init()]),
        ("missing_table", sqlite, vec![init()]),
        ("missing_column", sqlite, vec![init()]),
        ("non_utf8", sqlite, vec![]),
        ("missing_build_script", sqlite, vec![init()]),
        ("dialect_mismatch", postgres, vec![init()]),
        (
            "schema_mismatch",
            sqlite,
            vec![(L, 1, File("0001_users.sql"))],
        ),
        (
            "schema_agrees",
            sqlite,
            vec![(L, 1, File("0001_users.sql"))],
        ),
        (
            "schema_unreadable",
            sqlite,
            vec![(L, 1, File("0001_users.sql"))],
        ),
    ]
}

/// The declared schema a fixture's lock file records, when it has one.
fn schema_lock(name: &str) -> Option<Locked> {
    match name {
        "schema_mismatch" | "schema_agrees" => Some(File("schema.sql")),
        "schema_unreadable" => Some(Was(
            "schema.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
        )),
        _ => None,
    }
}

#[test]
fn fixture_locks_come_from_the_lock_writer() {
    let bless = std::env::var_os("DRIFTLESS_BLESS").is_some();
    let specs = specs();
    for (name, dialect, entries) in &specs {
        let dir = fixtures_dir().join(name);
        let mut lock = LockFile::new(*dialect);
        for (state, version, content) in entries {
            let (path, checksum) = match content {
                File(path) => (*path, checksum(&std::fs::read(dir.join(path)).unwrap())),
                Was(path, text) => (*path, checksum(text.as_bytes())),
            };
            lock.entries.push(Entry {
                state: *state,
                version: *version,
                checksum,
                path: path.to_owned(),
            });
        }
        lock.schema = schema_lock(name).map(|content| match content {
            File(path) => (
                path.to_owned(),
                checksum(&std::fs::read(dir.join(path)).unwrap()),
            ),
            Was(path, text) => (path.to_owned(), checksum(text.as_bytes())),
        });
        let expected = lock.render();
        let file = dir.join("driftless.lock");
        if bless {
            std::fs::write(&file, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(&file).unwrap_or_default();
        assert_eq!(
            actual, expected,
            "{name}/driftless.lock is stale: run with DRIFTLESS_BLESS=1"
        );
    }
    // Every fixture folder has a spec, so none carries a hand-written lock file.
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            specs.iter().any(|(n, _, _)| *n == name),
            "fixture `{name}` has no lock spec"
        );
    }
}
