//! Part 4: injection payloads. As a history table, schema or namespace name they are refused
//! with `InvalidName` before anything is created; as a value that reaches the history through a
//! migration's error text, under the server settings that change how literals are read
//! (PostgreSQL `standard_conforming_strings = off`, MariaDB `NO_BACKSLASH_ESCAPES`), they are
//! stored as text and run nothing.

use driftless::{ErrorKind, Migrations};

use crate::db::{self, Backend, Ctx, Fresh, HISTORY, Pool, Res};
use crate::{Tally, Violation};

const PAYLOAD: &str = r"x\'; DROP TABLE victim; --";
const NAMES: [&str; 5] = [PAYLOAD, "a\"b", "a`b", r"a\b", "a\0b"];
const VICTIM: &str = "CREATE TABLE victim (id INTEGER);\nINSERT INTO victim VALUES (1);\n";

pub async fn run(backend: Backend, server: &str, tally: &mut Tally) {
    let trial = format!("{backend} inject names");
    if let Err(e) = names(backend, server, &trial, tally).await {
        tally.violation(Violation::Process, &trial, e);
    }
    for no_transaction in [false, true] {
        tally.inject += 1;
        let trial = format!("{backend} inject value (no-transaction: {no_transaction})");
        if let Err(e) = value(backend, server, no_transaction, &trial, tally).await {
            tally.violation(Violation::Process, &trial, e);
        }
    }
}

async fn names(backend: Backend, server: &str, trial: &str, tally: &mut Tally) -> Res<()> {
    let db = Fresh::new(backend, server).await?;
    let result = async {
        db.pool.exec(VICTIM).await?;
        let dir = db::folder(
            backend,
            &[("0001_t.sql".into(), "CREATE TABLE t (id INTEGER);\n".into())],
            false,
        )?;
        let m = Migrations::load(&dir).ctx("cannot load")?;
        db::remove_folder(&dir);
        for name in NAMES {
            let namespaced = m.clone().with_namespace(name);
            for (target, migrator) in [
                ("table", m.migrator().table(name)),
                ("schema", m.migrator().schema(name)),
                ("namespace", namespaced.migrator()),
            ] {
                tally.inject += 1;
                match db.pool.run(migrator.allow_drafts(true)).await {
                    Err(e) if e.kind() == ErrorKind::InvalidName => {}
                    other => {
                        let what = format!("{target} {name:?} was not refused: {other:?}");
                        tally.violation(Violation::Other, trial, what);
                    }
                }
            }
        }
        let tables = db.pool.tables().await?;
        if tables != ["victim"] {
            let what = format!("the database holds {tables:?}, not only `victim`");
            tally.violation(Violation::Other, trial, what);
        }
        if backend == Backend::Postgres {
            let schemas = db
                .pool
                .int(
                    "SELECT COUNT(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' \
                      AND nspname NOT IN ('public', 'information_schema')",
                )
                .await?;
            if schemas != 0 {
                tally.violation(
                    Violation::Other,
                    trial,
                    format!("{schemas} schemas were created"),
                );
            }
        }
        victim_survives(&db.pool, trial, tally).await
    }
    .await;
    db.drop().await;
    result
}

async fn victim_survives(pool: &Pool, trial: &str, tally: &mut Tally) -> Res<()> {
    match pool.int("SELECT COUNT(*) FROM victim").await {
        Ok(1) => Ok(()),
        other => {
            tally.violation(Violation::DataLost, trial, format!("victim: {other:?}"));
            Ok(())
        }
    }
}

/// A pool whose sessions read literals differently from the defaults.
async fn hostile_pool(db: &Fresh) -> Res<Pool> {
    match &db.pool {
        Pool::Pg(_) => {
            let name = db.url.rsplit('/').next().unwrap_or_default();
            let set = format!("ALTER DATABASE {name} SET standard_conforming_strings = off");
            db.pool.exec(&set).await?;
            Pool::connect(Backend::Postgres, &db.url).await
        }
        Pool::My(_) => {
            let options: sqlx::mysql::MySqlConnectOptions = db.url.parse().ctx("url")?;
            let pool = sqlx::mysql::MySqlPoolOptions::new()
                .after_connect(|c, _| {
                    Box::pin(async move {
                        let set =
                            "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')";
                        sqlx::raw_sql(set).execute(c).await.map(drop)
                    })
                })
                .connect_with(options)
                .await
                .ctx("cannot connect")?;
            Ok(Pool::My(pool))
        }
        Pool::Lite(_) => Ok(db.pool.clone()),
    }
}

async fn value(
    backend: Backend,
    server: &str,
    no_transaction: bool,
    trial: &str,
    tally: &mut Tally,
) -> Res<()> {
    let db = Fresh::new(backend, server).await?;
    let result = async {
        let pool = hostile_pool(&db).await?;
        let tables = format!("{VICTIM}CREATE TABLE vals (v VARCHAR(100));\n");
        let dir = db::folder(backend, &[("0001_tables.sql".into(), tables)], false)?;
        let m = Migrations::load(&dir).ctx("cannot load")?;
        pool.run(m.migrator().allow_drafts(true))
            .await
            .ctx("setup")?;
        let quoted = match backend {
            // standard_conforming_strings = off: a backslash escapes.
            Backend::Postgres => PAYLOAD.replace('\\', "\\\\").replace('\'', "''"),
            // NO_BACKSLASH_ESCAPES, and SQLite: only quotes double.
            _ => PAYLOAD.replace('\'', "''"),
        };
        pool.exec(&format!("INSERT INTO vals VALUES ('{quoted}')"))
            .await?;
        let stored = pool.texts("SELECT v FROM vals").await?;
        if stored != [PAYLOAD] {
            return Err(format!("the payload was stored as {stored:?}"));
        }
        // A failing statement whose error message carries the stored value.
        let failing = match backend {
            Backend::Postgres => "SELECT CAST(v AS INTEGER) FROM vals;\n",
            Backend::Mysql => "INSERT INTO victim (id) SELECT v FROM vals;\n",
            // SQLite quotes values in its own messages: raise the value itself.
            Backend::Sqlite => {
                "CREATE TRIGGER boom BEFORE INSERT ON victim \
                 BEGIN SELECT RAISE(ABORT, (SELECT v FROM vals)); END;\n\
                 INSERT INTO victim VALUES (2);\n"
            }
        };
        let head = if no_transaction {
            "-- driftless: no-transaction\n"
        } else {
            ""
        };
        std::fs::write(dir.join("0002_fail.sql"), format!("{head}{failing}")).ctx("write")?;
        let m = Migrations::load(&dir).ctx("cannot load")?;
        db::remove_folder(&dir);
        match pool.run(m.migrator().allow_drafts(true)).await {
            Err(e) if e.kind() == ErrorKind::MigrationFailed => {}
            other => {
                let what = format!("the failing migration did not fail: {other:?}");
                tally.violation(Violation::Other, trial, what);
            }
        }
        let error = pool
            .texts(&format!(
                "SELECT error FROM {HISTORY} WHERE namespace = '' AND version = 2"
            ))
            .await?;
        if !error.first().is_some_and(|e| e.contains(PAYLOAD)) {
            let what = format!("the history's error column does not hold the payload: {error:?}");
            tally.violation(Violation::Other, trial, what);
        }
        let survived = victim_survives(&pool, trial, tally).await;
        pool.close().await;
        survived
    }
    .await;
    db.drop().await;
    result
}
