//! The `driftless` binary on real folders: exit codes, output and the files it writes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn driftless(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_driftless"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run driftless")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A fresh temporary directory for one test.
fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("driftless-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, path: &str, content: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

#[test]
fn new_check_lock_round_trip() {
    let dir = temp("round-trip");
    let o = driftless(&["new", "Create users"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(dir.join("migrations/0001_create_users.sql").exists());
    write(
        &dir,
        "migrations/0001_create_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
    );

    // No lock file yet: the dialect is unknown.
    let o = driftless(&["check"], &dir);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("error[missing-dialect]"), "{}", text(&o));

    let o = driftless(&["lock", "--dialect", "sqlite"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let lock = std::fs::read_to_string(dir.join("migrations/driftless.lock")).unwrap();
    assert!(
        lock.contains("dialect sqlite") && lock.contains("locked 1 "),
        "{lock}"
    );

    let o = driftless(&["check"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("checked 1 migrations"), "{}", text(&o));

    // The next migration continues the sequence, zero-padded like its neighbour.
    let o = driftless(&["new", "drop email"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    write(
        &dir,
        "migrations/0002_drop_email.sql",
        "-- driftless: allow drop-column: emails moved to their own table\nALTER TABLE users DROP COLUMN email;\n",
    );
    let o = driftless(&["check", "--strict"], &dir);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("error[draft-migration]"), "{}", text(&o));

    // Editing a locked migration is refused by check and by lock, unless re-hashed by name.
    write(
        &dir,
        "migrations/0001_create_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, x INT);\n",
    );
    let o = driftless(&["check"], &dir);
    assert!(
        text(&o).contains("error[edited-locked-migration]"),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains(" --> migrations/0001_create_users.sql"),
        "{}",
        text(&o)
    );
    let o = driftless(&["lock"], &dir);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("nothing was locked"));
    let unchanged = std::fs::read_to_string(dir.join("migrations/driftless.lock")).unwrap();
    assert_eq!(unchanged, lock);
    let o = driftless(&["lock", "--rehash", "1"], &dir);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn json_output_is_machine_readable() {
    let dir = temp("json");
    write(&dir, "m/0001_a.sql", "CREATE TABLE a (id INTEGER);\n");
    write(&dir, "m/notes.sql", "SELECT 1;\n");
    let o = driftless(
        &["check", "m", "--dialect", "sqlite", "--format", "json"],
        &dir,
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["dialect"], "sqlite");
    assert_eq!(v["errors"], 1);
    assert_eq!(v["diagnostics"][0]["code"], "misnamed-migration");
    assert_eq!(v["diagnostics"][0]["file"], "notes.sql");
    assert_eq!(v["migrations"][0]["version"], 1);
    assert_eq!(v["migrations"][0]["state"], "draft");
}

#[test]
fn new_follows_the_folder_scheme_and_layout() {
    let dir = temp("scheme");
    write(&dir, "ts/20240101120000_init.sql", "SELECT 1;\n");
    let o = driftless(&["new", "next", "ts"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let names: Vec<String> = std::fs::read_dir(dir.join("ts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let new = names
        .iter()
        .find(|n| n.ends_with("_next.sql"))
        .expect("created");
    assert_eq!(new.len(), "20240101120000_next.sql".len());
    assert!(new.as_str() > "20240101120000", "{new}");

    write(&dir, "rev/7_a.up.sql", "SELECT 1;\n");
    let o = driftless(&["new", "b", "rev"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(dir.join("rev/8_b.up.sql").exists() && dir.join("rev/8_b.down.sql").exists());

    write(&dir, "diesel/2024-01-01-000000_a/up.sql", "SELECT 1;\n");
    let o = driftless(&["new", "b", "diesel"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let dirs: Vec<String> = std::fs::read_dir(dir.join("diesel"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let new = dirs.iter().find(|n| n.ends_with("_b")).expect("created");
    assert_eq!(new.len(), "2024-01-01-000000_b".len(), "{new}");
    assert!(dir.join("diesel").join(new).join("up.sql").exists());

    let o = driftless(&["new", "!!!"], &dir);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn adopt_locks_a_history_with_hazards_as_warnings() {
    let dir = temp("adopt");
    write(&dir, "m/1_a.sql", "CREATE TABLE a (id INTEGER, b TEXT);\n");
    write(&dir, "m/2_b.sql", "ALTER TABLE a DROP COLUMN b;\n");
    let o = driftless(&["lock", "m", "--dialect", "sqlite", "--adopt"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let lock = std::fs::read_to_string(dir.join("m/driftless.lock")).unwrap();
    assert!(
        lock.contains("adopted 1 ") && lock.contains("adopted 2 "),
        "{lock}"
    );
    let o = driftless(&["check", "m"], &dir);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn lock_refuses_an_unacknowledged_data_loss_statement() {
    let dir = temp("hazard");
    write(&dir, "m/1_a.sql", "CREATE TABLE a (id INTEGER, b TEXT);\n");
    let o = driftless(&["lock", "m", "--dialect", "sqlite"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    write(&dir, "m/2_b.sql", "ALTER TABLE a DROP COLUMN b;\n");
    let o = driftless(&["check", "m"], &dir);
    assert_eq!(o.status.code(), Some(1));
    let out = text(&o);
    assert!(out.contains("error[drop-column]"), "{out}");
    assert!(out.contains(" --> m/2_b.sql:1:1"), "{out}");
    assert!(out.contains("-- driftless: allow drop-column:"), "{out}");
    let o = driftless(&["lock", "m"], &dir);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        !std::fs::read_to_string(dir.join("m/driftless.lock"))
            .unwrap()
            .contains("locked 2 ")
    );

    write(
        &dir,
        "m/2_b.sql",
        "-- driftless: allow drop-column: b was never read\nALTER TABLE a DROP COLUMN b;\n",
    );
    let o = driftless(&["lock", "m"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let o = driftless(&["check", "m", "--strict"], &dir);
    assert!(o.status.success(), "{}", text(&o));
}

/// `status`, `plan`, `baseline` and `resolve` on a real SQLite database.
#[test]
fn database_commands_on_sqlite() {
    let dir = temp("db");
    write(
        &dir,
        "m/1_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
    );
    write(
        &dir,
        "m/2_posts.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n",
    );
    let o = driftless(&["lock", "m", "--dialect", "sqlite"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let url = format!("sqlite://{}?mode=rwc", dir.join("app.db").display());

    // A fresh database: everything is pending, the plan runs without consent. There is no
    // history yet, which status flags (exit 1).
    let o = driftless(
        &["status", "m", "--database-url", &url, "--format", "json"],
        &dir,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["pending"], serde_json::json!([1, 2]));
    assert_eq!(v["table_exists"], serde_json::json!(false));
    // Names are checked when they are given.
    for bad in [
        ["--table", "x'; DROP TABLE users; --"],
        ["--schema", "a b"],
        ["--namespace", "a:b"],
    ] {
        let o = driftless(
            &["status", "m", "--database-url", &url, bad[0], bad[1]],
            &dir,
        );
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    }
    let o = driftless(&["plan", "m", "--database-url", &url], &dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("1 users") && text(&o).contains("2 posts"),
        "{}",
        text(&o)
    );

    // Mark the first migration as already run (a database that predates driftless).
    let o = driftless(
        &["baseline", "m", "--version", "1", "--database-url", &url],
        &dir,
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = driftless(
        &["status", "m", "--database-url", &url, "--format", "json"],
        &dir,
    );
    // The baseline says `users` exists; the database has no such table: drift (exit 1).
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["applied"], serde_json::json!([1]));
    assert_eq!(v["pending"], serde_json::json!([2]));
    let found = &v["drift"]["drift"][0];
    assert_eq!(found["kind"], "missing", "{v}");
    assert_eq!(found["object"], "users", "{v}");
    assert_eq!(found["origin"]["file"], "1_users.sql", "{v}");
    assert_eq!(found["origin"]["line"], 1, "{v}");
    let o = driftless(&["drift", "m", "--database-url", &url], &dir);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("missing table users") && text(&o).contains("CREATE TABLE \"users\""),
        "{}",
        text(&o)
    );
    // Capturing it writes a draft that drops `users`: data loss, which the check refuses
    // without an `allow`.
    let o = driftless(&["diff", "m", "--database-url", &url], &dir);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let captured = std::fs::read_to_string(dir.join("m/3_capture_drift.sql")).expect("draft");
    assert!(captured.contains("DROP TABLE \"users\";"), "{captured}");
    assert!(text(&o).contains("error[drop-table]"), "{}", text(&o));
    std::fs::remove_file(dir.join("m/3_capture_drift.sql")).unwrap();

    // Nothing failed: resolve refuses and says why.
    let o = driftless(
        &["resolve", "m", "--rolled-back", "2", "--database-url", &url],
        &dir,
    );
    assert!(!o.status.success(), "{}", text(&o));
}

#[test]
fn versions_beyond_bigint_fail_check_and_lock_and_new_does_not_make_one() {
    let dir = temp("bigint");
    // The largest version the history table stores is fine.
    write(
        &dir,
        "migrations/9223372036854775807_last.sql",
        "CREATE TABLE t (id INTEGER);\n",
    );
    let o = driftless(&["lock", "--dialect", "sqlite"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    // One more does not fit.
    write(
        &dir,
        "migrations/9223372036854775808_more.sql",
        "CREATE TABLE u (id INTEGER);\n",
    );
    for args in [&["check"][..], &["lock"][..]] {
        let o = driftless(args, &dir);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", text(&o));
        assert!(
            text(&o).contains("error[misnamed-migration]")
                && text(&o).contains("larger than 9223372036854775807"),
            "{args:?}: {}",
            text(&o)
        );
    }
    std::fs::remove_file(dir.join("migrations/9223372036854775808_more.sql")).unwrap();
    let o = driftless(&["new", "more"], &dir);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("9223372036854775807"), "{}", text(&o));
}

#[test]
fn adopting_a_diesel_history_with_spaces_in_names_reads_back() {
    let dir = temp("diesel-spaces");
    write(
        &dir,
        "migrations/2019-11-15-182353_Add email notifications to crate owners/up.sql",
        "CREATE TABLE emails (id INTEGER);\n",
    );
    write(
        &dir,
        "migrations/2019-11-15-182353_Add email notifications to crate owners/down.sql",
        "DROP TABLE emails;\n",
    );
    let o = driftless(&["lock", "--adopt", "--dialect", "postgres"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let o = driftless(&["check"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("1 locked"), "{}", text(&o));
}

#[test]
fn a_hidden_migration_is_a_warning() {
    let dir = temp("hidden");
    write(
        &dir,
        "migrations/0001_a.sql",
        "CREATE TABLE a (id INTEGER);\n",
    );
    write(
        &dir,
        "migrations/.0002_b.sql",
        "CREATE TABLE b (id INTEGER);\n",
    );
    write(&dir, "migrations/.0001_a.sql.swp", "junk");
    let o = driftless(&["lock", "--dialect", "sqlite"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let o = driftless(&["check"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(
        out.contains("warning[unread-file]: file `.0002_b.sql`"),
        "{out}"
    );
    assert!(!out.contains(".swp"), "{out}");
}

/// The declared-schema loop a user runs: edit `schema.sql`, `driftless diff --name`, acknowledge
/// what it flags, lock; then `pull` writes `schema.sql` from a database, which the history makes.
#[test]
fn declared_schema_loop() {
    let dir = temp("declared");
    write(
        &dir,
        "m/0001_init.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nCREATE TABLE old_log (id INTEGER PRIMARY KEY);\n",
    );
    write(
        &dir,
        "m/schema.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\nCREATE TABLE old_log (id INTEGER PRIMARY KEY);\n",
    );
    let o = driftless(&["lock", "m", "--dialect", "sqlite"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let o = driftless(&["check", "m"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let o = driftless(&["diff", "m"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("already make the declared schema"),
        "{}",
        text(&o)
    );

    // The user edits the declared schema: a new column and table, a table gone.
    write(
        &dir,
        "m/schema.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT);\n\
         CREATE TABLE teams (id INTEGER PRIMARY KEY, title TEXT NOT NULL);\n",
    );
    let o = driftless(&["check", "m"], &dir);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("error[schema-mismatch]"), "{}", text(&o));
    let o = driftless(&["diff", "m", "--print"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let printed = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        printed.contains("ALTER TABLE \"users\" ADD COLUMN \"email\" TEXT;")
            && printed.contains("CREATE TABLE \"teams\"")
            && printed.find("CREATE TABLE \"teams\"") < printed.find("DROP TABLE \"old_log\";"),
        "{printed}"
    );
    assert!(!dir.join("m/0002_add_email.sql").exists());
    // Written as the next migration: the drop stops the build until it is acknowledged.
    let o = driftless(&["diff", "m", "--name", "add_email"], &dir);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("error[drop-table]"), "{}", text(&o));
    let written = std::fs::read_to_string(dir.join("m/0002_add_email.sql")).unwrap();
    assert_eq!(written.matches("DROP TABLE").count(), 1, "{written}");
    write(
        &dir,
        "m/0002_add_email.sql",
        &written.replace(
            "DROP TABLE \"old_log\";",
            "-- driftless: allow drop-table: the log moved to the log service\nDROP TABLE \"old_log\";",
        ),
    );
    let o = driftless(&["check", "m"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let o = driftless(&["lock", "m"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let o = driftless(&["check", "m", "--strict"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("schema-unlocked"), "{}", text(&o));

    // Apply, then pull the database's schema: the history makes it.
    let url = format!("sqlite://{}?mode=rwc", dir.join("app.db").display());
    let o = driftless(&["migrate", "m", "--database-url", &url], &dir);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::remove_file(dir.join("m/schema.sql")).unwrap();
    let o = driftless(&["pull", "m", "--database-url", &url], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let pulled = std::fs::read_to_string(dir.join("m/schema.sql")).unwrap();
    assert!(pulled.contains("CREATE TABLE \"teams\""), "{pulled}");
    assert!(
        !pulled.contains("old_log") && !pulled.contains("_driftless"),
        "{pulled}"
    );
    let o = driftless(&["check", "m"], &dir);
    assert!(!text(&o).contains("error["), "{}", text(&o));
}

/// Runs driftless with `env` set and the consent and database variables of the caller's
/// environment removed.
fn driftless_env(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_driftless"));
    command
        .args(args)
        .current_dir(cwd)
        .env_remove("DRIFTLESS_ALLOW_DESTRUCTIVE")
        .env_remove("DATABASE_URL");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run driftless")
}

/// `migrate` or `revert` on `url`, with extra arguments.
fn on_db(command: &str, dir: &Path, url: &str, extra: &[&str]) -> Output {
    let mut args = vec![command, "m", "--database-url", url];
    args.extend_from_slice(extra);
    driftless_env(&args, dir, &[])
}

/// Every stdout line as JSON (the tests' stdout is a pipe: `migrate` prints JSON lines).
fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}\n{}", text(o)))
        })
        .collect()
}

/// The last line: the summary.
fn summary(o: &Output) -> serde_json::Value {
    let lines = json_lines(o);
    let last = lines.last().cloned().expect("a summary line");
    assert_eq!(last["event"], "summary", "{}", text(o));
    last
}

fn sqlite_url(dir: &Path, name: &str) -> String {
    format!("sqlite://{}?mode=rwc", dir.join(name).display())
}

/// `status --format json` of `url`.
fn status_json(dir: &Path, url: &str) -> (Option<i32>, serde_json::Value) {
    let o = on_db("status", dir, url, &["--format", "json"]);
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", text(&o)));
    (o.status.code(), v)
}

#[test]
fn migrate_applies_with_json_lines_then_has_nothing_to_do() {
    let dir = temp("migrate-fresh");
    write(
        &dir,
        "m/1_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
    );
    write(
        &dir,
        "m/2_posts.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);\nCREATE INDEX posts_id ON posts (id);\n",
    );
    let o = driftless(&["lock", "m", "--dialect", "sqlite"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let url = sqlite_url(&dir, "app.db");

    // Not a terminal: one JSON line per applied migration, then the summary.
    let o = on_db("migrate", &dir, &url, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 3, "{}", text(&o));
    assert_eq!(lines[0]["event"], "applied");
    assert_eq!(lines[0]["version"], 1);
    assert_eq!(lines[0]["description"], "users");
    assert_eq!(lines[0]["statements"], 1);
    assert_eq!(lines[0]["consent"], false);
    assert!(lines[0]["duration_ms"].is_u64(), "{}", lines[0]);
    assert_eq!(lines[1]["version"], 2);
    assert_eq!(lines[1]["statements"], 2);
    assert_eq!(lines[2]["event"], "summary");
    assert_eq!(lines[2]["result"], "applied");
    assert_eq!(lines[2]["applied"], serde_json::json!([1, 2]));
    assert_eq!(lines[2]["exit_code"], 0);
    let (code, status) = status_json(&dir, &url);
    assert_eq!(code, Some(0), "{status}");
    assert_eq!(status["applied"], serde_json::json!([1, 2]));
    assert_eq!(status["drift"]["drift"], serde_json::json!([]), "{status}");

    // Nothing pending: exit 0, a summary and no applied line.
    let o = on_db("migrate", &dir, &url, &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 1, "{}", text(&o));
    assert_eq!(lines[0]["result"], "up_to_date");
    assert_eq!(lines[0]["applied"], serde_json::json!([]));

    // The exit codes are in the help.
    let o = driftless(&["migrate", "--help"], &dir);
    assert!(
        text(&o).contains("Exit codes: 0 applied") && text(&o).contains("1 refused"),
        "{}",
        text(&o)
    );
}

#[test]
fn migrate_refusals_exit_1_and_apply_nothing() {
    let dir = temp("migrate-refused");
    write(
        &dir,
        "m/1_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
    );
    write(
        &dir,
        "m/2_fill.sql",
        "INSERT INTO users (id, name) VALUES (1, 'a');\n",
    );
    let o = driftless(&["lock", "m", "--dialect", "sqlite"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let a = sqlite_url(&dir, "a.db");
    let b = sqlite_url(&dir, "b.db");
    for url in [&a, &b] {
        let o = on_db("migrate", &dir, url, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    // A locked, acknowledged drop of a table that has a row: consent required.
    write(
        &dir,
        "m/3_drop.sql",
        "-- driftless: allow drop-table: users moved to the accounts service\nDROP TABLE users;\n",
    );
    let o = driftless(&["lock", "m"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let o = on_db("migrate", &dir, &a, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let s = summary(&o);
    assert_eq!(s["result"], "refused");
    assert_eq!(s["kind"], "ConsentRequired");
    assert_eq!(s["applied"], serde_json::json!([]));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("DRIFTLESS_ALLOW_DESTRUCTIVE=3"),
        "{}",
        text(&o)
    );
    assert_eq!(status_json(&dir, &a).1["pending"], serde_json::json!([3]));
    // Consent by flag...
    let o = on_db("migrate", &dir, &a, &["--consent", "3"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let lines = json_lines(&o);
    assert_eq!(lines[0]["version"], 3);
    assert_eq!(lines[0]["consent"], true);
    // ...or by the environment; a malformed value is a refusal.
    let args = ["migrate", "m", "--database-url", &b];
    let o = driftless_env(&args, &dir, &[("DRIFTLESS_ALLOW_DESTRUCTIVE", "all")]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(summary(&o)["kind"], "InvalidConsent");
    let o = driftless_env(&args, &dir, &[("DRIFTLESS_ALLOW_DESTRUCTIVE", "3")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(json_lines(&o)[0]["consent"], true);

    // A draft: the CLI refuses it as a release binary does, unless --allow-drafts.
    write(&dir, "m/4_tags.sql", "CREATE TABLE tags (id INTEGER);\n");
    let o = on_db("migrate", &dir, &a, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let s = summary(&o);
    assert_eq!(s["kind"], "Draft");
    assert!(
        s["error"]
            .as_str()
            .unwrap()
            .contains("draft migration(s) 4"),
        "{s}"
    );
    assert_eq!(status_json(&dir, &a).1["pending"], serde_json::json!([4]));
    let o = on_db("migrate", &dir, &a, &["--allow-drafts"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(summary(&o)["applied"], serde_json::json!([4]));
}

#[test]
fn migrate_failures_exit_2() {
    let dir = temp("migrate-failed");
    write(
        &dir,
        "m/1_users.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
    );
    // A duplicate key: valid SQL that the analysis accepts, failing on the database.
    write(
        &dir,
        "m/2_bad.sql",
        "INSERT INTO users (id, name) VALUES (1, 'a');\nINSERT INTO users (id, name) VALUES (1, 'b');\n",
    );
    let o = driftless(&["lock", "m", "--dialect", "sqlite"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let url = sqlite_url(&dir, "app.db");
    let o = on_db("migrate", &dir, &url, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 2, "{}", text(&o));
    assert_eq!(lines[0]["version"], 1);
    let s = &lines[1];
    assert_eq!(s["result"], "failed");
    assert_eq!(s["kind"], "MigrationFailed");
    assert_eq!(s["applied"], serde_json::json!([1]));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("UNIQUE constraint failed"),
        "{}",
        text(&o)
    );
    // The failed row blocks the next run: a refusal (exit 1).
    let o = on_db("migrate", &dir, &url, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(summary(&o)["kind"], "FailedMigration");

    // A database that cannot be opened is a failure too.
    let missing = format!("sqlite://{}", dir.join("no-such-dir/app.db").display());
    let o = on_db("migrate", &dir, &missing, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(summary(&o)["result"], "failed");
}

#[test]
fn revert_needs_yes_and_consent_then_migrate_reapplies() {
    let dir = temp("revert");
    write(
        &dir,
        "m/1_users.up.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
    );
    write(&dir, "m/1_users.down.sql", "DROP TABLE users;\n");
    write(
        &dir,
        "m/2_posts.up.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);\nINSERT INTO posts (id) VALUES (1);\n",
    );
    write(&dir, "m/2_posts.down.sql", "DROP TABLE posts;\n");
    write(&dir, "m/3_tags.up.sql", "CREATE TABLE tags (id INTEGER);\n");
    write(&dir, "m/3_tags.down.sql", "DROP TABLE tags;\n");
    let o = driftless(&["lock", "m", "--dialect", "sqlite"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let url = sqlite_url(&dir, "app.db");
    let o = on_db("migrate", &dir, &url, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // Without --yes: what would run, and a refusal.
    let o = on_db("revert", &dir, &url, &["--to", "1"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let s = summary(&o);
    let error = s["error"].as_str().unwrap();
    assert!(
        error.contains("3 (3_tags.down.sql), 2 (2_posts.down.sql)") && error.contains("--yes"),
        "{s}"
    );
    // `posts` has a row: its down file needs consent; nothing is reverted without it.
    let o = on_db("revert", &dir, &url, &["--to", "1", "--yes"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let s = summary(&o);
    assert_eq!(s["kind"], "ConsentRequired");
    assert!(s["error"].as_str().unwrap().contains("--consent 2"), "{s}");
    assert_eq!(
        status_json(&dir, &url).1["applied"],
        serde_json::json!([1, 2, 3])
    );

    let o = on_db(
        "revert",
        &dir,
        &url,
        &["--to", "1", "--yes", "--consent", "2"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let lines = json_lines(&o);
    assert_eq!(lines.len(), 3, "{}", text(&o));
    assert_eq!(lines[0]["event"], "reverted");
    assert_eq!(lines[0]["version"], 3);
    assert_eq!(lines[0]["consent"], false);
    assert_eq!(lines[1]["version"], 2);
    assert_eq!(lines[1]["down"], "2_posts.down.sql");
    assert_eq!(lines[1]["consent"], true);
    assert_eq!(lines[2]["reverted"], serde_json::json!([3, 2]));
    // Pending again, and the tables are gone: no drift, nothing for an operator (exit 0).
    let (code, status) = status_json(&dir, &url);
    assert_eq!(status["applied"], serde_json::json!([1]));
    assert_eq!(status["pending"], serde_json::json!([2, 3]));
    assert_eq!(status["drift"]["drift"], serde_json::json!([]), "{status}");
    assert_eq!(code, Some(0), "{status}");

    let o = on_db("migrate", &dir, &url, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(summary(&o)["applied"], serde_json::json!([2, 3]));
}

#[test]
fn revert_without_a_down_file_runs_nothing() {
    let dir = temp("revert-no-down");
    write(
        &dir,
        "m/1_users.up.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
    );
    write(&dir, "m/1_users.down.sql", "DROP TABLE users;\n");
    write(
        &dir,
        "m/2_posts.up.sql",
        "CREATE TABLE posts (id INTEGER);\n",
    );
    write(&dir, "m/3_tags.up.sql", "CREATE TABLE tags (id INTEGER);\n");
    write(&dir, "m/3_tags.down.sql", "DROP TABLE tags;\n");
    let o = driftless(&["lock", "m", "--dialect", "sqlite"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let url = sqlite_url(&dir, "app.db");
    let o = on_db("migrate", &dir, &url, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = on_db("revert", &dir, &url, &["--to", "0", "--yes"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let s = summary(&o);
    assert_eq!(s["kind"], "NoDownFile");
    assert!(
        s["error"].as_str().unwrap().contains("2 (2_posts.up.sql)"),
        "{s}"
    );
    assert_eq!(s["reverted"], serde_json::json!([]));
    // Nothing ran: 3's down file would have dropped `tags` (drift, exit 1).
    let (code, status) = status_json(&dir, &url);
    assert_eq!(status["applied"], serde_json::json!([1, 2, 3]));
    assert_eq!(code, Some(0), "{status}");

    // A flat folder has no down files at all.
    let flat = temp("revert-flat");
    write(&flat, "m/1_users.sql", "CREATE TABLE users (id INTEGER);\n");
    let o = driftless(&["lock", "m", "--dialect", "sqlite"], &flat);
    assert!(o.status.success(), "{}", text(&o));
    let url = sqlite_url(&flat, "app.db");
    assert_eq!(on_db("migrate", &flat, &url, &[]).status.code(), Some(0));
    let o = on_db("revert", &flat, &url, &["--to", "0", "--yes"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        summary(&o)["error"]
            .as_str()
            .unwrap()
            .contains("1 (1_users.sql)"),
        "{}",
        text(&o)
    );
}

/// Runs SQL on a SQLite database file (the test writes another tool's table as that tool
/// would).
fn sqlite_exec(url: &str, sql: &str) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        });
}

#[test]
fn adopt_a_diesel_history_exit_codes_and_json() {
    let dir = temp("adopt-diesel-db");
    write(
        &dir,
        "m/2024-01-01-000000_users/up.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\n",
    );
    write(
        &dir,
        "m/2024-01-02-000000_posts/up.sql",
        "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n",
    );
    let url = format!("sqlite://{}?mode=rwc", dir.join("app.db").display());
    // diesel_migrations' table (src/migration/setup_migration_table.sql), as diesel fills it.
    sqlite_exec(
        &url,
        "CREATE TABLE users (id INTEGER PRIMARY KEY); CREATE TABLE posts (id INTEGER PRIMARY KEY);
         CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (
           version VARCHAR(50) PRIMARY KEY NOT NULL,
           run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
         INSERT INTO __diesel_schema_migrations (version) VALUES ('20240101000000'), ('20240102000000');",
    );

    // Not locked: refused (exit 1), with the command.
    let o = driftless(
        &["adopt", "--from", "diesel", "m", "--database-url", &url],
        &dir,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("driftless lock --adopt --dialect sqlite m"),
        "{}",
        text(&o)
    );
    let o = driftless(&["lock", "m", "--adopt", "--dialect", "sqlite"], &dir);
    assert!(o.status.success(), "{}", text(&o));

    // Dry run: exit 0, nothing written.
    let o = driftless(
        &[
            "adopt",
            "--from",
            "diesel",
            "m",
            "--database-url",
            &url,
            "--dry-run",
            "--format",
            "json",
        ],
        &dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["written"], false, "{v}");
    assert_eq!(v["migrations"][0]["version"], 20240101000000u64, "{v}");
    assert_eq!(v["migrations"][0]["verification"], "not verifiable", "{v}");
    let o = driftless(
        &["status", "m", "--database-url", &url, "--format", "json"],
        &dir,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["applied"], serde_json::json!([]), "{v}");

    // Adopted: exit 0, the history has both.
    let o = driftless(
        &["adopt", "--from", "diesel", "m", "--database-url", &url],
        &dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("adopted: 2 migration(s)"), "{}", text(&o));
    let o = driftless(
        &["status", "m", "--database-url", &url, "--format", "json"],
        &dir,
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(
        v["applied"],
        serde_json::json!([20240101000000u64, 20240102000000u64]),
        "{v}"
    );

    // A version the folder lacks: refused (exit 1); no such tool: exit 2.
    sqlite_exec(
        &url,
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('20231231000000')",
    );
    let o = driftless(
        &["adopt", "--from", "diesel", "m", "--database-url", &url],
        &dir,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("version 20231231000000"), "{}", text(&o));
    let o = driftless(
        &["adopt", "--from", "flyway", "m", "--database-url", &url],
        &dir,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// Warnings of shipped (locked, adopted) migrations are one line; `--all` lists them; a draft's
/// warnings always show.
#[test]
fn shipped_warnings_are_summarised() {
    let dir = temp("summary");
    write(
        &dir,
        "m/0001_init.sql",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);\n",
    );
    write(
        &dir,
        "m/0002_rename.sql",
        "ALTER TABLE t RENAME COLUMN a TO b;\n",
    );
    let o = driftless(&["lock", "m", "--dialect", "sqlite"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    let o = driftless(&["check", "m"], &dir);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("warning[rename-column]"), "{}", text(&o));
    assert!(
        text(&o).contains("1 warning(s) on locked and adopted migrations (shipped); `driftless check --all m` lists them"),
        "{}",
        text(&o)
    );
    let o = driftless(&["check", "m", "--all"], &dir);
    assert!(text(&o).contains("warning[rename-column]"), "{}", text(&o));
    write(
        &dir,
        "m/0003_again.sql",
        "ALTER TABLE t RENAME COLUMN b TO c;\n",
    );
    let o = driftless(&["check", "m"], &dir);
    assert!(
        text(&o).contains("warning[rename-column]") && text(&o).contains("0003_again.sql"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("0002_rename.sql:"), "{}", text(&o));
}
