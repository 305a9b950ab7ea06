//! Part 3: the consent-bypass corpus. Each case applies migrations, inserts rows, then adds
//! pending migrations that try to lose them while only acknowledging in the file. A case passes
//! when the run is refused with `ConsentRequired` and the rows are intact, or when
//! `Migrations::load` refuses the folder (the analysis makes it a build error). Rows lost with
//! neither is a bypass.

use driftless::{ErrorKind, Migrations};

use crate::db::{self, Backend, Fresh, Pool};
use crate::{Tally, Violation};

/// The table every case starts from, and its row.
const T: &str = "CREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR(20));\n";
const ROW: &str = "INSERT INTO t VALUES (1, 'keep')";
const INTACT: &str = "SELECT COUNT(*) FROM t WHERE v = 'keep'";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The rows exist: refused for consent, or refused at load.
    Refused,
    /// The table is empty: the migration runs without consent.
    Runs,
}

struct Case {
    name: &'static str,
    /// Migrations applied first, then `rows` is inserted.
    setup: Vec<String>,
    rows: String,
    /// The migrations that try to lose the rows.
    pending: Vec<String>,
    /// A query answering 1 while the rows are intact (an error counts as lost).
    intact: String,
    namespace: &'static str,
    consent: Option<&'static str>,
    expect: Expect,
}

/// A case on `t` with its row, refused unless the analysis or the runtime misses it.
fn case(name: &'static str, pending: &[&str]) -> Case {
    Case {
        name,
        setup: vec![T.to_owned()],
        rows: ROW.to_owned(),
        pending: pending.iter().map(|s| (*s).to_owned()).collect(),
        intact: INTACT.to_owned(),
        namespace: "",
        consent: None,
        expect: Expect::Refused,
    }
}

/// A case whose setup also creates the table `other`, for triggers.
fn with_other(name: &'static str, pending: &str) -> Case {
    Case {
        setup: vec![format!("{T}CREATE TABLE other (id INTEGER);\n")],
        ..case(name, &[pending])
    }
}

fn cases(backend: Backend) -> Vec<Case> {
    let (pg, my, lite) = (
        backend == Backend::Postgres,
        backend == Backend::Mysql,
        backend == Backend::Sqlite,
    );
    let mut cases = vec![
        case(
            "rename then drop, one migration",
            &["ALTER TABLE t RENAME TO t_old;\n\
               -- driftless: allow drop-table: corpus\nDROP TABLE t_old;\n"],
        ),
        case(
            "rename then drop, two migrations",
            &[
                "-- driftless: allow rename-table: corpus\nALTER TABLE t RENAME TO t_old;\n",
                "-- driftless: allow drop-table: corpus\nDROP TABLE t_old;\n",
            ],
        ),
        case(
            "name reused across a run",
            &[
                "CREATE TABLE x (id INTEGER);\n",
                "-- driftless: allow drop-table: corpus\nDROP TABLE x;\n\
                 ALTER TABLE t RENAME TO x;\n",
                "-- driftless: allow drop-table: corpus\nDROP TABLE x;\n",
            ],
        ),
        case(
            "rename column then drop it, one migration",
            &["ALTER TABLE t RENAME COLUMN v TO w;\n\
               -- driftless: allow drop-column: corpus\nALTER TABLE t DROP COLUMN w;\n"],
        ),
        case(
            "rename column then drop it, two migrations",
            &[
                "-- driftless: allow rename-column: corpus\nALTER TABLE t RENAME COLUMN v TO w;\n",
                "-- driftless: allow drop-column: corpus\nALTER TABLE t DROP COLUMN w;\n",
            ],
        ),
        case(
            "DELETE without WHERE",
            &["-- driftless: allow delete-without-where: corpus\nDELETE FROM t;\n"],
        ),
        case(
            "DELETE WHERE true",
            &["-- driftless: allow delete-without-where: corpus\nDELETE FROM t WHERE true;\n"],
        ),
        case(
            "DELETE WHERE 1 = 1",
            &["-- driftless: allow delete-without-where: corpus\nDELETE FROM t WHERE 1 = 1;\n"],
        ),
        case(
            "UPDATE without WHERE",
            &["-- driftless: allow update-without-where: corpus\nUPDATE t SET v = 'gone';\n"],
        ),
        case(
            "UPDATE WHERE 1 = 1",
            &["-- driftless: allow update-without-where: corpus\n\
               UPDATE t SET v = 'gone' WHERE 1 = 1;\n"],
        ),
        case(
            "rebuild that copies no row",
            &[
                "CREATE TABLE t_new (id INTEGER PRIMARY KEY, v VARCHAR(20));\n\
               INSERT INTO t_new SELECT * FROM t WHERE id < 0;\n\
               -- driftless: allow drop-table: corpus\nDROP TABLE t;\n\
               ALTER TABLE t_new RENAME TO t;\n",
            ],
        ),
        Case {
            namespace: "lib",
            consent: Some("2"),
            ..case(
                "bare consent `2` used for namespace `lib`",
                &["-- driftless: allow drop-table: corpus\nDROP TABLE t;\n"],
            )
        },
    ];
    // A table named with quotes and backslashes: consent when it has rows, none when empty.
    let weird = match backend {
        Backend::Mysql => r#"`we``i"r'd\t`"#,
        _ => r#""we""i'rd\t""#,
    };
    for (name, rows, expect) in [
        (
            "odd name, with a row",
            format!("INSERT INTO {weird} VALUES (1)"),
            Expect::Refused,
        ),
        ("odd name, empty", String::new(), Expect::Runs),
    ] {
        cases.push(Case {
            name,
            setup: vec![format!("CREATE TABLE {weird} (id INTEGER);\n")],
            rows,
            pending: vec![format!(
                "-- driftless: allow drop-table: corpus\nDROP TABLE {weird};\n"
            )],
            intact: format!("SELECT COUNT(*) FROM {weird}"),
            expect,
            ..case(name, &[])
        });
    }
    if !pg {
        cases.push(case(
            "DELETE WHERE 1",
            &["-- driftless: allow delete-without-where: corpus\nDELETE FROM t WHERE 1;\n"],
        ));
        cases.push(case(
            "REPLACE INTO",
            &["-- driftless: allow update-without-where: corpus\n\
               REPLACE INTO t VALUES (1, 'gone');\n"],
        ));
    }
    if !lite {
        cases.push(case(
            "TRUNCATE",
            &["-- driftless: allow truncate: corpus\nTRUNCATE TABLE t;\n"],
        ));
    }
    if pg {
        cases.extend([
            case(
                "SET SCHEMA then drop",
                &[
                    "CREATE SCHEMA archive;\nALTER TABLE t SET SCHEMA archive;\n\
                   -- driftless: allow drop-table: corpus\nDROP TABLE archive.t;\n",
                ],
            ),
            Case {
                setup: vec!["CREATE SCHEMA s;\nCREATE TABLE s.t (v VARCHAR(20));\n".to_owned()],
                rows: "INSERT INTO s.t VALUES ('keep')".to_owned(),
                intact: "SELECT COUNT(*) FROM s.t WHERE v = 'keep'".to_owned(),
                ..case(
                    "DROP SCHEMA CASCADE",
                    &["-- driftless: allow drop-schema: corpus\nDROP SCHEMA s CASCADE;\n"],
                )
            },
            case(
                "DO block",
                &["-- driftless: allow drop-table: corpus\nDO $$ BEGIN DROP TABLE t; END $$;\n"],
            ),
            case(
                "DO block, EXECUTE of a built string",
                &["-- driftless: allow drop-table: corpus\n\
                   DO $$ BEGIN EXECUTE 'DROP ' || 'TABLE ' || 't'; END $$;\n"],
            ),
            case(
                "function call",
                &[
                    "CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS 'DELETE FROM t';\n\
                   -- driftless: allow delete-without-where: corpus\nSELECT wipe();\n",
                ],
            ),
            case(
                "procedure CALL",
                &[
                    "CREATE PROCEDURE wipe() LANGUAGE sql AS $$ DELETE FROM t $$;\n\
                   -- driftless: allow delete-without-where: corpus\nCALL wipe();\n",
                ],
            ),
            case(
                "PREPARE / EXECUTE",
                &["PREPARE wipe AS DELETE FROM t;\n\
                   -- driftless: allow delete-without-where: corpus\nEXECUTE wipe;\n"],
            ),
            case(
                "WITH d AS (DELETE ...)",
                &["-- driftless: allow delete-without-where: corpus\n\
                   WITH d AS (DELETE FROM t RETURNING id) SELECT COUNT(*) FROM d;\n"],
            ),
            case(
                "type change USING NULL",
                &["-- driftless: allow lossy-type-change: corpus\n\
                   ALTER TABLE t ALTER COLUMN v TYPE VARCHAR(20) USING NULL;\n"],
            ),
            with_other(
                "trigger fired by the migration",
                "CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN DELETE FROM t; RETURN NEW; END $$;\n\
                 CREATE TRIGGER wipe AFTER INSERT ON other FOR EACH ROW EXECUTE FUNCTION wipe();\n\
                 -- driftless: allow delete-without-where: corpus\nINSERT INTO other VALUES (1);\n",
            ),
        ]);
    }
    if my {
        cases.extend([
            case(
                "RENAME TABLE then drop",
                &["RENAME TABLE t TO t_old;\n\
                   -- driftless: allow drop-table: corpus\nDROP TABLE t_old;\n"],
            ),
            case(
                "function call",
                &["CREATE FUNCTION wipe() RETURNS INT MODIFIES SQL DATA \
                   BEGIN DELETE FROM t; RETURN 1; END;\n\
                   -- driftless: allow delete-without-where: corpus\nSELECT wipe();\n"],
            ),
            case(
                "CALL",
                &["CREATE PROCEDURE wipe() BEGIN DELETE FROM t; END;\n\
                   -- driftless: allow delete-without-where: corpus\nCALL wipe();\n"],
            ),
            case(
                "PREPARE / EXECUTE",
                &["PREPARE wipe FROM 'DELETE FROM t';\n\
                   -- driftless: allow delete-without-where: corpus\nEXECUTE wipe;\n"],
            ),
            case(
                "PREPARE / EXECUTE of a built string",
                &[
                    "SET @s = CONCAT('DROP ', 'TABLE ', 't');\nPREPARE st FROM @s;\n\
                   -- driftless: allow drop-table: corpus\nEXECUTE st;\n",
                ],
            ),
            case(
                "DELETE ... LIMIT",
                &["-- driftless: allow delete-without-where: corpus\nDELETE FROM t LIMIT 1000;\n"],
            ),
            with_other(
                "trigger fired by the migration",
                "CREATE TRIGGER wipe AFTER INSERT ON other FOR EACH ROW DELETE FROM t;\n\
                 -- driftless: allow delete-without-where: corpus\nINSERT INTO other VALUES (1);\n",
            ),
        ]);
    }
    if lite {
        cases.extend([
            case(
                "PRAGMA writable_schema",
                &["PRAGMA writable_schema = ON;\n\
                   -- driftless: allow drop-table: corpus\n\
                   DELETE FROM sqlite_master WHERE type = 'table' AND name = 't';\n\
                   PRAGMA writable_schema = OFF;\n"],
            ),
            with_other(
                "trigger fired by the migration",
                "CREATE TRIGGER wipe AFTER INSERT ON other BEGIN DELETE FROM t; END;\n\
                 -- driftless: allow delete-without-where: corpus\nINSERT INTO other VALUES (1);\n",
            ),
        ]);
    }
    cases
}

pub async fn run(backend: Backend, server: &str, tally: &mut Tally) {
    for case in cases(backend) {
        tally.corpus += 1;
        let trial = format!("{backend} bypass `{}`", case.name);
        let db = match Fresh::new(backend, server).await {
            Ok(db) => db,
            Err(e) => {
                tally.violation(Violation::Process, &trial, e);
                continue;
            }
        };
        match attempt(&db, backend, &case).await {
            Ok(Passed::Refused) => tally.outcome("corpus refused for consent"),
            Ok(Passed::Ran) => tally.outcome("corpus ran (empty table)"),
            Ok(Passed::Load(why)) => {
                tally.outcome("corpus refused at load");
                tally
                    .notes
                    .push(format!("`{}` refused at load: {why}", case.name));
            }
            Err((kind, what)) => tally.violation(kind, &trial, what),
        }
        db.drop().await;
    }
}

enum Passed {
    Refused,
    Ran,
    /// Refused at load, with the first diagnostic.
    Load(String),
}

async fn attempt(db: &Fresh, backend: Backend, case: &Case) -> Result<Passed, (Violation, String)> {
    let process = |e: String| (Violation::Process, e);
    let numbered = |from: usize, files: &[String], what: &str| -> Vec<(String, String)> {
        files
            .iter()
            .enumerate()
            .map(|(i, sql)| (format!("{:04}_{what}.sql", from + i), sql.clone()))
            .collect()
    };
    let dir = db::folder(backend, &numbered(1, &case.setup, "setup"), false).map_err(process)?;
    let load =
        |dir: &std::path::Path| Migrations::load(dir).map(|m| m.with_namespace(case.namespace));
    let setup = load(&dir).map_err(|e| process(format!("the setup does not load: {e}")))?;
    let applied = db.pool.run(setup.migrator().allow_drafts(true)).await;
    applied.map_err(|e| process(format!("the setup does not apply: {e}")))?;
    if !case.rows.is_empty() {
        db.pool.exec(&case.rows).await.map_err(process)?;
    }
    for (name, sql) in numbered(case.setup.len() + 1, &case.pending, "pending") {
        std::fs::write(dir.join(name), sql).map_err(|e| process(e.to_string()))?;
    }
    let loaded = load(&dir);
    db::remove_folder(&dir);
    let m = match loaded {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::Load => {
            let why = e.to_string();
            let first = why.lines().find(|l| l.starts_with("error")).unwrap_or(&why);
            return Ok(Passed::Load(first.to_owned()));
        }
        Err(e) => return Err(process(e.to_string())),
    };
    let mut migrator = m.migrator().allow_drafts(true);
    if let Some(consent) = case.consent {
        migrator = migrator.consent(consent);
    }
    let result = db.pool.run(migrator).await;
    // A new connection: SQLite's connections keep the schema they read.
    let check = Pool::connect(backend, &db.url).await.map_err(process)?;
    let intact = check.int(&case.intact).await;
    check.close().await;
    let kept = intact == Ok(1);
    let lost = || match &intact {
        Ok(n) => format!("`{}` answers {n}", case.intact),
        Err(e) => e.clone(),
    };
    match (case.expect, result) {
        (Expect::Runs, Ok(_)) if intact.is_err() => Ok(Passed::Ran),
        (Expect::Runs, Ok(_)) => Err((Violation::Other, "ran but the table is still there".into())),
        (Expect::Runs, Err(e)) => {
            Err((Violation::Other, format!("refused on an empty table: {e}")))
        }
        (Expect::Refused, Err(e)) if e.kind() == ErrorKind::ConsentRequired => match kept {
            true => Ok(Passed::Refused),
            false => Err((
                Violation::DataLost,
                format!("refused for consent, but {}", lost()),
            )),
        },
        (Expect::Refused, Ok(_)) if !kept => Err((
            Violation::Bypass,
            format!("ran without consent: {}", lost()),
        )),
        (Expect::Refused, Ok(_)) => Err((
            Violation::Other,
            "ran without consent and lost nothing: the case tests nothing".into(),
        )),
        (Expect::Refused, Err(e)) if !kept => Err((
            Violation::Bypass,
            format!("failed with {:?} ({e}), and {}", e.kind(), lost()),
        )),
        (Expect::Refused, Err(e)) => Err((
            Violation::Other,
            format!(
                "refused with {:?} instead of ConsentRequired: {e}",
                e.kind()
            ),
        )),
    }
}
