//! `driftless adopt --from sqlx|diesel|prisma|refinery`: another tool's history taken over.

use std::process::ExitCode;

use driftless::{Adoption, Tool};
use serde_json::json;

use crate::Format;
use crate::db::{Target, connect, load, on_pool};

/// `driftless adopt`.
#[derive(clap::Args, Debug, Clone)]
pub struct AdoptArgs {
    #[command(flatten)]
    pub target: Target,
    /// The tool whose history table to adopt: sqlx, diesel, prisma or refinery.
    #[arg(long, value_parser = tool)]
    pub from: Tool,
    /// Check everything and show what would be written, without writing.
    #[arg(long)]
    pub dry_run: bool,
}

fn tool(name: &str) -> Result<Tool, String> {
    Tool::parse(name).ok_or_else(|| "expected sqlx, diesel, prisma or refinery".to_owned())
}

/// Exit 0 when adopted (or a dry run that would adopt), 1 when refused, 2 on an error.
pub async fn run(args: AdoptArgs) -> anyhow::Result<ExitCode> {
    let t = &args.target;
    if let Some(refusal) = unlocked(t)? {
        print_refusal_only(t.format, args.from, &refusal)?;
        return Ok(ExitCode::FAILURE);
    }
    let m = load(t)?;
    let db = connect(&t.database_url).await?;
    let migrator = t.migrator(&m);
    let adoption = on_pool!(db, |p| migrator
        .clone()
        .adopt(p, args.from, args.dry_run)
        .await)?;
    match t.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&to_json(&adoption))?),
        Format::Human => print_human(&adoption, &t.dir.display().to_string()),
    }
    Ok(if adoption.is_refused() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A folder that is not locked yet cannot be loaded when its lints fail, and must be adopted
/// first anyway: say so with the command, before anything else.
fn unlocked(t: &Target) -> anyhow::Result<Option<String>> {
    let folder = driftless_core::loader::load(&t.dir)
        .map_err(|e| anyhow::anyhow!("cannot read migrations folder `{}`: {e}", t.dir.display()))?;
    let analysis = driftless_core::analyze(&folder, &driftless_core::Options::default());
    let drafts: Vec<String> = analysis
        .migrations
        .iter()
        .filter(|m| m.state == driftless_core::MigrationState::Draft)
        .map(|m| m.version.to_string())
        .collect();
    let dir = t.dir.display();
    let dialect = match &analysis.dialect {
        Some(d) => d.as_str().to_owned(),
        None => guess_dialect(t.database_url.as_deref()),
    };
    if analysis.dialect.is_none() {
        return Ok(Some(format!(
            "the folder `{dir}` has no driftless.lock: lock it as adopted first with \
             `driftless lock --adopt --dialect {dialect} {dir}`, commit driftless.lock, then adopt"
        )));
    }
    // Drafts only matter when the folder cannot be loaded; otherwise the runtime names the
    // ones the old tool applied (drafts after them are new migrations).
    if analysis.has_errors() && !drafts.is_empty() {
        return Ok(Some(format!(
            "migration(s) {} of `{dir}` are not locked: lock the folder as adopted first with \
             `driftless lock --adopt {dir}`, commit driftless.lock, then adopt",
            drafts.join(", ")
        )));
    }
    Ok(None)
}

fn guess_dialect(url: Option<&str>) -> String {
    let url = url
        .map(str::to_owned)
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .unwrap_or_default();
    match url.split(':').next().unwrap_or("") {
        "postgres" | "postgresql" => "postgres",
        "mysql" | "mariadb" => "mysql",
        "sqlite" => "sqlite",
        _ => "<postgres|mysql|sqlite>",
    }
    .to_owned()
}

fn print_refusal_only(format: Format, tool: Tool, refusal: &str) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            let value = json!({
                "tool": tool.as_str(),
                "table": tool.table(),
                "dry_run": false,
                "written": false,
                "migrations": [],
                "pending": [],
                "refusals": [refusal],
            });
            println!("{}", serde_json::to_string_pretty(&value)?);
        }
        Format::Human => {
            println!("refused, nothing written:");
            println!("  {refusal}");
        }
    }
    Ok(())
}

fn to_json(a: &Adoption) -> serde_json::Value {
    let migrations: Vec<_> = a
        .migrations
        .iter()
        .map(|m| {
            json!({
                "version": m.version,
                "name": m.name,
                "path": m.path,
                "applied_at": m.applied_at,
                "verification": m.verification.as_str(),
                "detail": m.verification.detail(),
                "already_recorded": m.already_recorded,
            })
        })
        .collect();
    json!({
        "tool": a.tool.as_str(),
        "table": a.table,
        "dry_run": a.dry_run,
        "written": a.written,
        "migrations": migrations,
        "pending": a.pending,
        "refusals": a.refusals,
    })
}

fn print_human(a: &Adoption, dir: &str) {
    println!(
        "{}{}'s history (`{}`): {} applied migration(s)",
        if a.dry_run { "dry run: " } else { "" },
        a.tool,
        a.table,
        a.migrations.len()
    );
    for m in &a.migrations {
        let mut line = format!("  {} {}", m.version, m.name);
        if let Some(path) = &m.path {
            line.push_str(&format!(" ({path})"));
        }
        line.push_str(&format!(": checksum {}", m.verification.as_str()));
        if let Some(detail) = m.verification.detail() {
            line.push_str(&format!(" ({detail})"));
        }
        if let Some(at) = &m.applied_at {
            line.push_str(&format!("; applied {at}"));
        }
        if m.already_recorded {
            line.push_str("; already recorded");
        }
        println!("{line}");
    }
    if !a.pending.is_empty() {
        let list: Vec<String> = a.pending.iter().map(u64::to_string).collect();
        println!(
            "not applied by {}: {} (pending for driftless)",
            a.tool,
            list.join(", ")
        );
    }
    let new = a.migrations.iter().filter(|m| !m.already_recorded).count();
    if a.is_refused() {
        println!("refused, nothing written:");
        for r in &a.refusals {
            println!("  - {r}");
        }
    } else if a.dry_run {
        println!(
            "would record {new} migration(s) as applied (marked `{}`) and the summary; nothing \
             was written. Run again without --dry-run to adopt.",
            a.tool.marker()
        );
    } else if a.written {
        println!(
            "adopted: {new} migration(s) recorded as applied (marked `{}`); {}'s table is \
             untouched. `driftless status {dir}` shows the history.",
            a.tool.marker(),
            a.tool
        );
    } else {
        println!("nothing to do: driftless's history already records every migration");
    }
}
