//! `driftless lock`: the operation that writes the lock file. It re-analyses the folder with the
//! candidate lock file, so it lives apart from the file's format (`lockfile`), which the
//! analysis reads: no import cycle between the two.

use crate::checksum;
use crate::dialect::Dialect;
use crate::lockfile::{Entry, EntryState, FILE_NAME, LockFile};

/// What `driftless lock` is asked to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockRequest {
    /// The dialect; required when the folder has no lock file yet, and must agree with it
    /// otherwise.
    pub dialect: Option<Dialect>,
    /// Lock every draft as adopted (a history that already ran in production).
    pub adopt: bool,
    /// Locked versions whose edited content is re-hashed on purpose.
    pub rehash: Vec<u64>,
}

/// The result of a successful lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockOutcome {
    /// The new lock file.
    pub lock: LockFile,
    /// Versions locked now.
    pub locked: Vec<u64>,
    /// Versions re-hashed now.
    pub rehashed: Vec<u64>,
    /// The analysis of the folder with the new lock file (warnings to show).
    pub analysis: crate::Analysis,
}

/// Computes the lock file that locks every draft (CONTRACT §3). Refuses, returning the analysis
/// that explains why, when a draft has an error diagnostic (an unacknowledged data-loss statement
/// must be acknowledged first: locking never hides a hazard), when an unlocked migration sorts
/// before a locked one, or when a locked migration was edited and not named in `rehash`.
pub fn lock(
    folder: &crate::Folder,
    request: &LockRequest,
) -> Result<LockOutcome, Box<crate::Analysis>> {
    use crate::analysis::{MigrationState, Options, analyze};
    use crate::diagnostic::{Code, Diagnostic};

    let before = analyze(
        folder,
        &Options {
            dialect: request.dialect,
            strict: Some(false),
        },
    );
    let blocking = |d: &Diagnostic| {
        d.is_error()
            && !(d.code == Code::MissingDialect && request.dialect.is_some())
            && !(d.code == Code::EditedLockedMigration
                && before.migrations.iter().any(|m| {
                    Some(m.path.as_str()) == d.file.as_deref()
                        && request.rehash.contains(&m.version)
                }))
    };
    let refuse = |analysis: crate::Analysis| Err(Box::new(analysis));
    // Errors that a new lock file cannot fix and must not hide.
    if before.diagnostics.iter().any(|d| {
        blocking(d)
            && matches!(
                d.code,
                Code::CorruptLockFile
                    | Code::DialectMismatch
                    | Code::MissingDialect
                    | Code::OutOfOrderMigration
                    | Code::EditedLockedMigration
            )
    }) {
        return refuse(before);
    }
    let Some(dialect) = before.dialect else {
        return refuse(before);
    };
    let existing = folder
        .get(FILE_NAME)
        .and_then(|f| LockFile::parse(&String::from_utf8_lossy(&f.content)).ok())
        .unwrap_or_else(|| LockFile::new(dialect));
    // The declared schema, when the folder has one, is recorded so a change to it shows in the
    // lock file's diff.
    let schema_file = before.schema_file.clone();
    let mut lock = LockFile {
        dialect,
        entries: existing.entries.clone(),
        schema: schema_file.and_then(|path| {
            let file = folder.get(&path)?;
            Some((path, checksum::checksum(&file.content)))
        }),
    };
    let mut locked = Vec::new();
    let mut rehashed = Vec::new();
    for m in &before.migrations {
        match lock.entries.iter_mut().find(|e| e.version == m.version) {
            Some(entry) if request.rehash.contains(&m.version) && entry.checksum != m.checksum => {
                entry.checksum = m.checksum;
                entry.path = m.path.clone();
                rehashed.push(m.version);
            }
            Some(_) => {}
            None if m.state == MigrationState::Draft => {
                lock.entries.push(Entry {
                    state: if request.adopt {
                        EntryState::Adopted
                    } else {
                        EntryState::Locked
                    },
                    version: m.version,
                    checksum: m.checksum,
                    path: m.path.clone(),
                });
                locked.push(m.version);
            }
            None => {}
        }
    }
    lock.entries.sort_by_key(|e| e.version);
    let mut with_lock = folder.clone();
    with_lock.files.retain(|f| f.path != FILE_NAME);
    with_lock.files.push(crate::folder::File {
        path: FILE_NAME.to_owned(),
        content: lock.render().into_bytes(),
    });
    with_lock.files.sort_by(|a, b| a.path.cmp(&b.path));
    let after = analyze(
        &with_lock,
        &Options {
            dialect: None,
            strict: Some(false),
        },
    );
    // The declared schema is checked on every build, locked or not: locking hides none of its
    // findings, so they do not block it (`driftless diff` writes the migration that fixes them,
    // and that migration is what gets locked).
    let schema_finding = |d: &Diagnostic| {
        matches!(
            d.code,
            Code::SchemaMismatch | Code::SchemaNotVerified | Code::SchemaUnlocked
        )
    };
    if after.errors().any(|d| !schema_finding(d)) {
        return refuse(after);
    }
    Ok(LockOutcome {
        lock,
        locked,
        rehashed,
        analysis: after,
    })
}
