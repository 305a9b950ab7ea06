//! `Migrator::revert_to` against real databases: down files, consent, refusals, and the
//! history each engine keeps while a down file runs.

use driftless::{ErrorKind, Migrations};

use crate::common::*;
use crate::on_all;

const USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(100));\n";
const POSTS: &str = "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER);\n";
const TAGS: &str = "CREATE TABLE tags (id INTEGER);\n";

on_all! {
    revert_needs_consent_then_migrate_reapplies => revert_needs_consent_then_migrate_reapplies;
    empty_tables_need_no_consent_and_the_row_goes_with_the_down_file =>
        empty_tables_need_no_consent_and_the_row_goes_with_the_down_file;
    a_missing_down_file_stops_the_revert_before_anything_runs =>
        a_missing_down_file_stops_the_revert_before_anything_runs;
    a_failing_down_file_is_rolled_back_or_recorded => a_failing_down_file_is_rolled_back_or_recorded;
    a_release_build_reverts_only_when_told => a_release_build_reverts_only_when_told;
    consent_follows_the_table_through_down_files => consent_follows_the_table_through_down_files;
}

/// `[(version, consent)]` of a revert, in the order it ran.
fn reverted(report: &driftless::RevertReport) -> Vec<(u64, bool)> {
    report
        .reverted
        .iter()
        .map(|r| (r.version, r.consent))
        .collect()
}

async fn revert_needs_consent_then_migrate_reapplies(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(
        kind,
        &[
            ("1_users.up.sql", USERS),
            ("1_users.down.sql", "DROP TABLE users;\n"),
            ("2_posts.up.sql", POSTS),
            ("2_posts.down.sql", "DROP TABLE posts;\n"),
            ("3_tags.up.sql", TAGS),
            ("3_tags.down.sql", "DROP TABLE tags;\n"),
        ],
        true,
    );
    let m = load(&dir);
    assert!(m.has_down_files());
    assert_eq!(m.down_path(2), Some("2_posts.down.sql"));
    db.pool.run(m.migrator()).await.unwrap();
    db.pool
        .exec("INSERT INTO posts (id, user_id) VALUES (1, 1)")
        .await;

    // `posts` has a row: its down file needs consent. `tags` is empty and needs none, but a
    // refusal reverts nothing, not even what could have run.
    let err = db.pool.revert(m.migrator(), 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConsentRequired, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("2 (2_posts.down.sql)") && text.contains("posts"),
        "{text}"
    );
    assert!(text.contains("--consent 2"), "{text}");
    assert!(!text.contains("3 (3_tags.down.sql)"), "{text}");
    assert!(db.pool.has_table("tags").await);
    assert!(db.pool.has_table("posts").await);
    assert_eq!(db.pool.status(&m).await.applied, [1, 2, 3]);
    // Consent names the version it is for: consent for 3 does not cover 2.
    let err = db
        .pool
        .revert(m.migrator().consent("3"), 1)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConsentRequired, "{err}");

    let report = db.pool.revert(m.migrator().consent("2"), 1).await.unwrap();
    assert_eq!(reverted(&report), [(3, false), (2, true)]);
    assert_eq!(report.reverted[1].down, "2_posts.down.sql");
    assert_eq!(report.reverted[1].statements, 1);
    assert!(!db.pool.has_table("posts").await);
    assert!(!db.pool.has_table("tags").await);
    assert!(db.pool.has_table("users").await);
    let rows = db
        .pool
        .int("SELECT COUNT(*) FROM _driftless_migrations WHERE namespace = '' AND version >= 2")
        .await;
    assert_eq!(rows, 0, "the reverted migrations' rows are gone");
    let status = db.pool.status(&m).await;
    assert_eq!(status.applied, [1]);
    assert_eq!(status.pending, [2, 3]);
    assert!(!status.needs_attention(), "{status:?}");

    // Nothing newer than 1 is applied now: nothing to revert.
    let again = db.pool.revert(m.migrator(), 1).await.unwrap();
    assert!(again.reverted.is_empty());

    // The reverted migrations are pending: the next run applies them again.
    let report = db.pool.run(m.migrator()).await.unwrap();
    assert_eq!(
        report.applied.iter().map(|a| a.version).collect::<Vec<_>>(),
        [2, 3]
    );
    assert_eq!(db.pool.int("SELECT COUNT(*) FROM posts").await, 0);
    assert!(db.pool.run(m.migrator()).await.unwrap().applied.is_empty());
    db.drop_db().await;
}

async fn empty_tables_need_no_consent_and_the_row_goes_with_the_down_file(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    // The down file records, while it runs, what its migration's history row says.
    let down = "CREATE TABLE seen AS SELECT status, statements_done FROM _driftless_migrations \
                WHERE namespace = '' AND version = 2;\nDROP TABLE posts;\n";
    let dir = folder(
        kind,
        &[
            ("1_users.up.sql", USERS),
            ("1_users.down.sql", "DROP TABLE users;\n"),
            ("2_posts.up.sql", POSTS),
            ("2_posts.down.sql", down),
        ],
        true,
    );
    let m = load(&dir);
    db.pool.run(m.migrator()).await.unwrap();
    let report = db.pool.revert(m.migrator(), 1).await.unwrap();
    assert_eq!(reverted(&report), [(2, false)]);
    assert_eq!(report.reverted[0].statements, 2);
    assert!(!db.pool.has_table("posts").await);
    let seen = db.pool.text("SELECT status FROM seen").await;
    if kind == Kind::Mysql {
        // DDL commits implicitly: the row said a revert was running before the first
        // statement, so a crash would have left it visible.
        assert_eq!(seen.as_deref(), Some("running"));
    } else {
        // One transaction: the row is deleted with the down file's statements.
        assert_eq!(seen.as_deref(), Some("applied"));
    }
    assert_eq!(db.pool.status(&m).await.pending, [2]);
    db.pool.exec("DROP TABLE seen").await;
    assert_eq!(db.pool.run(m.migrator()).await.unwrap().applied.len(), 1);
    db.drop_db().await;
}

async fn a_missing_down_file_stops_the_revert_before_anything_runs(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(
        kind,
        &[
            ("1_users.up.sql", USERS),
            ("1_users.down.sql", "DROP TABLE users;\n"),
            ("2_posts.up.sql", POSTS),
            ("3_tags.up.sql", TAGS),
            ("3_tags.down.sql", "DROP TABLE tags;\n"),
        ],
        true,
    );
    let m = load(&dir);
    db.pool.run(m.migrator()).await.unwrap();
    let err = db.pool.revert(m.migrator(), 0).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoDownFile, "{err}");
    assert!(err.to_string().contains("2 (2_posts.up.sql)"), "{err}");
    // Migration 3, newer and with a down file, did not run.
    assert!(db.pool.has_table("tags").await);
    assert_eq!(db.pool.status(&m).await.applied, [1, 2, 3]);
    // Reverting only what has down files works.
    let report = db.pool.revert(m.migrator(), 2).await.unwrap();
    assert_eq!(reverted(&report), [(3, false)]);

    // An embedded value (built like the macro's) carries no down files at all.
    let folder_files = driftless_core::loader::load(&dir).unwrap();
    let analysis = driftless_core::analyze(&folder_files, &driftless_core::Options::default());
    let embedded = Migrations::from_analysis(&analysis, "");
    assert!(!embedded.has_down_files());
    let err = db.pool.revert(embedded.migrator(), 0).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoDownFile, "{err}");
    db.drop_db().await;

    // The flat layout has no down files: the revert names the migration.
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let flat = folder(
        kind,
        &[("0001_users.sql", USERS), ("0002_posts.sql", POSTS)],
        true,
    );
    let m = load(&flat);
    db.pool.run(m.migrator()).await.unwrap();
    let err = db.pool.revert(m.migrator(), 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoDownFile, "{err}");
    assert!(err.to_string().contains("2 (0002_posts.sql)"), "{err}");
    assert!(db.pool.has_table("posts").await);
    db.drop_db().await;
}

async fn a_failing_down_file_is_rolled_back_or_recorded(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let up = "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER);\n\
              CREATE TABLE extra (id INTEGER);\n";
    // A duplicate key at statement 3: valid SQL, failing only on the database.
    let down = "DROP TABLE extra;\nINSERT INTO posts (id) VALUES (1);\n\
                INSERT INTO posts (id) VALUES (1);\n";
    let dir = folder(
        kind,
        &[
            ("1_users.up.sql", USERS),
            ("1_users.down.sql", "DROP TABLE users;\n"),
            ("2_posts.up.sql", up),
            ("2_posts.down.sql", down),
        ],
        true,
    );
    let m = load(&dir);
    db.pool.run(m.migrator()).await.unwrap();
    let err = db.pool.revert(m.migrator(), 1).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::MigrationFailed, "{err}");
    if kind == Kind::Mysql {
        // Statements 1 and 2 committed: the row says the revert failed, and where.
        assert!(err.to_string().contains("statement 3 of 3"), "{err}");
        assert!(!db.pool.has_table("extra").await);
        assert_eq!(db.pool.row_status(2).await, "failed");
        let status = db.pool.status(&m).await;
        assert_eq!(status.failed.len(), 1, "{status:?}");
        let (version, _, done, total, error) = &status.failed[0];
        assert_eq!((*version, *done, *total), (2, 2, 3));
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("2_posts.down.sql")),
            "{error:?}"
        );
        // Nothing runs until an operator resolves it.
        let blocked = db.pool.run(m.migrator()).await.unwrap_err();
        assert_eq!(blocked.kind(), ErrorKind::FailedMigration, "{blocked}");
    } else {
        // Rolled back whole: the migration stays applied and nothing of the down file stayed.
        assert!(err.to_string().contains("rolled back"), "{err}");
        assert!(db.pool.has_table("extra").await);
        assert_eq!(db.pool.int("SELECT COUNT(*) FROM posts").await, 0);
        assert_eq!(db.pool.row_status(2).await, "applied");
        assert!(db.pool.run(m.migrator()).await.unwrap().applied.is_empty());
        assert_eq!(db.pool.status(&m).await.applied, [1, 2]);
    }
    db.drop_db().await;
}

async fn a_release_build_reverts_only_when_told(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    let dir = folder(
        kind,
        &[
            ("1_users.up.sql", USERS),
            ("1_users.down.sql", "DROP TABLE users;\n"),
        ],
        true,
    );
    let release = load(&dir).__with_debug_assertions(false);
    db.pool.run(release.migrator()).await.unwrap();
    let err = db.pool.revert(release.migrator(), 0).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ReleaseRevert, "{err}");
    assert!(err.kind().is_refusal());
    assert!(db.pool.has_table("users").await);
    let report = db
        .pool
        .revert(release.migrator().allow_release_revert(true), 0)
        .await
        .unwrap();
    assert_eq!(reverted(&report), [(1, false)]);
    assert!(!db.pool.has_table("users").await);
    assert_eq!(db.pool.status(&release).await.pending, [1]);
    db.drop_db().await;
}

async fn consent_follows_the_table_through_down_files(kind: Kind) {
    let Some(db) = TestDb::new(kind).await else {
        return;
    };
    // Reverting to 0 runs 2's down file (members becomes users again), then 1's, which drops
    // `users`: the table that is called `members` before the revert.
    let dir = folder(
        kind,
        &[
            ("1_users.up.sql", USERS),
            ("1_users.down.sql", "DROP TABLE users;\n"),
            ("2_rename.up.sql", "ALTER TABLE users RENAME TO members;\n"),
            (
                "2_rename.down.sql",
                "ALTER TABLE members RENAME TO users;\n",
            ),
        ],
        true,
    );
    let m = load(&dir);
    db.pool.run(m.migrator()).await.unwrap();
    db.pool
        .exec("INSERT INTO members (id, name) VALUES (1, 'a')")
        .await;
    // `members` has a row: dropping it needs consent for 1 (checking a `users` table would
    // find none and refuse for the wrong reason; emptiness below tells them apart).
    let err = db.pool.revert(m.migrator(), 0).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConsentRequired, "{err}");
    assert!(err.to_string().contains("1 (1_users.down.sql)"), "{err}");
    assert!(db.pool.has_table("members").await);
    // Empty, the same table needs no consent: the check read `members`, the name it has now.
    db.pool.exec("DELETE FROM members").await;
    let report = db.pool.revert(m.migrator(), 0).await.unwrap();
    assert_eq!(reverted(&report), [(2, false), (1, false)]);
    assert!(!db.pool.has_table("members").await);
    assert!(!db.pool.has_table("users").await);
    assert_eq!(db.pool.status(&m).await.pending, [1, 2]);
    db.drop_db().await;
}
