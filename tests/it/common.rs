//! Fresh databases, migration folders and a statement counter shared by the tests.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use driftless::{Error, Migrations, Migrator, Report};
use driftless_core::lock::{self as lockop, LockRequest};
use driftless_core::lockfile;
use sqlx::{AssertSqlSafe, Connection, MySqlPool, PgPool, Row, SqlitePool};

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Postgres,
    Mysql,
    Sqlite,
}

impl Kind {
    pub fn dialect(self) -> driftless_core::Dialect {
        match self {
            Kind::Postgres => driftless_core::Dialect::Postgres,
            Kind::Mysql => driftless_core::Dialect::Mysql,
            Kind::Sqlite => driftless_core::Dialect::Sqlite,
        }
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name unique to this process and call.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// The server URL for `kind`, or `None` (with a skip line) when it is not configured. On CI a
/// missing URL fails the test, so a misconfigured job cannot pass by skipping everything.
pub fn server_url(kind: Kind) -> Option<String> {
    let var = match kind {
        Kind::Postgres => "DRIFTLESS_TEST_POSTGRES_URL",
        Kind::Mysql => "DRIFTLESS_TEST_MYSQL_URL",
        Kind::Sqlite => return Some(String::new()),
    };
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{var} is not set, and CI=true requires the database tests to run");
            }
            eprintln!("skipped: {var} is not set");
            None
        }
    }
}

/// A pool of one of the three databases.
#[derive(Debug, Clone)]
pub enum Pool {
    Pg(PgPool),
    My(MySqlPool),
    Lite(SqlitePool),
}

/// A fresh database, dropped by [`TestDb::drop_db`].
pub struct TestDb {
    pub kind: Kind,
    pub url: String,
    server: String,
    name: String,
    pub pool: Pool,
}

fn with_db(server: &str, name: &str) -> String {
    let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
    format!("{base}/{name}")
}

impl TestDb {
    pub async fn new(kind: Kind) -> Option<TestDb> {
        let server = server_url(kind)?;
        let name = unique("dl");
        let url = match kind {
            Kind::Postgres => {
                let mut c = sqlx::PgConnection::connect(&server).await.unwrap();
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut c)
                    .await
                    .unwrap();
                with_db(&server, &name)
            }
            Kind::Mysql => {
                let mut c = sqlx::MySqlConnection::connect(&server).await.unwrap();
                sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut c)
                    .await
                    .unwrap();
                with_db(&server, &name)
            }
            Kind::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                format!("sqlite://{}?mode=rwc", path.display())
            }
        };
        let pool = TestDb::connect(kind, &url).await;
        Some(TestDb {
            kind,
            url,
            server,
            name,
            pool,
        })
    }

    /// Another pool on the same database.
    pub async fn connect(kind: Kind, url: &str) -> Pool {
        match kind {
            Kind::Postgres => Pool::Pg(PgPool::connect(url).await.unwrap()),
            Kind::Mysql => Pool::My(MySqlPool::connect(url).await.unwrap()),
            Kind::Sqlite => Pool::Lite(SqlitePool::connect(url).await.unwrap()),
        }
    }

    pub async fn drop_db(self) {
        match &self.pool {
            Pool::Pg(p) => p.close().await,
            Pool::My(p) => p.close().await,
            Pool::Lite(p) => p.close().await,
        }
        match self.kind {
            Kind::Postgres => {
                let mut c = sqlx::PgConnection::connect(&self.server).await.unwrap();
                let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
                sqlx::raw_sql(AssertSqlSafe(drop))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
            Kind::Mysql => {
                let mut c = sqlx::MySqlConnection::connect(&self.server).await.unwrap();
                let drop = format!("DROP DATABASE IF EXISTS {}", self.name);
                sqlx::raw_sql(AssertSqlSafe(drop))
                    .execute(&mut c)
                    .await
                    .unwrap();
            }
            Kind::Sqlite => {
                let path = std::env::temp_dir().join(format!("{}.db", self.name));
                let _ = std::fs::remove_file(&path);
                let _ = std::fs::remove_file(path.with_extension("db-wal"));
                let _ = std::fs::remove_file(path.with_extension("db-shm"));
            }
        }
    }
}

impl Pool {
    pub async fn run(&self, migrator: Migrator<'_>) -> Result<Report, Error> {
        match self {
            Pool::Pg(p) => migrator.run(p).await,
            Pool::My(p) => migrator.run(p).await,
            Pool::Lite(p) => migrator.run(p).await,
        }
    }

    pub async fn revert(
        &self,
        migrator: Migrator<'_>,
        version: u64,
    ) -> Result<driftless::RevertReport, Error> {
        match self {
            Pool::Pg(p) => migrator.revert_to(p, version).await,
            Pool::My(p) => migrator.revert_to(p, version).await,
            Pool::Lite(p) => migrator.revert_to(p, version).await,
        }
    }

    /// Whether a table of the test's database exists.
    pub async fn has_table(&self, name: &str) -> bool {
        let sql = match self {
            Pool::Pg(_) => format!(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = \
                 current_schema() AND table_name = '{name}'"
            ),
            Pool::My(_) => format!(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() \
                 AND table_name = '{name}'"
            ),
            Pool::Lite(_) => {
                format!(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{name}'"
                )
            }
        };
        self.int(&sql).await == 1
    }

    pub async fn introspect(
        &self,
        migrator: Migrator<'_>,
    ) -> Result<driftless::drift::Schema, Error> {
        match self {
            Pool::Pg(p) => migrator.introspect(p).await,
            Pool::My(p) => migrator.introspect(p).await,
            Pool::Lite(p) => migrator.introspect(p).await,
        }
    }

    pub async fn drift(&self, migrator: Migrator<'_>) -> Result<driftless::drift::Drift, Error> {
        match self {
            Pool::Pg(p) => migrator.drift(p).await,
            Pool::My(p) => migrator.drift(p).await,
            Pool::Lite(p) => migrator.drift(p).await,
        }
    }

    pub async fn status(&self, m: &Migrations) -> driftless::Status {
        match self {
            Pool::Pg(p) => m.status(p).await.unwrap(),
            Pool::My(p) => m.status(p).await.unwrap(),
            Pool::Lite(p) => m.status(p).await.unwrap(),
        }
    }

    pub async fn exec(&self, sql: &str) {
        let sql = AssertSqlSafe(sql.to_owned());
        match self {
            Pool::Pg(p) => drop(sqlx::raw_sql(sql).execute(p).await.unwrap()),
            Pool::My(p) => drop(sqlx::raw_sql(sql).execute(p).await.unwrap()),
            Pool::Lite(p) => drop(sqlx::raw_sql(sql).execute(p).await.unwrap()),
        }
    }

    /// The first column of the first row, as an integer.
    pub async fn int(&self, sql: &str) -> i64 {
        let sql = AssertSqlSafe(sql.to_owned());
        match self {
            Pool::Pg(p) => sqlx::raw_sql(sql).fetch_one(p).await.unwrap().get(0),
            Pool::My(p) => sqlx::raw_sql(sql).fetch_one(p).await.unwrap().get(0),
            Pool::Lite(p) => sqlx::raw_sql(sql).fetch_one(p).await.unwrap().get(0),
        }
    }

    /// The first column of the first row, as text.
    pub async fn text(&self, sql: &str) -> Option<String> {
        let sql = AssertSqlSafe(sql.to_owned());
        match self {
            Pool::Pg(p) => sqlx::raw_sql(sql).fetch_one(p).await.unwrap().get(0),
            Pool::My(p) => sqlx::raw_sql(sql).fetch_one(p).await.unwrap().get(0),
            Pool::Lite(p) => sqlx::raw_sql(sql).fetch_one(p).await.unwrap().get(0),
        }
    }

    /// The status column of the history row of `version`.
    pub async fn row_status(&self, version: u64) -> String {
        self.text(&format!(
            "SELECT status FROM _driftless_migrations WHERE namespace = '' AND version = {version}"
        ))
        .await
        .unwrap()
    }
}

/// A migrations folder in a fresh temporary directory, locked by the core when `lock` is set.
pub fn folder(kind: Kind, files: &[(&str, &str)], lock: bool) -> PathBuf {
    let dir = std::env::temp_dir().join(unique("driftless_it"));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, content) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    if lock {
        relock(kind, &dir);
    } else {
        // Only the dialect: every migration stays a draft.
        let empty = lockfile::LockFile::new(kind.dialect()).render();
        std::fs::write(dir.join(lockfile::FILE_NAME), empty).unwrap();
    }
    dir
}

/// Locks every draft of a folder (writes `driftless.lock`).
pub fn relock(kind: Kind, dir: &std::path::Path) {
    let loaded = driftless_core::loader::load(dir).unwrap();
    let request = LockRequest {
        dialect: Some(kind.dialect()),
        ..LockRequest::default()
    };
    let outcome = lockop::lock(&loaded, &request).unwrap_or_else(|a| {
        panic!("cannot lock the test folder: {:?}", a.diagnostics);
    });
    std::fs::write(dir.join(lockfile::FILE_NAME), outcome.lock.render()).unwrap();
}

/// Loads a folder as the runtime's value.
pub fn load(dir: &std::path::Path) -> Migrations {
    Migrations::load(dir).unwrap_or_else(|e| panic!("{e}"))
}

/// Loads a folder and checks that the core reports statement `statement` of migration `version`
/// as dropping `table`: the consent tests rely on the analysis, not on a hand-made hazard.
pub fn load_with_drop(
    dir: &std::path::Path,
    version: u64,
    statement: usize,
    table: &str,
) -> Migrations {
    let m = load(dir);
    let migration = m
        .migrations()
        .iter()
        .find(|m| m.version() == version)
        .unwrap();
    let hazards: Vec<_> = migration
        .hazards()
        .filter(|h| h.statement() == statement)
        .collect();
    assert!(
        hazards
            .iter()
            .any(|h| h.code() == "drop-table" && h.object().name() == table),
        "the core does not report dropping `{table}`: {hazards:?}"
    );
    m
}

/// Every statement sqlx logged (target `sqlx::query`), from every thread: SQLite runs its
/// statements on a worker thread, so a thread-local subscriber would miss them.
pub fn logged_statements() -> &'static Mutex<Vec<String>> {
    static LOG: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    static INSTALL: OnceLock<()> = OnceLock::new();
    let log = LOG.get_or_init(|| Mutex::new(Vec::new()));
    INSTALL.get_or_init(|| {
        tracing::subscriber::set_global_default(StatementLog).unwrap();
    });
    log
}

struct StatementLog;

struct Text(String);

impl tracing::field::Visit for Text {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" || field.name() == "db.statement" {
            self.0.push_str(&format!("{value:?} "));
        }
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "summary" || field.name() == "db.statement" {
            self.0.push_str(value);
            self.0.push(' ');
        }
    }
}

impl tracing::Subscriber for StatementLog {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == "sqlx::query"
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if event.metadata().target() == "sqlx::query" {
            let mut text = Text(String::new());
            event.record(&mut text);
            if let Some(log) = logged_statements().lock().ok().as_mut() {
                log.push(text.0);
            }
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Runs one test body on each configured database.
#[macro_export]
macro_rules! on_all {
    ($($name:ident => $body:path;)*) => {
        $(
            mod $name {
                use super::*;
                #[tokio::test]
                async fn postgres() { $body(Kind::Postgres).await }
                #[tokio::test]
                async fn mysql() { $body(Kind::Mysql).await }
                #[tokio::test]
                async fn sqlite() { $body(Kind::Sqlite).await }
            }
        )*
    };
}
