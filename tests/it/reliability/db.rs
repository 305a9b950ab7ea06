//! The backends, fresh databases, pools and migration folders of the suite. Every helper returns
//! `Res`, so a failing harness step is reported as a process error of its trial, not a panic.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use driftless::{Migrator, Report};
use driftless_core::lock::{self as lockop, LockRequest};
use driftless_core::lockfile;
use sqlx::pool::PoolOptions;
use sqlx::{AssertSqlSafe, Connection, MySqlPool, PgPool, Row, SqlitePool};

/// The result of a harness step: the error is the message of a process error.
pub type Res<T> = Result<T, String>;

/// Adds what was being done to an error.
pub trait Ctx<T> {
    fn ctx(self, what: &str) -> Res<T>;
}

impl<T, E: fmt::Display> Ctx<T> for Result<T, E> {
    fn ctx(self, what: &str) -> Res<T> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// A database the suite runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    pub const ALL: [Backend; 3] = [Backend::Sqlite, Backend::Postgres, Backend::Mysql];

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
            Backend::Mysql => "mysql",
        }
    }

    pub fn parse(name: &str) -> Option<Backend> {
        Backend::ALL.into_iter().find(|b| b.name() == name)
    }

    pub fn dialect(self) -> driftless_core::Dialect {
        match self {
            Backend::Sqlite => driftless_core::Dialect::Sqlite,
            Backend::Postgres => driftless_core::Dialect::Postgres,
            Backend::Mysql => driftless_core::Dialect::Mysql,
        }
    }

    /// The server URL: `Ok(None)` when its variable is unset (the backend is skipped), an error
    /// under `CI=true` (the rule of `tests/it/common.rs::server_url`). SQLite needs no server.
    pub fn server(self) -> Res<Option<String>> {
        let var = match self {
            Backend::Sqlite => return Ok(Some(String::new())),
            Backend::Postgres => "DRIFTLESS_TEST_POSTGRES_URL",
            Backend::Mysql => "DRIFTLESS_TEST_MYSQL_URL",
        };
        match std::env::var(var) {
            Ok(url) if !url.is_empty() => Ok(Some(url)),
            _ if std::env::var("CI").as_deref() == Ok("true") => Err(format!(
                "{var} is not set, and CI=true requires every backend to run"
            )),
            _ => {
                println!("{self}: skipped, {var} is not set");
                Ok(None)
            }
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A pool of one of the backends.
#[derive(Debug, Clone)]
pub enum Pool {
    Pg(PgPool),
    My(MySqlPool),
    Lite(SqlitePool),
}

/// Runs `$body` with `$p` bound to the concrete sqlx pool.
macro_rules! with_pool {
    ($pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            Pool::Pg($p) => $body,
            Pool::My($p) => $body,
            Pool::Lite($p) => $body,
        }
    };
}

impl Pool {
    pub async fn connect(backend: Backend, url: &str) -> Res<Pool> {
        Pool::connect_max(backend, url, 10).await
    }

    /// A pool of one connection, which therefore sees the same sessions as "others" each time.
    pub async fn single(backend: Backend, url: &str) -> Res<Pool> {
        Pool::connect_max(backend, url, 1).await
    }

    async fn connect_max(backend: Backend, url: &str, max: u32) -> Res<Pool> {
        let what = format!("cannot connect to {url}");
        macro_rules! connect {
            ($variant:path) => {
                $variant(
                    PoolOptions::new()
                        .max_connections(max)
                        .connect(url)
                        .await
                        .ctx(&what)?,
                )
            };
        }
        Ok(match backend {
            Backend::Postgres => connect!(Pool::Pg),
            Backend::Mysql => connect!(Pool::My),
            Backend::Sqlite => connect!(Pool::Lite),
        })
    }

    pub fn backend(&self) -> Backend {
        match self {
            Pool::Pg(_) => Backend::Postgres,
            Pool::My(_) => Backend::Mysql,
            Pool::Lite(_) => Backend::Sqlite,
        }
    }

    pub async fn exec(&self, sql: &str) -> Res<()> {
        let query = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()));
        with_pool!(self, |p| query.execute(p).await.map(drop)).ctx(sql)
    }

    /// The first column of the first row, as an integer.
    pub async fn int(&self, sql: &str) -> Res<i64> {
        let query = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()));
        with_pool!(self, |p| query
            .fetch_one(p)
            .await
            .and_then(|r| r.try_get(0)))
        .ctx(sql)
    }

    /// The first column of every row, as text.
    pub async fn texts(&self, sql: &str) -> Res<Vec<String>> {
        let query = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()));
        with_pool!(self, |p| query.fetch_all(p).await.and_then(|rows| {
            rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
        }))
        .ctx(sql)
    }

    pub async fn run(&self, migrator: Migrator<'_>) -> Result<Report, driftless::Error> {
        with_pool!(self, |p| migrator.run(p).await)
    }

    /// `driftless resolve --applied` (or `--rolled-back`) of `version`.
    pub async fn resolve(&self, m: Migrator<'_>, version: u64, applied: bool) -> Res<()> {
        let done = match applied {
            true => with_pool!(self, |p| m.resolve_applied(p, version).await),
            false => with_pool!(self, |p| m.resolve_rolled_back(p, version).await),
        };
        done.ctx(&format!("cannot resolve migration {version}"))
    }

    /// The user tables of the database, the history table included.
    pub async fn tables(&self) -> Res<Vec<String>> {
        self.texts(match self.backend() {
            Backend::Postgres => {
                "SELECT tablename::text FROM pg_tables \
                 WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            }
            Backend::Mysql => {
                "SELECT CAST(table_name AS CHAR) FROM information_schema.tables \
                 WHERE table_schema = DATABASE()"
            }
            Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
        })
        .await
    }

    /// The rows of the application namespace's history: `(version, status, statements done)`;
    /// none when the history table does not exist.
    pub async fn history(&self) -> Res<Vec<(i64, String, i64)>> {
        if !self.tables().await?.iter().any(|t| t == HISTORY) {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT version, status, statements_done FROM {HISTORY} \
             WHERE namespace = '' AND version >= 0 ORDER BY version"
        );
        let query = sqlx::raw_sql(AssertSqlSafe(sql.clone()));
        with_pool!(self, |p| query.fetch_all(p).await.and_then(|rows| {
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
                .collect()
        }))
        .ctx(&sql)
    }

    /// The other client sessions on this database: PostgreSQL backends, MySQL connections.
    /// SQLite has none (a killed process holds nothing). Ask a [`Pool::single`]: a larger
    /// pool may answer from another of its own connections each time.
    pub async fn sessions(&self) -> Res<Vec<String>> {
        match self.backend() {
            Backend::Postgres => {
                self.texts(
                    "SELECT pid::text FROM pg_stat_activity WHERE datname = current_database() \
                     AND backend_type = 'client backend' AND pid <> pg_backend_pid()",
                )
                .await
            }
            Backend::Mysql => {
                self.texts(
                    "SELECT CAST(id AS CHAR) FROM information_schema.processlist \
                     WHERE db = DATABASE() AND id <> CONNECTION_ID()",
                )
                .await
            }
            Backend::Sqlite => Ok(Vec::new()),
        }
    }

    /// Waits, up to `limit`, until no session but those of `before` is left: a server finishes
    /// the statement (PostgreSQL: the batch) a killed client had sent before it notices.
    /// Returns what the sessions that linger are doing, if any do.
    pub async fn settle(&self, before: &[String], limit: Duration) -> Res<Option<String>> {
        let start = Instant::now();
        while self.sessions().await?.iter().any(|s| !before.contains(s)) {
            if start.elapsed() > limit {
                let what = match self.backend() {
                    Backend::Postgres => {
                        "SELECT format('%s %s %s/%s: %s', pid, state, wait_event_type, \
                         wait_event, left(query, 100)) FROM pg_stat_activity \
                         WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    }
                    _ => {
                        "SELECT CONCAT_WS(' ', id, command, state, time, LEFT(info, 100)) \
                         FROM information_schema.processlist \
                         WHERE db = DATABASE() AND id <> CONNECTION_ID()"
                    }
                };
                return Ok(Some(self.texts(what).await?.join("; ")));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(None)
    }

    pub async fn close(&self) {
        with_pool!(self, |p| p.close().await)
    }
}

/// The history table's default name.
pub const HISTORY: &str = "_driftless_migrations";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A name unique to this process and call: databases, files, folders.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// A fresh, empty database; [`Fresh::drop`] removes it.
pub struct Fresh {
    pub url: String,
    pub pool: Pool,
    server: String,
    name: String,
}

impl Fresh {
    pub async fn new(backend: Backend, server: &str) -> Res<Fresh> {
        let name = unique("rel");
        let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
        let url = match backend {
            Backend::Sqlite => format!("sqlite://{}?mode=rwc", sqlite_path(&name).display()),
            _ => {
                server_exec(backend, server, &format!("CREATE DATABASE {name}")).await?;
                format!("{base}/{name}")
            }
        };
        let pool = Pool::connect(backend, &url).await?;
        Ok(Fresh {
            url,
            pool,
            server: server.to_owned(),
            name,
        })
    }

    pub async fn drop(self) {
        self.pool.close().await;
        let backend = self.pool.backend();
        let drop = match backend {
            Backend::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            Backend::Mysql => format!("DROP DATABASE IF EXISTS {}", self.name),
            Backend::Sqlite => {
                let path = sqlite_path(&self.name);
                for ext in ["db", "db-journal", "db-wal", "db-shm"] {
                    let _ = std::fs::remove_file(path.with_extension(ext));
                }
                return;
            }
        };
        if let Err(e) = server_exec(backend, &self.server, &drop).await {
            eprintln!("warning: {e}");
        }
    }
}

/// Where a SQLite database lives: in memory (`/dev/shm`) when there is one. A kill -9 ends the
/// process, not the machine, so the page cache survives it and fsync, which costs more than
/// everything else of a run on a slow disk, decides nothing here.
fn sqlite_path(name: &str) -> PathBuf {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    };
    dir.join(format!("{name}.db"))
}

/// Runs one statement on the server's own database (creating and dropping databases).
async fn server_exec(backend: Backend, server: &str, sql: &str) -> Res<()> {
    let query = sqlx::raw_sql(AssertSqlSafe(sql.to_owned()));
    match backend {
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(server).await.ctx(server)?;
            query.execute(&mut c).await.map(drop).ctx(sql)
        }
        Backend::Mysql => {
            let mut c = sqlx::MySqlConnection::connect(server).await.ctx(server)?;
            query.execute(&mut c).await.map(drop).ctx(sql)
        }
        Backend::Sqlite => Ok(()),
    }
}

/// A migrations folder in a fresh temporary directory: locked by the core when `lock` is set
/// (a release binary refuses drafts), otherwise drafts with the dialect only.
pub fn folder(backend: Backend, files: &[(String, String)], lock: bool) -> Res<PathBuf> {
    let dir = std::env::temp_dir().join(unique("driftless_rel"));
    std::fs::create_dir_all(&dir).ctx("cannot create a folder")?;
    for (name, content) in files {
        std::fs::write(dir.join(name), content).ctx("cannot write a migration")?;
    }
    let lock_file = if lock {
        let loaded = driftless_core::loader::load(&dir).ctx("cannot read the folder")?;
        let request = LockRequest {
            dialect: Some(backend.dialect()),
            ..LockRequest::default()
        };
        lockop::lock(&loaded, &request)
            .map_err(|a| format!("cannot lock the folder: {:?}", a.diagnostics))?
            .lock
    } else {
        lockfile::LockFile::new(backend.dialect())
    };
    std::fs::write(dir.join(lockfile::FILE_NAME), lock_file.render()).ctx("cannot write")?;
    Ok(dir)
}

/// Migrations `1..=count`: migration `k` creates `t_k` and inserts one row (two statements),
/// in a transaction or, with `no_transaction`, under the intent log.
pub fn numbered(count: usize, no_transaction: bool) -> Vec<(String, String)> {
    let head = if no_transaction {
        "-- driftless: no-transaction\n"
    } else {
        ""
    };
    (1..=count)
        .map(|k| {
            (
                format!("{k:04}_t_{k}.sql"),
                format!(
                    "{head}CREATE TABLE t_{k} (id INTEGER);\nINSERT INTO t_{k} VALUES ({k});\n"
                ),
            )
        })
        .collect()
}

pub fn remove_folder(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}
