//! Migration layouts and file names (CONTRACT §2): which files are migrations, their versions,
//! and the errors for files that look like migrations but fit no layout.

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::folder::Folder;

/// How a folder lays out its migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layout {
    /// `<version>_<description>.sql`.
    Flat,
    /// sqlx reversible: `<version>_<description>.up.sql` and `.down.sql`.
    Reversible,
    /// Prisma: `<version>_<description>/migration.sql`.
    Prisma,
    /// diesel: `<version>_<description>/up.sql` (+ `down.sql`, `metadata.toml`).
    Diesel,
}

impl Layout {
    /// A short name for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Layout::Flat => "flat (<version>_<name>.sql)",
            Layout::Reversible => "sqlx reversible (<version>_<name>.up.sql)",
            Layout::Prisma => "Prisma (<version>_<name>/migration.sql)",
            Layout::Diesel => "diesel (<version>_<name>/up.sql)",
        }
    }
}

/// Files of the folder that are not migrations and never need ignoring.
pub const TOOL_FILES: &[&str] = &["driftless.lock", "driftless.toml", "migration_lock.toml"];

/// A migration file found in the folder, before its content is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The version.
    pub version: u64,
    /// The version as written (`0001`, `2024-01-01-000000`).
    pub version_text: String,
    /// The description.
    pub description: String,
    /// The SQL file to run, relative to the folder.
    pub path: String,
    /// The layout.
    pub layout: Layout,
    /// The down file, if any.
    pub down: Option<String>,
    /// diesel's `metadata.toml` says `run_in_transaction = false`.
    pub no_transaction: bool,
}

/// The largest version: the runtime's history table stores versions as `BIGINT`.
pub const MAX_VERSION: u64 = i64::MAX as u64;

/// Splits `<version>_<description>` into its parts. Dashes in the version are allowed only for
/// folder layouts (diesel's `2024-01-01-000000_name`) and dropped before ordering.
fn parse_name(stem: &str, allow_dashes: bool) -> Option<(u64, String, String)> {
    let (version_text, description) = stem.split_once('_')?;
    if version_text.is_empty() || description.is_empty() {
        return None;
    }
    let ok_char = |c: char| c.is_ascii_digit() || (allow_dashes && c == '-');
    if !version_text.chars().all(ok_char) || !version_text.starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let digits: String = version_text.chars().filter(char::is_ascii_digit).collect();
    // Too many digits for a u64 is too large a version, not a misnamed file: `classify` says so.
    let version = digits.parse::<u64>().unwrap_or(u64::MAX);
    Some((version, version_text.to_owned(), description.to_owned()))
}

/// diesel's generated setup migration has version 0; diesel runs it, so a diesel history
/// includes it. It is the only version 0 accepted.
fn is_diesel_setup(dir: &str) -> bool {
    dir.ends_with("_diesel_initial_setup") && dir.starts_with("00000000000000")
}

/// Whether the last component of `path` (a folder's ends with `/`) is hidden.
fn is_hidden(path: &str) -> bool {
    let trimmed = path.trim_end_matches('/');
    trimmed
        .rsplit('/')
        .next()
        .unwrap_or(trimmed)
        .starts_with('.')
}

/// The warning for a hidden file or folder whose name, without its leading dots, is a
/// migration's (`.0001_x.sql`, `.20240101_init/`, `1_a/.up.sql`); `None` for the rest (`.git/`,
/// `.DS_Store`, editor files such as `.0001_x.sql.swp` or `.#0001_x.sql`).
fn hidden_migration(path: &str) -> Option<Diagnostic> {
    let is_dir = path.ends_with('/');
    let trimmed = path.trim_end_matches('/');
    let (parent, name) = match trimmed.rsplit_once('/') {
        Some((parent, name)) => (Some(parent), name),
        None => (None, trimmed),
    };
    let shown = name.trim_start_matches('.');
    let looks_like_migration = if is_dir {
        parent.is_none() && parse_name(shown, true).is_some()
    } else {
        match (parent, shown.strip_suffix(".sql")) {
            (_, None) => false,
            (None, Some(stem)) => {
                let stem = stem
                    .strip_suffix(".up")
                    .or_else(|| stem.strip_suffix(".down"))
                    .unwrap_or(stem);
                parse_name(stem, false).is_some()
            }
            (Some(_), Some(stem)) => matches!(stem, "migration" | "up"),
        }
    };
    if !looks_like_migration {
        return None;
    }
    let visible = match parent {
        Some(parent) => format!("{parent}/{shown}"),
        None => shown.to_owned(),
    };
    let what = if is_dir { "folder" } else { "file" };
    Some(
        Diagnostic::new(
            Code::UnreadFile,
            format!("{what} `{trimmed}` looks like a migration but is hidden, so it never runs"),
        )
        .in_file(trimmed)
        .help(format!(
            "rename it to `{visible}` if it should run, or delete it; to keep it on purpose, list `{name}` under `ignore` in driftless.toml"
        )),
    )
}

/// Classifies the folder's files. `ignore` holds file names from `driftless.toml`.
pub fn classify(folder: &Folder, ignore: &[String]) -> (Vec<Found>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut found: Vec<Found> = Vec::new();
    let misnamed = |path: &str, message: String, help: &str| {
        Diagnostic::new(Code::MisnamedMigration, message)
            .in_file(path)
            .help(help)
    };
    const NAME_HELP: &str = "name migrations `<version>_<description>.sql` with a positive integer version (`driftless new <description>` picks the next one), or list the file under `ignore` in driftless.toml";
    let too_large = |path: &str, version_text: &str| {
        let digits: String = version_text.chars().filter(char::is_ascii_digit).collect();
        misnamed(
            path,
            format!(
                "`{path}` has version {}, larger than {MAX_VERSION}, the largest version the history table stores",
                digits.trim_start_matches('0')
            ),
            "give it a smaller version (`driftless new <description>` picks the next one); versions only need to sort, so a timestamp or a counter fits",
        )
    };

    // Group the files of sub-folders by folder.
    let mut dirs: BTreeMap<&str, Vec<(&str, &[u8])>> = BTreeMap::new();
    let mut downs: BTreeMap<String, String> = BTreeMap::new();
    // Files nested deeper than the loader reads are named in `unread`: the same rules apply to
    // them (a stray SQL file is an error at any depth), without their content.
    let deep = folder
        .unread
        .iter()
        .filter(|p| !p.ends_with('/') && !is_hidden(p))
        .map(|p| (p.as_str(), &[][..]));
    let files = folder
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.content.as_slice()))
        .chain(deep);
    for (path, content) in files {
        let name = path.rsplit('/').next().unwrap_or(path);
        if ignore.iter().any(|i| i == name || i == path) {
            continue;
        }
        if name.starts_with('.') {
            diagnostics.extend(hidden_migration(path));
            continue;
        }
        match path.split_once('/') {
            None => {
                if TOOL_FILES.contains(&path) {
                    continue;
                }
                let Some(stem) = path.strip_suffix(".sql") else {
                    if path.starts_with(|c: char| c.is_ascii_digit()) {
                        diagnostics.push(misnamed(
                            path,
                            format!("`{path}` looks like a migration but does not end in `.sql`"),
                            NAME_HELP,
                        ));
                    }
                    continue;
                };
                let (stem, layout, down) = if let Some(s) = stem.strip_suffix(".up") {
                    (s, Layout::Reversible, false)
                } else if let Some(s) = stem.strip_suffix(".down") {
                    (s, Layout::Reversible, true)
                } else {
                    (stem, Layout::Flat, false)
                };
                let Some((version, version_text, description)) = parse_name(stem, false) else {
                    diagnostics.push(misnamed(
                        path,
                        format!("`{path}` is not named `<version>_<description>.sql`"),
                        NAME_HELP,
                    ));
                    continue;
                };
                if version == 0 {
                    diagnostics.push(misnamed(
                        path,
                        format!("`{path}` has version 0; versions are positive integers"),
                        NAME_HELP,
                    ));
                    continue;
                }
                if version > MAX_VERSION {
                    diagnostics.push(too_large(path, &version_text));
                    continue;
                }
                if down {
                    downs.insert(stem.to_owned(), path.to_owned());
                    continue;
                }
                found.push(Found {
                    version,
                    version_text,
                    description,
                    path: path.to_owned(),
                    layout,
                    down: None,
                    no_transaction: false,
                });
            }
            Some((dir, rest)) => {
                dirs.entry(dir).or_default().push((rest, content));
            }
        }
    }
    // Hidden entries and folders the loader did not enter.
    for path in &folder.unread {
        let trimmed = path.trim_end_matches('/');
        let name = trimmed.rsplit('/').next().unwrap_or(trimmed);
        if ignore.iter().any(|i| i == name || i == trimmed) {
            continue;
        }
        if is_hidden(path) {
            diagnostics.extend(hidden_migration(path));
        } else if path.ends_with('/') {
            diagnostics.push(
                Diagnostic::new(
                    Code::UnreadFile,
                    format!(
                        "folder `{trimmed}` is nested deeper (or holds more files) than driftless lists: nothing in it is checked, and no migration in it would run"
                    ),
                )
                .in_file(trimmed)
                .help(format!(
                    "migrations live at the top of the folder or one folder down (Prisma, diesel): move them there, or move `{trimmed}` out of the migrations folder, or list it under `ignore` in driftless.toml"
                )),
            );
        }
    }
    for found in &mut found {
        if found.layout == Layout::Reversible {
            let stem = format!("{}_{}", found.version_text, found.description);
            found.down = downs.remove(&stem);
        }
    }
    for (stem, path) in downs {
        diagnostics.push(misnamed(
            &path,
            format!("`{path}` has no matching `{stem}.up.sql`"),
            "add the up migration, or remove the down file",
        ));
    }

    for (dir, files) in dirs {
        let has_sql = files.iter().any(|(f, _)| f.ends_with(".sql"));
        let parsed = parse_name(dir, true);
        let Some((version, version_text, description)) = parsed else {
            if has_sql {
                let path = format!("{dir}/{}", files[0].0);
                diagnostics.push(misnamed(
                    &path,
                    format!("folder `{dir}` holds SQL but is not named `<version>_<description>`"),
                    NAME_HELP,
                ));
            }
            continue;
        };
        if version > MAX_VERSION {
            let sql = files
                .iter()
                .find(|(f, _)| f.ends_with(".sql"))
                .map_or(dir.to_owned(), |(f, _)| format!("{dir}/{f}"));
            diagnostics.push(too_large(&sql, &version_text));
            continue;
        }
        if version == 0 && !is_diesel_setup(dir) {
            diagnostics.push(misnamed(
                dir,
                format!("folder `{dir}` has version 0; versions are positive integers"),
                NAME_HELP,
            ));
            continue;
        }
        let get = |name: &str| files.iter().find(|(f, _)| *f == name);
        let (layout, sql, down) = if get("migration.sql").is_some() {
            (Layout::Prisma, "migration.sql", None)
        } else if get("up.sql").is_some() {
            let down = get("down.sql").map(|_| format!("{dir}/down.sql"));
            (Layout::Diesel, "up.sql", down)
        } else {
            diagnostics.push(misnamed(
                dir,
                format!("migration folder `{dir}` has neither `migration.sql` (Prisma) nor `up.sql` (diesel)"),
                "add the migration's SQL as `migration.sql` or `up.sql`, or remove the folder",
            ));
            continue;
        };
        for (name, _) in &files {
            let known = ["migration.sql", "up.sql", "down.sql", "metadata.toml"];
            if name.ends_with(".sql") && !known.contains(name) {
                diagnostics.push(misnamed(
                    &format!("{dir}/{name}"),
                    format!("`{dir}/{name}` is not a file of a migration folder; it would never run"),
                    "a migration folder holds `migration.sql` (Prisma) or `up.sql`/`down.sql` (diesel); move the SQL there or into its own migration",
                ));
            }
        }
        let no_transaction = get("metadata.toml").is_some_and(|(_, content)| {
            let text = String::from_utf8_lossy(content);
            text.lines().any(|line| {
                let line: String = line.chars().filter(|c| !c.is_whitespace()).collect();
                line == "run_in_transaction=false"
            })
        });
        found.push(Found {
            version,
            version_text,
            description,
            path: format!("{dir}/{sql}"),
            layout,
            down,
            no_transaction,
        });
    }

    // One layout per folder.
    let layouts: std::collections::BTreeSet<Layout> = found.iter().map(|f| f.layout).collect();
    if layouts.len() > 1 {
        let examples: Vec<String> = layouts
            .iter()
            .filter_map(|l| found.iter().find(|f| f.layout == *l))
            .map(|f| format!("`{}` is {}", f.path, f.layout.as_str()))
            .collect();
        diagnostics.push(
            Diagnostic::new(
                Code::MixedLayout,
                format!("the folder mixes layouts: {}", examples.join(", ")),
            )
            .help("keep one layout per folder; rename the odd files to the folder's layout"),
        );
    }

    found.sort_by(|a, b| a.version.cmp(&b.version).then_with(|| a.path.cmp(&b.path)));
    let mut unique: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        if let Some(prev) = unique.last().filter(|p| p.version == f.version) {
            diagnostics.push(
                Diagnostic::new(
                    Code::DuplicateVersion,
                    format!("`{}` and `{}` share version {}", prev.path, f.path, f.version),
                )
                .in_file(&f.path)
                .help("give one of them a new version: `driftless new <description>` picks the next free one"),
            );
            continue;
        }
        unique.push(f);
    }
    (unique, diagnostics)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(files: &[&str], expect_found: &[(&str, u64, Layout)], expect_codes: &[&str]) {
        let folder = Folder::from_files(files.iter().map(|p| (*p, "SELECT 1;")));
        let (found, diags) = classify(&folder, &["README.md".to_owned()]);
        let got: Vec<(&str, u64, Layout)> = found
            .iter()
            .map(|f| (f.path.as_str(), f.version, f.layout))
            .collect();
        assert_eq!(got, expect_found, "{diags:#?}");
        let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, expect_codes);
    }

    #[test]
    fn flat_files_order_numerically_with_gaps() {
        check(
            &[
                "10_b.sql",
                "2_a.sql",
                "0100_c.sql",
                "README.md",
                "notes.txt",
                ".gitkeep",
            ],
            &[
                ("2_a.sql", 2, Layout::Flat),
                ("10_b.sql", 10, Layout::Flat),
                ("0100_c.sql", 100, Layout::Flat),
            ],
            &[],
        );
    }

    #[test]
    fn misnamed_files_are_errors_not_skips() {
        check(
            &[
                "0001_init.sql",
                "init.sql",
                "0002-add.sql",
                "0003_x.sq",
                "0_zero.sql",
                "0004_.sql",
            ],
            &[("0001_init.sql", 1, Layout::Flat)],
            &["misnamed-migration"; 5],
        );
    }

    /// Codes and files of the diagnostics for a folder with `unread` entries.
    fn unread(files: &[&str], unread: &[&str], ignore: &[&str]) -> Vec<(String, String)> {
        let mut folder = Folder::from_files(files.iter().map(|p| (*p, "SELECT 1;")));
        folder.unread = unread.iter().map(|p| (*p).to_owned()).collect();
        let ignore: Vec<String> = ignore.iter().map(|i| (*i).to_owned()).collect();
        let (_, diags) = classify(&folder, &ignore);
        diags
            .iter()
            .map(|d| {
                (
                    d.code.as_str().to_owned(),
                    d.file.clone().unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn hidden_migrations_are_reported_and_other_hidden_files_are_not() {
        let got = unread(
            &["0001_init.sql", ".0005_read_by_a_test.sql"],
            &[
                ".0002_x.sql",
                ".0003_y.up.sql",
                ".20240101000000_init/",
                "0001_init/.up.sql",
                // Not migrations: tools, editors, macOS.
                ".git/",
                ".DS_Store",
                ".gitkeep",
                ".0001_init.sql.swp",
                ".#0001_init.sql",
                "._0001_init.sql",
                ".idea/",
                "0001_init/.up.sql.swp",
                "a/.0004_z.sql",
            ],
            &[],
        );
        let expect = [
            ("unread-file", ".0005_read_by_a_test.sql"),
            ("unread-file", ".0002_x.sql"),
            ("unread-file", ".0003_y.up.sql"),
            ("unread-file", ".20240101000000_init"),
            ("unread-file", "0001_init/.up.sql"),
        ];
        let expect: Vec<(String, String)> = expect
            .iter()
            .map(|(c, f)| ((*c).to_owned(), (*f).to_owned()))
            .collect();
        assert_eq!(got, expect);
        // Hidden on purpose: `ignore` silences it.
        assert!(unread(&[], &[".0002_x.sql"], &[".0002_x.sql"]).is_empty());
    }

    #[test]
    fn files_too_deep_to_read_follow_the_same_rules() {
        // A stray SQL file is an error at any depth; other files are not reported at any depth.
        let got = unread(
            &["0001_init.sql"],
            &["a/b/c/d/0002_x.sql", "docs/b/c/d/readme.md"],
            &[],
        );
        assert_eq!(
            got,
            [(
                "misnamed-migration".to_owned(),
                "a/b/c/d/0002_x.sql".to_owned()
            )]
        );
        let got = unread(&["1_a/up.sql"], &["1_a/b/c/d/e.sql"], &[]);
        assert_eq!(
            got,
            [(
                "misnamed-migration".to_owned(),
                "1_a/b/c/d/e.sql".to_owned()
            )]
        );
        // A folder the loader stopped listing (too deep, or a symlink loop) is a warning.
        let got = unread(&[], &["a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/"], &[]);
        assert_eq!(
            got,
            [(
                "unread-file".to_owned(),
                "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t".to_owned()
            )]
        );
        assert!(unread(&[], &["a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/"], &["t"]).is_empty());
    }

    #[test]
    fn versions_must_fit_the_history_table() {
        // The history stores versions as BIGINT: a larger one would pass check and lock, then
        // fail every boot.
        let max = i64::MAX as u64;
        check(
            &[&format!("{max}_x.sql")],
            &[(&format!("{max}_x.sql"), max, Layout::Flat)],
            &[],
        );
        for name in [
            "9223372036854775808_x.sql",
            "18446744073709551615_x.sql",
            "99999999999999999999999_x.sql",
            "9223372036854775808_x.up.sql",
            "9223372036854775808_x/migration.sql",
            "9223-3720-3685-4775808_x/up.sql",
        ] {
            let folder = Folder::from_files([(name, "SELECT 1;")]);
            let (found, diags) = classify(&folder, &[]);
            assert!(found.is_empty(), "{name}: {found:?}");
            assert_eq!(diags.len(), 1, "{name}: {diags:?}");
            assert_eq!(diags[0].code, Code::MisnamedMigration, "{name}");
            assert!(
                diags[0].message.contains("larger than 9223372036854775807"),
                "{name}: {}",
                diags[0].message
            );
        }
    }

    #[test]
    fn reversible_pairs_up_and_down() {
        let folder = Folder::from_files([
            ("1_a.up.sql", "x"),
            ("1_a.down.sql", "y"),
            ("2_b.up.sql", "z"),
        ]);
        let (found, diags) = classify(&folder, &[]);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(found[0].down.as_deref(), Some("1_a.down.sql"));
        assert_eq!(found[1].down, None);
        check(&["1_a.down.sql"], &[], &["misnamed-migration"]);
    }

    #[test]
    fn prisma_and_diesel_folders() {
        check(
            &["20240101120000_init/migration.sql", "migration_lock.toml"],
            &[(
                "20240101120000_init/migration.sql",
                20240101120000,
                Layout::Prisma,
            )],
            &[],
        );
        check(
            &[
                "00000000000000_diesel_initial_setup/up.sql",
                "2024-01-01-000000_users/up.sql",
                "2024-01-01-000000_users/down.sql",
            ],
            &[
                (
                    "00000000000000_diesel_initial_setup/up.sql",
                    0,
                    Layout::Diesel,
                ),
                (
                    "2024-01-01-000000_users/up.sql",
                    20240101000000,
                    Layout::Diesel,
                ),
            ],
            &[],
        );
        check(&["3_x/readme.md"], &[], &["misnamed-migration"]);
        check(&["notes/x.sql"], &[], &["misnamed-migration"]);
        check(
            &["1_a/up.sql", "1_a/extra.sql"],
            &[("1_a/up.sql", 1, Layout::Diesel)],
            &["misnamed-migration"],
        );
    }

    #[test]
    fn diesel_metadata_turns_off_the_transaction() {
        let folder = Folder::from_files([
            ("1_a/up.sql", "x"),
            ("1_a/metadata.toml", "run_in_transaction = false\n"),
            ("2_b/up.sql", "x"),
            ("2_b/metadata.toml", "run_in_transaction = true\n"),
        ]);
        let (found, _) = classify(&folder, &[]);
        assert!(found[0].no_transaction);
        assert!(!found[1].no_transaction);
    }

    #[test]
    fn duplicates_and_mixed_layouts() {
        check(
            &["1_a.sql", "01_b.sql"],
            &[("01_b.sql", 1, Layout::Flat)],
            &["duplicate-version"],
        );
        check(
            &["1_a.sql", "2_b.up.sql"],
            &[
                ("1_a.sql", 1, Layout::Flat),
                ("2_b.up.sql", 2, Layout::Reversible),
            ],
            &["mixed-layout"],
        );
    }
}
