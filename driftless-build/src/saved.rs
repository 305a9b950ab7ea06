//! The analysis file the build helper leaves in `OUT_DIR` for the macro: an [`Embed`] plus the
//! SHA-256 of every file it was computed from, so the macro can tell cheaply whether it is fresh.
//!
//! The format is plain text, one record per line; strings are length-prefixed (`5:hello`) so
//! they may hold any character, and `-` stands for an absent optional value:
//!
//! ```text
//! driftless-analysis 1
//! dialect postgres
//! externs 1
//! 6:auth.*
//! files 2
//! 14:driftless.lock 9f86d0…
//! 21:0001_create_users.sql 3e23e8…
//! migrations 1
//! migration 1 12:create_users 21:0001_create_users.sql 3e23e8… locked 1 1 1
//! statement 0 40 0
//! object table - 5:users -
//! ```
//!
//! A statement line is followed by its hazards (`hazard <code> <object> <object or -> <message>`),
//! a migration's statements by its `creates` objects. Anything unexpected makes the file unusable,
//! and the macro then analyses the folder itself: a corrupt or foreign file is never trusted.

use std::fmt::Write as _;

use driftless_core::checksum::{from_hex, sha256, to_hex};
use driftless_core::{Code, Dialect, Folder, MigrationState, Object, ObjectKind};

use crate::embed::{Embed, EmbedHazard, EmbedMigration, EmbedStatement};

const MAGIC: &str = "driftless-analysis";
const VERSION: &str = "3";

/// A saved analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    /// Every file of the folder with the SHA-256 of its bytes, sorted by path.
    pub files: Vec<(String, [u8; 32])>,
    /// What the macro embeds.
    pub embed: Embed,
}

impl Saved {
    /// Records `embed` as computed from `folder`.
    pub fn new(folder: &Folder, embed: Embed) -> Saved {
        Saved {
            files: fingerprint(folder),
            embed,
        }
    }

    /// Whether `folder` holds exactly the files this was computed from, and a macro given
    /// `dialect` would reach the same verdict.
    ///
    /// Hashing every file is cheap next to splitting and replaying them, which is what the saved
    /// analysis spares the macro.
    pub fn is_fresh(&self, folder: &Folder, dialect: Option<Dialect>) -> bool {
        dialect.is_none_or(|d| d == self.embed.dialect) && fingerprint(folder) == self.files
    }

    /// The file's text.
    pub fn to_text(&self) -> String {
        let mut out = format!("{MAGIC} {VERSION}\n");
        let _ = writeln!(out, "dialect {}", self.embed.dialect);
        let _ = writeln!(out, "externs {}", self.embed.externs.len());
        for e in &self.embed.externs {
            let _ = writeln!(out, "{}", string(e));
        }
        let _ = writeln!(out, "files {}", self.files.len());
        for (path, hash) in &self.files {
            let _ = writeln!(out, "{} {}", string(path), to_hex(hash));
        }
        let _ = writeln!(out, "migrations {}", self.embed.migrations.len());
        for m in &self.embed.migrations {
            let state = match m.state {
                MigrationState::Draft => "draft",
                MigrationState::Locked => "locked",
                MigrationState::Adopted => "adopted",
            };
            let _ = writeln!(
                out,
                "migration {} {} {} {} {state} {} {} {} {}",
                m.version,
                string(&m.description),
                string(&m.path),
                to_hex(&m.checksum),
                u8::from(m.transactional),
                m.statements.len(),
                m.creates.len(),
                m.renames.len(),
            );
            for s in &m.statements {
                let _ = writeln!(
                    out,
                    "statement {} {} {}",
                    s.range.start,
                    s.range.end,
                    s.hazards.len()
                );
                for h in &s.hazards {
                    let _ = writeln!(
                        out,
                        "hazard {} {} {} {}",
                        h.code,
                        object(&h.object),
                        h.empty_table.as_ref().map_or("-".to_owned(), object),
                        string(&h.message),
                    );
                }
            }
            for o in &m.creates {
                let _ = writeln!(out, "object {}", object(o));
            }
            for (to, from) in &m.renames {
                let _ = writeln!(out, "rename {} {}", object(to), object(from));
            }
        }
        out
    }

    /// Parses a file written by [`Saved::to_text`]; `None` if it is anything else.
    pub fn parse(text: &str) -> Option<Saved> {
        let mut r = Reader { rest: text };
        r.expect(MAGIC)?;
        r.expect(VERSION)?;
        r.expect("dialect")?;
        let dialect: Dialect = r.word()?.parse().ok()?;
        r.expect("externs")?;
        let mut externs = Vec::new();
        for _ in 0..r.number()? {
            externs.push(r.string()?);
        }
        r.expect("files")?;
        let mut files = Vec::new();
        for _ in 0..r.number()? {
            files.push((r.string()?, from_hex(r.word()?)?));
        }
        r.expect("migrations")?;
        let mut migrations = Vec::new();
        for _ in 0..r.number()? {
            r.expect("migration")?;
            let version = r.number()?;
            let description = r.string()?;
            let path = r.string()?;
            let checksum = from_hex(r.word()?)?;
            let state = match r.word()? {
                "draft" => MigrationState::Draft,
                "locked" => MigrationState::Locked,
                "adopted" => MigrationState::Adopted,
                _ => return None,
            };
            let transactional = match r.word()? {
                "0" => false,
                "1" => true,
                _ => return None,
            };
            let statement_count = r.number()?;
            let creates_count = r.number()?;
            let renames_count = r.number()?;
            let mut statements = Vec::new();
            for _ in 0..statement_count {
                r.expect("statement")?;
                let start = usize::try_from(r.number()?).ok()?;
                let end = usize::try_from(r.number()?).ok()?;
                let mut hazards = Vec::new();
                for _ in 0..r.number()? {
                    r.expect("hazard")?;
                    hazards.push(EmbedHazard {
                        code: Code::from_name(r.word()?)?,
                        object: r.object()?,
                        empty_table: if r.peek_absent() {
                            None
                        } else {
                            Some(r.object()?)
                        },
                        message: r.string()?,
                    });
                }
                statements.push(EmbedStatement {
                    range: start..end,
                    hazards,
                });
            }
            let mut creates = Vec::new();
            for _ in 0..creates_count {
                r.expect("object")?;
                creates.push(r.object()?);
            }
            let mut renames = Vec::new();
            for _ in 0..renames_count {
                r.expect("rename")?;
                renames.push((r.object()?, r.object()?));
            }
            migrations.push(EmbedMigration {
                version,
                description,
                path,
                checksum,
                state,
                transactional,
                statements,
                creates,
                renames,
            });
        }
        r.word().is_none().then_some(Saved {
            files,
            embed: Embed {
                dialect,
                migrations,
                externs,
            },
        })
    }
}

/// Every file of the folder with the SHA-256 of its raw bytes (not the line-ending-insensitive
/// migration checksum: statement ranges depend on the exact bytes).
fn fingerprint(folder: &Folder) -> Vec<(String, [u8; 32])> {
    folder
        .files
        .iter()
        .map(|f| (f.path.clone(), sha256(&f.content)))
        .collect()
}

fn string(s: &str) -> String {
    format!("{}:{s}", s.len())
}

fn optional(s: Option<&str>) -> String {
    s.map_or("-".to_owned(), string)
}

fn object(o: &Object) -> String {
    format!(
        "{} {} {} {}",
        o.kind.as_str(),
        optional(o.schema.as_deref()),
        string(&o.name),
        optional(o.column.as_deref()),
    )
}

/// A cursor over whitespace-separated words and length-prefixed strings.
struct Reader<'a> {
    rest: &'a str,
}

impl<'a> Reader<'a> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start_matches([' ', '\n']);
    }

    fn word(&mut self) -> Option<&'a str> {
        self.skip_space();
        let end = self.rest.find([' ', '\n']).unwrap_or(self.rest.len());
        if end == 0 {
            return None;
        }
        let (word, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(word)
    }

    fn expect(&mut self, word: &str) -> Option<()> {
        (self.word()? == word).then_some(())
    }

    fn number(&mut self) -> Option<u64> {
        self.word()?.parse().ok()
    }

    fn peek_absent(&mut self) -> bool {
        self.skip_space();
        if self.rest.starts_with("- ") || self.rest.starts_with("-\n") {
            self.rest = &self.rest[1..];
            true
        } else {
            false
        }
    }

    fn string(&mut self) -> Option<String> {
        self.skip_space();
        let colon = self.rest.find(':')?;
        let len: usize = self.rest[..colon].parse().ok()?;
        let value = self.rest.get(colon + 1..colon + 1 + len)?;
        self.rest = &self.rest[colon + 1 + len..];
        Some(value.to_owned())
    }

    fn optional(&mut self) -> Option<Option<String>> {
        if self.peek_absent() {
            Some(None)
        } else {
            self.string().map(Some)
        }
    }

    fn object(&mut self) -> Option<Object> {
        let kind = match self.word()? {
            "schema" => ObjectKind::Schema,
            "table" => ObjectKind::Table,
            "column" => ObjectKind::Column,
            "view" => ObjectKind::View,
            "index" => ObjectKind::Index,
            "type" => ObjectKind::Type,
            "sequence" => ObjectKind::Sequence,
            _ => return None,
        };
        Some(Object {
            kind,
            schema: self.optional()?,
            name: self.string()?,
            column: self.optional()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Saved {
        let folder = Folder::from_files([
            ("0001_a b.sql", "CREATE TABLE t (id int);\n"),
            ("driftless.lock", "x"),
        ]);
        let table = Object::new(ObjectKind::Table, Some("odd schema"), "t\nwith newline");
        Saved::new(
            &folder,
            Embed {
                dialect: Dialect::Postgres,
                migrations: vec![EmbedMigration {
                    version: 1,
                    description: "a b".into(),
                    path: "0001_a b.sql".into(),
                    checksum: [7; 32],
                    state: MigrationState::Adopted,
                    transactional: false,
                    statements: vec![
                        EmbedStatement {
                            range: 0..23,
                            hazards: vec![EmbedHazard {
                                code: Code::DropColumn,
                                object: Object::column(None, "t", "-"),
                                empty_table: Some(table.clone()),
                                message: "dropping column `t.-` loses its data".into(),
                            }],
                        },
                        EmbedStatement {
                            range: 24..30,
                            hazards: vec![],
                        },
                    ],
                    creates: vec![table, Object::column(None, "t", "id")],
                    renames: vec![(
                        Object::new(ObjectKind::Table, None, "t2"),
                        Object::new(ObjectKind::Table, None, "t"),
                    )],
                }],
                externs: vec!["auth.*".into(), "odd \"extern\"\n".into()],
            },
        )
    }

    #[test]
    fn round_trips_any_string() {
        let saved = sample();
        assert_eq!(Saved::parse(&saved.to_text()), Some(saved));
    }

    #[test]
    fn rejects_truncated_or_foreign_text() {
        let text = sample().to_text();
        for cut in [0, 10, text.len() / 2, text.len() - 3] {
            assert_eq!(Saved::parse(&text[..cut]), None, "cut at {cut}");
        }
        assert_eq!(Saved::parse(&format!("{text}extra")), None);
        assert_eq!(
            Saved::parse(&text.replace("driftless-analysis 3", "driftless-analysis 2")),
            None
        );
    }

    #[test]
    fn freshness_follows_every_byte_and_the_dialect() {
        let saved = sample();
        let same = Folder::from_files([
            ("0001_a b.sql", "CREATE TABLE t (id int);\n"),
            ("driftless.lock", "x"),
        ]);
        assert!(saved.is_fresh(&same, None));
        assert!(saved.is_fresh(&same, Some(Dialect::Postgres)));
        assert!(!saved.is_fresh(&same, Some(Dialect::Sqlite)));
        let crlf = Folder::from_files([
            ("0001_a b.sql", "CREATE TABLE t (id int);\r\n"),
            ("driftless.lock", "x"),
        ]);
        assert!(!saved.is_fresh(&crlf, None));
        let added = Folder::from_files([
            ("0001_a b.sql", "CREATE TABLE t (id int);\n"),
            ("0002_b.sql", ""),
            ("driftless.lock", "x"),
        ]);
        assert!(!saved.is_fresh(&added, None));
    }
}
