//! What `migrations!` embeds, reduced from an [`Analysis`]: the one conversion shared by the build
//! helper (which saves it in `OUT_DIR`) and the macro (which expands it).
//!
//! Not a stable API: `driftless-macros` is pinned to this crate's exact version.

use std::ops::Range;

use driftless_core::{Analysis, Code, Dialect, MigrationState, Object};

/// The embedded value of a folder, without its namespace (a macro argument) and without the SQL
/// text (the macro includes the files with `include_str!` so rustc tracks them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    /// The dialect the folder was checked for.
    pub dialect: Dialect,
    /// The migrations, ordered by version.
    pub migrations: Vec<EmbedMigration>,
    /// The objects `driftless.toml` declares owned outside the folder (drift never reports
    /// them).
    pub externs: Vec<String>,
}

/// One migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedMigration {
    /// The version.
    pub version: u64,
    /// The description part of the name.
    pub description: String,
    /// The SQL file relative to the folder, `/`-separated.
    pub path: String,
    /// SHA-256 of the content (CRLF→LF, BOM removed).
    pub checksum: [u8; 32],
    /// Draft, locked or adopted.
    pub state: MigrationState,
    /// Whether it runs in a transaction.
    pub transactional: bool,
    /// Its statements.
    pub statements: Vec<EmbedStatement>,
    /// Objects it creates that a later data-loss hazard may refer to
    /// ([`Analysis::consent_creates`]).
    pub creates: Vec<Object>,
    /// Pre-existing tables and columns it renames, `(after, before)`: the runtime follows
    /// identities through a run with them.
    pub renames: Vec<(Object, Object)>,
}

/// One statement: a byte range of the file and its data-loss hazards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedStatement {
    /// The byte range in the file.
    pub range: Range<usize>,
    /// Data-loss hazards only: the runtime asks consent for these and nothing else.
    pub hazards: Vec<EmbedHazard>,
}

/// A data-loss hazard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedHazard {
    /// The code (a data-loss code: see `Hazard::is_data_loss`).
    pub code: Code,
    /// What is lost.
    pub object: Object,
    /// The table whose emptiness waives consent.
    pub empty_table: Option<Object>,
    /// What happens.
    pub message: String,
}

impl Embed {
    /// Reduces an analysis without errors to what the macro embeds. `None` when the analysis
    /// knows no dialect (it then has a `missing-dialect` error).
    pub fn from_analysis(analysis: &Analysis) -> Option<Embed> {
        let dialect = analysis.dialect?;
        let migrations = analysis
            .migrations
            .iter()
            .zip(analysis.consent_creates())
            .map(|(m, creates)| EmbedMigration {
                version: m.version,
                description: m.description.clone(),
                path: m.path.clone(),
                checksum: m.checksum,
                state: m.state,
                transactional: m.transactional,
                statements: m
                    .statements
                    .iter()
                    .map(|s| EmbedStatement {
                        range: s.range.clone(),
                        hazards: s
                            .hazards
                            .iter()
                            .filter(|h| h.is_data_loss())
                            .map(|h| EmbedHazard {
                                code: h.code,
                                object: h.object.clone(),
                                empty_table: h.empty_table.clone(),
                                message: h.message.clone(),
                            })
                            .collect(),
                    })
                    .collect(),
                creates: creates.into_iter().cloned().collect(),
                renames: m.renames.clone(),
            })
            .collect();
        Some(Embed {
            dialect,
            migrations,
            externs: analysis.externs.clone(),
        })
    }
}
