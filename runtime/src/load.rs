//! Building a [`Migrations`] value at run time from a folder, through `driftless-core` (the CLI
//! and tests; services embed the value with `migrations!`).

use std::borrow::Cow;
use std::path::Path;

use crate::error::{Error, ErrorKind};
use crate::migrations::{
    Dialect, Down, Hazard, Migration, MigrationState, Migrations, ObjectKind, ObjectName,
};

impl Migrations {
    /// Loads and analyses a migrations folder, refusing it when the analysis has errors.
    pub fn load(dir: impl AsRef<Path>) -> Result<Migrations, Error> {
        let dir = dir.as_ref();
        let folder = driftless_core::loader::load(dir).map_err(|e| {
            Error::new(
                ErrorKind::Load,
                format!("cannot read migrations folder `{}`: {e}", dir.display()),
            )
        })?;
        let analysis = driftless_core::analyze(&folder, &driftless_core::Options::default());
        if analysis.has_errors() {
            let shown = dir.display().to_string();
            let rendered: Vec<String> = analysis
                .errors()
                .map(|d| analysis.render(d, &shown))
                .collect();
            return Err(Error::new(
                ErrorKind::Load,
                format!(
                    "migrations folder `{shown}` has errors; see `driftless check {shown}`\n{}",
                    rendered.join("\n")
                ),
            ));
        }
        let mut migrations = Migrations::from_analysis(&analysis, "");
        // The down files, for reverting: the loader read them with the rest of the folder.
        migrations.downs = Some(
            analysis
                .migrations
                .iter()
                .filter_map(|m| {
                    let path = m.down.as_ref()?;
                    let sql = folder
                        .get(path)
                        .and_then(|f| String::from_utf8(f.content.clone()).ok());
                    Some(Down {
                        version: m.version,
                        path: path.clone(),
                        sql,
                    })
                })
                .collect(),
        );
        Ok(migrations)
    }

    /// Converts an analysis into the embedded value, field by field, as `migrations!` does. Only
    /// data-loss hazards are kept: they are what consent is about.
    pub fn from_analysis(analysis: &driftless_core::Analysis, namespace: &str) -> Migrations {
        let dialect = match analysis.dialect {
            Some(driftless_core::Dialect::Postgres) => Dialect::Postgres,
            Some(driftless_core::Dialect::Mysql) => Dialect::Mysql,
            Some(driftless_core::Dialect::Sqlite) | None => Dialect::Sqlite,
        };
        let migrations = analysis
            .migrations
            .iter()
            .zip(analysis.consent_creates())
            .map(|(m, creates)| migration(m, &creates))
            .collect::<Vec<_>>();
        Migrations {
            namespace: Cow::Owned(namespace.to_owned()),
            dialect,
            debug_assertions: cfg!(debug_assertions),
            migrations: Cow::Owned(migrations),
            externs: analysis
                .externs
                .iter()
                .map(|e| Cow::Owned(e.clone()))
                .collect(),
            downs: None,
        }
    }
}

fn migration(m: &driftless_core::Migration, creates: &[&driftless_core::Object]) -> Migration {
    Migration {
        version: m.version,
        description: Cow::Owned(m.description.clone()),
        path: Cow::Owned(m.path.clone()),
        sql: Cow::Owned(m.sql.clone()),
        checksum: m.checksum,
        state: match m.state {
            driftless_core::MigrationState::Draft => MigrationState::Draft,
            driftless_core::MigrationState::Locked => MigrationState::Locked,
            driftless_core::MigrationState::Adopted => MigrationState::Adopted,
        },
        transactional: m.transactional,
        ranges: Cow::Owned(
            m.statements
                .iter()
                .map(|s| (s.range.start, s.range.end))
                .collect(),
        ),
        hazards: Cow::Owned(
            m.statements
                .iter()
                .enumerate()
                .flat_map(|(i, s)| s.hazards.iter().map(move |h| (i, h)))
                .filter(|(_, h)| h.is_data_loss())
                .map(|(statement, h)| Hazard {
                    statement,
                    code: Cow::Borrowed(h.code.as_str()),
                    object: object(&h.object),
                    empty_table: h.empty_table.as_ref().map(object),
                    message: Cow::Owned(h.message.clone()),
                })
                .collect(),
        ),
        creates: Cow::Owned(creates.iter().map(|o| object(o)).collect()),
        renames: Cow::Owned(
            m.renames
                .iter()
                .map(|(to, from)| (object(to), object(from)))
                .collect(),
        ),
    }
}

pub(crate) fn object(o: &driftless_core::Object) -> ObjectName {
    use driftless_core::ObjectKind as K;
    ObjectName {
        kind: match o.kind {
            K::Schema => ObjectKind::Schema,
            K::Table => ObjectKind::Table,
            K::Column => ObjectKind::Column,
            K::View => ObjectKind::View,
            K::Index => ObjectKind::Index,
            K::Type => ObjectKind::Type,
            K::Sequence => ObjectKind::Sequence,
        },
        schema: o.schema.clone().map(Cow::Owned),
        name: Cow::Owned(o.name.clone()),
        column: o.column.clone().map(Cow::Owned),
    }
}
