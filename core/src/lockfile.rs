//! `driftless.lock`: the dialect and the locked migrations (CONTRACT §3).
//!
//! ```text
//! # driftless.lock sha256:<hash of every line below>; written by `driftless lock`, do not edit
//! dialect postgres
//! checksum sha256
//! locked 1 9f86d081884c7d65… 0001_create_users.sql
//! adopted 2 3e23e8160039594a… 0002_add_email.sql
//! adopted 3 a1b2c3d4e5f60718… "2019-11-15-182353_Add email notifications/up.sql"
//! ```
//!
//! A path is written as it is when it is one plain word, else in double quotes with backslash
//! escapes, so that every name a layout accepts reads back.
//!
//! The first line hashes all entries, so two branches that each lock a new migration conflict
//! in git instead of merging into a file that locks neither correctly.

use crate::checksum::{self, ALGORITHM};
use crate::dialect::Dialect;

/// The file name inside the migrations folder.
pub const FILE_NAME: &str = "driftless.lock";

const HEADER_PREFIX: &str = "# driftless.lock sha256:";
const HEADER_SUFFIX: &str = "; written by `driftless lock`, do not edit";

/// How an entry was locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryState {
    /// `driftless lock`.
    Locked,
    /// `driftless lock --adopt`: a history that already ran elsewhere; its lints are warnings.
    Adopted,
}

/// One locked migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Locked or adopted.
    pub state: EntryState,
    /// The version.
    pub version: u64,
    /// The checksum of its content.
    pub checksum: [u8; 32],
    /// The file, relative to the folder.
    pub path: String,
}

/// A path as an entry's last field: as it is when it is one plain word (so lock files written
/// before quoting existed read the same), else in double quotes with `\\`, `\"`, `\n`, `\r`,
/// `\t`, `\0` and `\u{…}` escapes. Any name a layout accepts (diesel's folders have spaces)
/// then reads back as written.
fn quote_path(path: &str) -> String {
    let plain = !path.is_empty()
        && !path.starts_with('"')
        && !path.chars().any(|c| c.is_whitespace() || c.is_control());
    if plain {
        return path.to_owned();
    }
    let mut out = String::with_capacity(path.len() + 2);
    out.push('"');
    for c in path.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The path written by [`quote_path`], or `None` if `field` is not one.
fn unquote_path(field: &str) -> Option<String> {
    let Some(quoted) = field.strip_prefix('"') else {
        return (!field.is_empty() && !field.contains(char::is_whitespace))
            .then(|| field.to_owned());
    };
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return chars.as_str().is_empty().then_some(out),
            '\\' => out.push(match chars.next()? {
                '\\' => '\\',
                '"' => '"',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                '0' => '\0',
                'u' => {
                    let rest = chars.as_str().strip_prefix('{')?;
                    let (hex, after) = rest.split_once('}')?;
                    let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                    chars = after.chars();
                    c
                }
                _ => return None,
            }),
            c => out.push(c),
        }
    }
    None
}

/// A parsed lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockFile {
    /// The folder's dialect.
    pub dialect: Dialect,
    /// Locked migrations, ordered by version.
    pub entries: Vec<Entry>,
    /// The declared schema's file and checksum when it was locked (`schema <sha256> <path>`).
    pub schema: Option<(String, [u8; 32])>,
}

/// Why a lock file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockError {
    /// The byte range of the offending line.
    pub range: std::ops::Range<usize>,
    /// What is wrong.
    pub message: String,
}

impl LockFile {
    /// An empty lock file for `dialect`.
    pub fn new(dialect: Dialect) -> LockFile {
        LockFile {
            dialect,
            entries: Vec::new(),
            schema: None,
        }
    }

    /// The newest locked version.
    pub fn newest(&self) -> Option<u64> {
        self.entries.iter().map(|e| e.version).max()
    }

    /// The entry for `version`.
    pub fn entry(&self, version: u64) -> Option<&Entry> {
        self.entries.iter().find(|e| e.version == version)
    }

    fn body(&self) -> String {
        let mut body = format!("dialect {}\nchecksum {ALGORITHM}\n", self.dialect);
        if let Some((path, hash)) = &self.schema {
            body.push_str(&format!(
                "schema {} {}\n",
                checksum::to_hex(hash),
                quote_path(path)
            ));
        }
        for e in &self.entries {
            let state = match e.state {
                EntryState::Locked => "locked",
                EntryState::Adopted => "adopted",
            };
            body.push_str(&format!(
                "{state} {} {} {}\n",
                e.version,
                checksum::to_hex(&e.checksum),
                quote_path(&e.path)
            ));
        }
        body
    }

    /// The file's text.
    pub fn render(&self) -> String {
        let body = self.body();
        let hash = checksum::to_hex(&checksum::sha256(body.as_bytes()));
        format!("{HEADER_PREFIX}{hash}{HEADER_SUFFIX}\n{body}")
    }

    /// Parses the file's text. The header hash must match the entries.
    pub fn parse(text: &str) -> Result<LockFile, LockError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = Vec::new();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            lines.push((
                offset..offset + line.trim_end().len(),
                line.trim_end_matches(['\n', '\r']),
            ));
            offset += line.len();
        }
        let err = |range: std::ops::Range<usize>, message: String| LockError { range, message };
        let Some((header_range, header)) = lines.first().cloned() else {
            return Err(err(0..0, "the lock file is empty".into()));
        };
        let hash = header
            .strip_prefix(HEADER_PREFIX)
            .and_then(|rest| rest.get(..64))
            .ok_or_else(|| {
                err(
                    header_range.clone(),
                    "the first line is not a driftless.lock header".into(),
                )
            })?;
        if lines
            .iter()
            .any(|(_, l)| l.starts_with("<<<<<<<") || l.starts_with(">>>>>>>"))
        {
            return Err(err(
                header_range,
                "the lock file holds git conflict markers".into(),
            ));
        }
        let mut dialect = None;
        let mut schema = None;
        let mut entries: Vec<Entry> = Vec::new();
        let mut body = String::new();
        for (range, line) in lines.iter().skip(1) {
            body.push_str(line);
            body.push('\n');
            // An entry's path is the rest of its line, quoted when it holds spaces.
            let mut words: Vec<&str> = Vec::new();
            let mut rest = line.trim_start();
            // `schema <sha256> <path>` has two words before its path, entries three.
            let before_path = if rest.starts_with("schema ") { 2 } else { 3 };
            while words.len() < before_path && !rest.is_empty() {
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                words.push(&rest[..end]);
                rest = rest[end..].trim_start();
            }
            let entry_path = if matches!(words.first(), Some(&("locked" | "adopted" | "schema"))) {
                unquote_path(rest.trim_end())
            } else {
                words.extend(rest.split_whitespace());
                None
            };
            if let Some(path) = &entry_path {
                words.push(path);
            }
            match words.as_slice() {
                [] => {}
                ["dialect", d] => {
                    dialect = Some(
                        d.parse::<Dialect>()
                            .map_err(|e| err(range.clone(), e.to_string()))?,
                    );
                }
                ["schema", hex, path] => {
                    let hash = checksum::from_hex(hex).ok_or_else(|| {
                        err(range.clone(), format!("`{hex}` is not a sha256 checksum"))
                    })?;
                    schema = Some(((*path).to_owned(), hash));
                }
                ["checksum", algorithm] => {
                    if *algorithm != ALGORITHM {
                        return Err(err(
                            range.clone(),
                            format!("unknown checksum algorithm `{algorithm}`"),
                        ));
                    }
                }
                [state @ ("locked" | "adopted"), version, hex, path] => {
                    let version = version
                        .parse::<u64>()
                        .map_err(|_| err(range.clone(), format!("`{version}` is not a version")))?;
                    let checksum = checksum::from_hex(hex).ok_or_else(|| {
                        err(range.clone(), format!("`{hex}` is not a sha256 checksum"))
                    })?;
                    if entries.iter().any(|e| e.version == version) {
                        return Err(err(
                            range.clone(),
                            format!("version {version} is locked twice"),
                        ));
                    }
                    let state = if *state == "locked" {
                        EntryState::Locked
                    } else {
                        EntryState::Adopted
                    };
                    entries.push(Entry {
                        state,
                        version,
                        checksum,
                        path: (*path).to_owned(),
                    });
                }
                // A line a newer driftless writes (as `schema` once was) reads as unknown here:
                // say so, rather than call the file broken.
                [word, ..] if word.chars().all(|c| c.is_ascii_lowercase() || c == '-') => {
                    return Err(err(
                        range.clone(),
                        format!(
                            "unknown line `{word} …`: the lock file may have been written by a newer driftless (upgrade this one), or edited by hand"
                        ),
                    ));
                }
                _ => return Err(err(range.clone(), format!("unexpected line `{line}`"))),
            }
        }
        let actual = checksum::to_hex(&checksum::sha256(body.as_bytes()));
        if actual != hash {
            return Err(err(
                header_range,
                "the header hash does not match the entries: the file was edited by hand or merged"
                    .into(),
            ));
        }
        let dialect = dialect.ok_or_else(|| err(0..0, "the lock file names no dialect".into()))?;
        entries.sort_by_key(|e| e.version);
        Ok(LockFile {
            dialect,
            entries,
            schema,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> LockFile {
        LockFile {
            dialect: Dialect::Postgres,
            entries: vec![
                Entry {
                    state: EntryState::Locked,
                    version: 1,
                    checksum: [1; 32],
                    path: "0001_a.sql".into(),
                },
                Entry {
                    state: EntryState::Adopted,
                    version: 2,
                    checksum: [2; 32],
                    path: "0002_b.sql".into(),
                },
            ],
            schema: Some(("schema file.sql".into(), [3; 32])),
        }
    }

    #[test]
    fn round_trips() {
        let text = sample().render();
        assert!(text.starts_with("# driftless.lock sha256:"));
        assert_eq!(LockFile::parse(&text), Ok(sample()));
        assert_eq!(LockFile::parse(&text.replace('\n', "\r\n")), Ok(sample()));
    }

    fn with_paths(paths: &[&str]) -> LockFile {
        LockFile {
            dialect: Dialect::Postgres,
            entries: paths
                .iter()
                .enumerate()
                .map(|(i, path)| Entry {
                    state: EntryState::Adopted,
                    version: i as u64 + 1,
                    checksum: [i as u8; 32],
                    path: (*path).to_owned(),
                })
                .collect(),
            schema: None,
        }
    }

    /// Any name a layout accepts is a path of the lock file: it must read back as written.
    #[test]
    fn every_name_round_trips() {
        let lock = with_paths(&[
            "2019-11-15-182353_Add email notifications to crate owners/up.sql",
            "0002_two  spaces.sql",
            "0003_tab\there.sql",
            "0004_\"quoted\".sql",
            "0005_it's.sql",
            "0006_back\\slash.sql",
            "0007_#hash.sql",
            "0008_ünïcödé_😀.sql",
            "0009_new\nline.sql",
            "0010_cr\rx.sql",
            "0011_nbsp\u{a0}x.sql",
            "0012_ends with space .sql",
            "\"0013_starts_with_a_quote.sql",
            "0014_nul\0.sql",
            "0015_line\u{2028}separator.sql",
            "0016_plain.sql",
        ]);
        let text = lock.render();
        assert_eq!(LockFile::parse(&text), Ok(lock.clone()), "{text}");
        assert_eq!(
            LockFile::parse(&text.replace('\n', "\r\n")),
            Ok(lock),
            "CRLF line endings"
        );
        // Plain names are written as before, so existing lock files do not change.
        assert!(text.ends_with(" 0016_plain.sql\n"), "{text}");
        assert!(
            text.contains(
                " \"2019-11-15-182353_Add email notifications to crate owners/up.sql\"\n"
            )
        );
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #[test]
        fn any_path_round_trips(
            paths in proptest::collection::vec(
                proptest::collection::vec(proptest::arbitrary::any::<char>(), 0..12)
                    .prop_map(String::from_iter),
                1..4,
            )
        ) {
            let lock = with_paths(&paths.iter().map(String::as_str).collect::<Vec<_>>());
            proptest::prop_assert_eq!(LockFile::parse(&lock.render()), Ok(lock));
        }
    }

    #[test]
    fn a_hand_edit_or_merge_breaks_the_header_hash() {
        let text = sample().render().replace("0002_b.sql", "0002_c.sql");
        let e = LockFile::parse(&text).unwrap_err();
        assert!(e.message.contains("header hash"), "{e:?}");
        let mut two = sample();
        two.entries.push(Entry {
            state: EntryState::Locked,
            version: 3,
            checksum: [3; 32],
            path: "3_c.sql".into(),
        });
        // Two branches each appending their own entry change the first line too: git conflicts.
        assert_ne!(
            sample().render().lines().next(),
            two.render().lines().next()
        );
    }

    #[test]
    fn garbage_is_an_error_with_a_line() {
        assert!(LockFile::parse("").is_err());
        assert!(LockFile::parse("hello\n").is_err());
        let text = sample().render() + "<<<<<<< HEAD\n";
        assert!(
            LockFile::parse(&text)
                .unwrap_err()
                .message
                .contains("conflict")
        );
    }

    #[test]
    fn a_line_from_a_newer_driftless_says_so() {
        let text = sample().render();
        let (header, body) = text.split_once('\n').unwrap();
        let body = format!("{body}retention 30d\n");
        let hash = checksum::to_hex(&checksum::sha256(body.as_bytes()));
        let header = header.replacen(&header[HEADER_PREFIX.len()..][..64], &hash, 1);
        let error = LockFile::parse(&format!("{header}\n{body}")).unwrap_err();
        assert!(
            error.message.contains("newer driftless"),
            "{}",
            error.message
        );
        assert_eq!(&format!("{header}\n{body}")[error.range], "retention 30d");
    }
}
