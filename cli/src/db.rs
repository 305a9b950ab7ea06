//! `driftless status | drift | diff | plan | resolve | baseline`: a database's history against a
//! folder; the pool handling `migrate` and `revert` share.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use driftless::Migrations;
use serde_json::json;

use crate::Format;

/// Where the database and the migrations are.
#[derive(clap::Args, Debug, Clone)]
pub struct Target {
    /// The database URL (postgres://, mysql://, mariadb://, sqlite:); defaults to the
    /// DATABASE_URL environment variable.
    #[arg(long)]
    pub database_url: Option<String>,
    /// The migrations folder.
    #[arg(default_value = "migrations")]
    pub dir: PathBuf,
    /// The namespace of the migrations (a library's name); the application's by default.
    #[arg(long, default_value = "", value_parser = namespace)]
    pub namespace: String,
    /// The history table.
    #[arg(long, default_value = "_driftless_migrations", value_parser = identifier)]
    pub table: String,
    /// The history table's schema (PostgreSQL schema, MySQL database); by default the
    /// connection's current one.
    #[arg(long, value_parser = identifier)]
    pub schema: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// `driftless status`.
#[derive(clap::Args, Debug, Clone)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: Target,
}

/// `driftless plan`.
#[derive(clap::Args, Debug, Clone)]
pub struct PlanArgs {
    #[command(flatten)]
    pub target: Target,
    /// Consent to a destructive migration, as `[namespace:]version` (repeatable); also read from
    /// DRIFTLESS_ALLOW_DESTRUCTIVE.
    #[arg(long, value_name = "VERSION")]
    pub consent: Vec<String>,
}

/// `driftless resolve`.
#[derive(clap::Args, Debug, Clone)]
#[group(required = true, multiple = false, id = "resolution")]
pub struct ResolveArgs {
    #[command(flatten)]
    pub target: Target,
    /// The failed or interrupted migration was undone: run it again on the next deploy.
    #[arg(long, value_name = "VERSION", group = "resolution")]
    pub rolled_back: Option<u64>,
    /// The failed or interrupted migration's changes are complete: record it as applied.
    #[arg(long, value_name = "VERSION", group = "resolution")]
    pub applied: Option<u64>,
}

/// `driftless baseline`.
#[derive(clap::Args, Debug, Clone)]
pub struct BaselineArgs {
    #[command(flatten)]
    pub target: Target,
    /// Record every migration up to this version as applied, without running it.
    #[arg(long)]
    pub version: u64,
}

fn identifier(name: &str) -> Result<String, String> {
    if driftless::__private::valid_identifier(name) {
        Ok(name.to_owned())
    } else {
        Err(
            "use ASCII letters, digits, `_` and `$`, not starting with a digit, at most 63 bytes"
                .to_owned(),
        )
    }
}

fn namespace(name: &str) -> Result<String, String> {
    if driftless::__private::valid_namespace(name) {
        Ok(name.to_owned())
    } else {
        Err("use ASCII letters, digits, `_`, `-` and `.`, at most 63 bytes".to_owned())
    }
}

impl Target {
    /// The options that locate the history, on a migrator of `m`.
    pub(crate) fn migrator<'m>(&self, m: &'m Migrations) -> driftless::Migrator<'m> {
        let migrator = m.migrator().table(&self.table);
        match &self.schema {
            Some(schema) => migrator.schema(schema),
            None => migrator,
        }
    }
}

/// A pool of the database the URL names.
pub(crate) enum Db {
    Pg(sqlx::PgPool),
    My(sqlx::MySqlPool),
    Lite(sqlx::SqlitePool),
}

/// Calls `$m.$method($pool, ...)` on whichever pool `$db` holds.
macro_rules! on_pool {
    ($db:expr, |$p:ident| $body:expr) => {
        match &$db {
            $crate::db::Db::Pg($p) => $body,
            $crate::db::Db::My($p) => $body,
            $crate::db::Db::Lite($p) => $body,
        }
    };
}
pub(crate) use on_pool;

pub(crate) async fn connect(url: &Option<String>) -> anyhow::Result<Db> {
    // Read here rather than through clap's `env` feature, which the workspace does not enable.
    let url = match url {
        Some(url) => url.clone(),
        None => std::env::var("DATABASE_URL")
            .context("no database: pass --database-url URL or set DATABASE_URL")?,
    };
    let url = url.as_str();
    let scheme = url.split(':').next().unwrap_or("");
    let context = || "cannot connect to the database".to_owned();
    Ok(match scheme {
        "postgres" | "postgresql" => {
            Db::Pg(sqlx::PgPool::connect(url).await.with_context(context)?)
        }
        "mysql" | "mariadb" => {
            let url = url.replacen("mariadb:", "mysql:", 1);
            Db::My(sqlx::MySqlPool::connect(&url).await.with_context(context)?)
        }
        "sqlite" => Db::Lite(sqlx::SqlitePool::connect(url).await.with_context(context)?),
        _ => bail!(
            "unsupported database URL scheme `{scheme}` (expected postgres, mysql, mariadb or sqlite)"
        ),
    })
}

pub(crate) fn load(target: &Target) -> anyhow::Result<Migrations> {
    let m = Migrations::load(&target.dir)?;
    Ok(m.with_namespace(target.namespace.clone()))
}

/// Prints the history against the folder; exits 1 when an operator should look before the next
/// deploy ([`driftless::Status::needs_attention`]).
pub async fn run_status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let t = &args.target;
    let m = load(t)?;
    let db = connect(&t.database_url).await?;
    let status = on_pool!(db, |p| t.migrator(&m).status(p).await)?;
    let blocked = status.needs_attention();
    match t.format {
        Format::Json => {
            let failed: Vec<_> = status
                .failed
                .iter()
                .map(|(v, s, done, total, error)| {
                    json!({"version": v, "status": s, "statements_done": done,
                           "statements_total": total, "error": error})
                })
                .collect();
            let value = json!({
                "table_exists": status.table_exists,
                "applied": status.applied,
                "pending": status.pending,
                "drafts": status.drafts,
                "out_of_order": status.out_of_order,
                "failed": failed,
                "checksum_mismatches": status.checksum_mismatches,
                "unknown_applied": status.unknown_applied,
                "drift": status.drift.as_ref().map(drift_json),
            });
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        Format::Human => {
            if !status.table_exists {
                println!("no history table yet: every migration is pending");
            }
            println!("applied: {}", list(&status.applied));
            println!("pending: {}", list(&status.pending));
            if !status.drafts.is_empty() {
                println!("drafts:  {}", list(&status.drafts));
            }
            if !status.out_of_order.is_empty() {
                println!(
                    "out of order (older than the newest applied): {}",
                    list(&status.out_of_order)
                );
            }
            for (v, s, done, total, error) in &status.failed {
                println!(
                    "{s}: migration {v} after {done} of {total} statements{}",
                    error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                );
                println!(
                    "  check the database, then `driftless resolve --rolled-back {v}` or `driftless resolve --applied {v}`"
                );
            }
            for v in &status.checksum_mismatches {
                println!("edited after it was applied: migration {v}");
            }
            for v in &status.unknown_applied {
                println!("applied but not in the folder: migration {v}");
            }
            if let Some(drift) = &status.drift {
                let r = &drift.report;
                if r.drift.is_empty() {
                    println!(
                        "drift: none ({} objects compared, {} not verified)",
                        r.compared,
                        r.unverified.len()
                    );
                } else {
                    println!("drift: {} difference(s)", r.drift.len());
                    for d in &r.drift {
                        println!("  {}", d.summary());
                    }
                    println!("  details and the SQL that reconciles them: `driftless drift`");
                }
                print_half_applied(drift);
            }
        }
    }
    Ok(if blocked {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn print_half_applied(drift: &driftless::drift::Drift) {
    for h in &drift.half_applied {
        println!(
            "half-applied: migration {} ({}): present {}; absent {}",
            h.version,
            h.path,
            words(&h.present),
            words(&h.absent)
        );
    }
}

fn words(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

fn drift_json(drift: &driftless::drift::Drift) -> serde_json::Value {
    let r = &drift.report;
    let items: Vec<_> = r
        .drift
        .iter()
        .map(|d| {
            json!({
                "kind": d.kind.as_str(),
                "object_kind": d.object_kind,
                "object": d.object,
                "aspect": d.aspect,
                "history": d.history,
                "database": d.database,
                "origin": d.origin.as_ref().map(|o| json!({"file": &*o.file, "line": o.line})),
                "to_history": d.to_history,
                "to_database": d.to_database,
            })
        })
        .collect();
    let unverified: Vec<_> = r
        .unverified
        .iter()
        .map(|u| json!({"object": u.object, "why": u.why}))
        .collect();
    let half: Vec<_> = drift
        .half_applied
        .iter()
        .map(|h| json!({"version": h.version, "path": h.path, "present": h.present, "absent": h.absent}))
        .collect();
    json!({
        "drift": items,
        "unverified": unverified,
        "compared": r.compared,
        "replayed": drift.replayed,
        "half_applied": half,
    })
}

/// Prints the drift report; exits 1 when the database and its history disagree.
pub async fn run_drift(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let t = &args.target;
    let m = load(t)?;
    let db = connect(&t.database_url).await?;
    let drift = on_pool!(db, |p| t.migrator(&m).drift(p).await)?;
    let r = &drift.report;
    match t.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&drift_json(&drift))?),
        Format::Human => {
            for d in &r.drift {
                println!("{}", d.summary());
                println!(
                    "  to match the history:
{}",
                    indent(&d.to_history)
                );
                println!(
                    "  to keep the database's version (`driftless diff`):
{}",
                    indent(&d.to_database)
                );
            }
            print_half_applied(&drift);
            for u in &r.unverified {
                println!("not verified: {}: {}", u.object, u.why);
            }
            println!(
                "{} difference(s); {} objects compared against {} applied migration(s); {} not verified",
                r.drift.len(),
                r.compared,
                drift.replayed.len(),
                r.unverified.len()
            );
        }
    }
    Ok(if drift.has_drift() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn indent(sql: &str) -> String {
    sql.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `driftless diff`.
#[derive(clap::Args, Debug, Clone)]
pub struct DiffArgs {
    #[command(flatten)]
    pub target: Target,
    /// The new migration's name (`add_email_to_users`).
    #[arg(long)]
    pub name: Option<String>,
    /// Write the migration to stdout instead of a new file.
    #[arg(long)]
    pub print: bool,
}

/// `driftless pull`.
#[derive(clap::Args, Debug, Clone)]
pub struct PullArgs {
    #[command(flatten)]
    pub target: Target,
    /// Write the schema to stdout instead of the folder's declared schema file.
    #[arg(long)]
    pub print: bool,
}

/// Writes the next draft migration: from the history's schema to `schema.sql`, or to a live
/// database with `--database-url`. Then checks the folder: data loss in it needs an `allow`.
pub async fn run_diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let t = &args.target;
    let (body, name) = match &t.database_url {
        Some(_) => {
            let m = load(t)?;
            let db = connect(&t.database_url).await?;
            let drift = on_pool!(db, |p| t.migrator(&m).drift(p).await)?;
            if !drift.has_drift() {
                println!(
                    "no drift: nothing to capture ({} objects compared, {} not verified)",
                    drift.report.compared,
                    drift.report.unverified.len()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let body = driftless::drift::migration(
                core_dialect(m.dialect()),
                &drift.report,
                &drift.history,
                &drift.database,
            );
            let header = "-- Captured by `driftless diff`: the changes made to the database outside the history.\n\
                 -- The database they came from already has them: record this migration there without\n\
                 -- running it (`driftless lock`, then `driftless baseline --version <this version>`).\n\n";
            (format!("{header}{body}"), "capture_drift")
        }
        None => {
            let folder = driftless_core::loader::load(&t.dir)
                .with_context(|| format!("cannot read `{}`", t.dir.display()))?;
            let analysis = driftless_core::analyze(&folder, &Default::default());
            let (dialect, history, declared) =
                match driftless_core::declared::schemas(&folder, &analysis) {
                    Ok(schemas) => schemas,
                    Err(diags) => {
                        for d in &diags {
                            eprintln!("{}", analysis.render(d, &t.dir.display().to_string()));
                        }
                        bail!("cannot read the declared schema");
                    }
                };
            let report = driftless_core::drift::compare(dialect, &history, &declared);
            if report.drift.is_empty() {
                println!(
                    "the migrations already make the declared schema ({} objects compared, {} not verified)",
                    report.compared,
                    report.unverified.len()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let config = std::fs::read_to_string(t.dir.join(driftless_core::config::FILE_NAME))
                .map(|text| driftless_core::config::Config::parse(&text).0)
                .unwrap_or_default();
            let (path, _) = driftless_core::declared::file_name(&config);
            let body =
                driftless_core::drift::migration_from(dialect, &report, &history, &declared, path);
            let header = "-- Written by `driftless diff` from the declared schema: what makes the history match it.\n\
                 -- Review it. Data loss stops the build until each statement is acknowledged on the\n\
                 -- line before it: `-- driftless: allow <code>: <reason>`.\n\n";
            (format!("{header}{body}"), "update_schema")
        }
    };
    if args.print {
        print!("{body}");
        return Ok(ExitCode::SUCCESS);
    }
    let name = args.name.as_deref().unwrap_or(name);
    let created = crate::folder::create(&t.dir, name, false, Some(&body))?;
    for path in &created {
        println!("created {}", path.display());
    }
    println!("checking the folder (data loss needs `-- driftless: allow`):");
    let checked = crate::folder::check(&t.dir, false, None, Format::Human, false)?;
    Ok(if checked == ExitCode::SUCCESS {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn core_dialect(dialect: driftless::Dialect) -> driftless_core::Dialect {
    match dialect {
        driftless::Dialect::Postgres => driftless_core::Dialect::Postgres,
        driftless::Dialect::Mysql => driftless_core::Dialect::Mysql,
        driftless::Dialect::Sqlite => driftless_core::Dialect::Sqlite,
    }
}

/// Writes the declared schema from a live database.
pub async fn run_pull(args: PullArgs) -> anyhow::Result<ExitCode> {
    let t = &args.target;
    let db = connect(&t.database_url).await?;
    let dialect = match &db {
        Db::Pg(_) => driftless_core::Dialect::Postgres,
        Db::My(_) => driftless_core::Dialect::Mysql,
        Db::Lite(_) => driftless_core::Dialect::Sqlite,
    };
    // The folder's migrations when it has them (for the history table's name); a new project
    // pulls before it has any.
    let mut empty = driftless_core::Analysis::default();
    empty.dialect = Some(dialect);
    let m = match Migrations::load(&t.dir) {
        Ok(m) => m.with_namespace(t.namespace.clone()),
        Err(_) => Migrations::from_analysis(&empty, &t.namespace),
    };
    let schema = on_pool!(db, |p| t.migrator(&m).introspect(p).await)?;
    let text = format!(
        "-- The declared schema: the end state the migrations must produce.\n\
         -- Written by `driftless pull`; edit it, then `driftless diff --name <what_it_does>`.\n\n{}",
        driftless_core::drift::schema_sql(dialect, &schema)
    );
    if args.print {
        print!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    let config = std::fs::read_to_string(t.dir.join(driftless_core::config::FILE_NAME))
        .map(|text| driftless_core::config::Config::parse(&text).0)
        .unwrap_or_default();
    let path = t.dir.join(driftless_core::declared::file_name(&config).0);
    std::fs::create_dir_all(&t.dir)?;
    std::fs::write(&path, text).with_context(|| format!("cannot write `{}`", path.display()))?;
    println!(
        "wrote {}: {} tables, {} views, {} enums, {} sequences",
        path.display(),
        schema.tables.len(),
        schema.views.len(),
        schema.enums.len(),
        schema.sequences.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn list(versions: &[u64]) -> String {
    if versions.is_empty() {
        return "none".to_owned();
    }
    versions
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Prints what the next deploy would run; exits 1 when it would be refused.
pub async fn run_plan(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let t = &args.target;
    let m = load(t)?;
    let db = connect(&t.database_url).await?;
    let mut migrator = t.migrator(&m).consent_env();
    for c in &args.consent {
        migrator = migrator.consent(c);
    }
    let plan = on_pool!(db, |p| migrator.clone().plan(p).await)?;
    match t.format {
        Format::Json => {
            let migrations: Vec<_> = plan
                .migrations
                .iter()
                .map(|p| {
                    json!({"version": p.version, "description": p.description,
                           "hazards": p.hazards, "needs_consent": p.needs_consent,
                           "consent": p.consent})
                })
                .collect();
            let value = json!({"migrations": migrations, "refusal": plan.refusal});
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        Format::Human => {
            if plan.migrations.is_empty() {
                println!("nothing to apply");
            }
            for p in &plan.migrations {
                let mark = if p.needs_consent {
                    " (needs consent)"
                } else if p.consent {
                    " (consent given)"
                } else {
                    ""
                };
                println!("{} {}{mark}", p.version, p.description);
                for h in &p.hazards {
                    println!("  hazard: {h}");
                }
            }
            if let Some(refusal) = &plan.refusal {
                println!("the deploy would be refused: {refusal}");
            }
        }
    }
    Ok(if plan.refusal.is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Marks a failed or interrupted migration as rolled back or applied.
pub async fn run_resolve(args: ResolveArgs) -> anyhow::Result<ExitCode> {
    let t = &args.target;
    let m = load(t)?;
    let db = connect(&t.database_url).await?;
    let migrator = t.migrator(&m);
    let (version, what) = match (args.rolled_back, args.applied) {
        (Some(v), None) => {
            on_pool!(db, |p| migrator.clone().resolve_rolled_back(p, v).await)?;
            (v, "rolled back: it runs again on the next deploy")
        }
        (None, Some(v)) => {
            on_pool!(db, |p| migrator.clone().resolve_applied(p, v).await)?;
            (v, "applied")
        }
        _ => bail!("give exactly one of --rolled-back VERSION or --applied VERSION"),
    };
    report(t.format, "resolve", version, what)
}

/// Records every migration up to a version as applied without running it.
pub async fn run_baseline(args: BaselineArgs) -> anyhow::Result<ExitCode> {
    let t = &args.target;
    let m = load(t)?;
    let db = connect(&t.database_url).await?;
    let migrator = t.migrator(&m);
    on_pool!(db, |p| migrator.clone().baseline(p, args.version).await)?;
    report(
        t.format,
        "baseline",
        args.version,
        "baselined, with every migration before it",
    )
}

fn report(format: Format, command: &str, version: u64, what: &str) -> anyhow::Result<ExitCode> {
    match format {
        Format::Json => println!(
            "{}",
            json!({"command": command, "version": version, "result": what})
        ),
        Format::Human => println!("migration {version}: {what}"),
    }
    Ok(ExitCode::SUCCESS)
}
