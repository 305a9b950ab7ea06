//! build.rs helper for driftless: analyse a migrations folder once per change, print its warnings,
//! and leave the result for the `migrations!` macro, which reports any error at its call. The
//! build script itself fails only when it cannot read the folder.
//!
//! ```text
//! // build.rs
//! fn main() {
//!     driftless_build::watch("migrations");
//! }
//! ```
//!
//! With it, cargo re-runs the build script (and rebuilds the crate) when a file of the folder is
//! added, edited or removed, and the macro expands from the saved analysis instead of splitting
//! and replaying every migration again each time the crate compiles. A proc macro cannot print
//! warnings on stable Rust; this helper prints them as `cargo:warning=` lines.
#![deny(missing_docs)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use driftless_core::{Analysis, Options, analyze, checksum, loader};

pub mod embed;
pub mod saved;

/// The SQL dialect [`Watch::dialect`] takes, re-exported so a build script needs no other crate.
pub use driftless_core::Dialect;

use embed::Embed;
use saved::Saved;

/// Watches `dir` (relative to the crate's `Cargo.toml`) and checks it, with the dialect and
/// policy of the folder. Errors of the folder are left to the macro; the build script exits
/// with status 1 only when it cannot read the folder or write its result.
pub fn watch(dir: &str) {
    Watch::new(dir).run();
}

/// [`watch`] with options.
#[derive(Debug, Clone)]
pub struct Watch {
    dir: String,
    options: Options,
}

impl Watch {
    /// Watches `dir`, relative to the crate's `Cargo.toml`.
    pub fn new(dir: &str) -> Watch {
        Watch {
            dir: dir.to_owned(),
            options: Options::default(),
        }
    }

    /// The dialect, for a folder that has no `driftless.lock` yet. A dialect that contradicts
    /// the lock file is an error.
    pub fn dialect(mut self, dialect: Dialect) -> Watch {
        self.options.dialect = Some(dialect);
        self
    }

    /// Runs the check: prints cargo instructions on stdout and, on errors, the rendered errors on
    /// stderr before exiting with status 1.
    pub fn run(self) {
        let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
        let out_dir = std::env::var_os("OUT_DIR").map(PathBuf::from);
        let (Some(manifest_dir), Some(out_dir)) = (manifest_dir, out_dir) else {
            eprintln!(
                "error: driftless_build::watch must run inside a build script (CARGO_MANIFEST_DIR and OUT_DIR are not set)"
            );
            std::process::exit(1);
        };
        let outcome = self.check(&manifest_dir, &out_dir);
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(outcome.stdout.as_bytes());
        let _ = stdout.flush();
        if !outcome.stderr.is_empty() {
            eprint!("{}", outcome.stderr);
            std::process::exit(1);
        }
    }

    /// The check without process-wide effects: what to print, and whether it failed (a non-empty
    /// `stderr`).
    pub fn check(&self, manifest_dir: &Path, out_dir: &Path) -> Outcome {
        let mut outcome = Outcome::default();
        let dir = manifest_dir.join(&self.dir);
        let key = folder_key(&dir);
        let _ = writeln!(outcome.stdout, "cargo:rerun-if-changed={}", dir.display());
        let folder = match loader::load(&dir) {
            Ok(folder) => folder,
            Err(e) => {
                let _ = writeln!(
                    outcome.stderr,
                    "error: cannot read the migrations folder `{}`: {}",
                    self.dir,
                    describe_io_error(&e, &dir, &self.dir)
                );
                return outcome;
            }
        };
        // Cargo scans a watched directory recursively; naming the sub-folders and the two files
        // that shape the verdict says so explicitly. A path that does not exist must not be
        // named: cargo would consider it changed on every build.
        let mut subfolders: Vec<&str> = folder
            .files
            .iter()
            .filter_map(|f| f.path.rsplit_once('/').map(|(d, _)| d))
            .collect();
        subfolders.dedup();
        for sub in subfolders {
            let _ = writeln!(
                outcome.stdout,
                "cargo:rerun-if-changed={}",
                dir.join(sub).display()
            );
        }
        let config = folder
            .get(driftless_core::config::FILE_NAME)
            .map(|f| driftless_core::config::Config::parse(&String::from_utf8_lossy(&f.content)).0)
            .unwrap_or_default();
        for name in [
            driftless_core::lockfile::FILE_NAME,
            driftless_core::config::FILE_NAME,
            driftless_core::declared::file_name(&config).0,
        ] {
            if folder.get(name).is_some() {
                let _ = writeln!(
                    outcome.stdout,
                    "cargo:rerun-if-changed={}",
                    dir.join(name).display()
                );
            }
        }

        let analysis = analyze(&folder, &self.options);
        // Warnings of shipped (locked, adopted) migrations are one line: cargo replays a build
        // script's warnings on every build, and nobody can change that SQL any more.
        let (warnings, hidden) = analysis.shown_warnings(false);
        for warning in warnings {
            for line in analysis.render(warning, &self.dir).lines() {
                let _ = writeln!(outcome.stdout, "cargo:warning={line}");
            }
        }
        if let Some(line) = Analysis::hidden_warnings_line(hidden, &self.dir) {
            let line = line.strip_prefix("warning: ").unwrap_or(&line);
            let _ = writeln!(outcome.stdout, "cargo:warning={line}");
        }
        let text = match Embed::from_analysis(&analysis).filter(|_| !analysis.has_errors()) {
            Some(embed) => Saved::new(&folder, embed).to_text(),
            None => {
                // The macro reports each error at its call, with its excerpt, where an editor
                // shows it: failing here would have cargo wrap them in "failed to run custom
                // build command". The file it finds is not a saved analysis, so it analyses the
                // folder itself.
                let count = analysis.errors().count();
                let _ = writeln!(
                    outcome.stdout,
                    "cargo:warning=`{}` has {count} error(s): `migrations!` reports each at its call (`driftless check {}` lists them)",
                    self.dir, self.dir
                );
                format!("{ERRORS_MARKER}\n{}", render_errors(&analysis, &self.dir))
            }
        };
        // The file name carries a hash of the content, so the `rustc-env` value changes with the
        // analysis and cargo rebuilds the crate whenever it does.
        let content_hash = checksum::to_hex(&checksum::sha256(text.as_bytes()));
        let prefix = format!("driftless-{key}-");
        let path = out_dir.join(format!("{prefix}{}.txt", &content_hash[..16]));
        if let Ok(entries) = std::fs::read_dir(out_dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                if name.to_string_lossy().starts_with(&prefix) && entry.path() != path {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        if let Err(e) = std::fs::write(&path, text) {
            let _ = writeln!(
                outcome.stderr,
                "error: cannot write {}: {e}",
                path.display()
            );
            return outcome;
        }
        let _ = writeln!(
            outcome.stdout,
            "cargo:rustc-env={}={}",
            env_var(&dir),
            path.display()
        );
        outcome
    }
}

/// The first line of the file left for the macro when the folder has errors: not a saved
/// analysis, so the macro analyses the folder and reports each error at its call.
pub const ERRORS_MARKER: &str = "driftless-errors";

/// What a check prints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Cargo instructions and warnings.
    pub stdout: String,
    /// What fails the build script: the folder cannot be read, or the file for the macro cannot
    /// be written. The folder's own errors are the macro's to report.
    pub stderr: String,
}

/// Every error of an analysis, rendered with paths as the user wrote `dir`, one blank line apart.
pub fn render_errors(analysis: &Analysis, dir: &str) -> String {
    let mut out = String::new();
    for error in analysis.errors() {
        out.push_str(&analysis.render(error, dir));
        out.push('\n');
    }
    out
}

/// A short stable key for a folder: 16 hex digits of the SHA-256 of its canonical path.
pub fn folder_key(dir: &Path) -> String {
    let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    checksum::to_hex(&checksum::sha256(canonical.to_string_lossy().as_bytes()))[..16]
        .to_ascii_uppercase()
}

/// The environment variable through which the build helper tells the macro where the saved
/// analysis of `dir` is.
pub fn env_var(dir: &Path) -> String {
    format!("DRIFTLESS_ANALYSIS_{}", folder_key(dir))
}

/// An IO error without the absolute path the loader puts in it, so messages show the folder as
/// the user wrote it.
pub fn describe_io_error(e: &std::io::Error, dir: &Path, written: &str) -> String {
    if e.kind() == std::io::ErrorKind::NotFound && !dir.exists() {
        return "no such directory (the path is relative to the crate's Cargo.toml)".to_owned();
    }
    e.to_string().replace(&*dir.to_string_lossy(), written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("driftless-build-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_missing_folder_fails_with_the_path_as_written() {
        let root = temp_dir("missing");
        let outcome = Watch::new("migrations").check(&root, &root);
        assert_eq!(
            outcome.stderr,
            "error: cannot read the migrations folder `migrations`: no such directory (the path is relative to the crate's Cargo.toml)\n"
        );
        assert!(!outcome.stdout.contains("rustc-env"));
    }

    #[test]
    fn a_folder_with_errors_is_left_to_the_macro() {
        let root = temp_dir("nolock");
        std::fs::create_dir_all(root.join("migrations")).unwrap();
        std::fs::write(
            root.join("migrations/0001_init.sql"),
            "CREATE TABLE t (id int);\n",
        )
        .unwrap();
        let outcome = Watch::new("migrations").check(&root, &root);
        // The build script does not fail: the macro reports the errors at its call.
        assert_eq!(outcome.stderr, "");
        assert!(
            outcome.stdout.contains(
                "cargo:warning=`migrations` has 1 error(s): `migrations!` reports each at its call"
            ),
            "{}",
            outcome.stdout
        );
        let env = outcome
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("cargo:rustc-env="))
            .unwrap();
        let (_, path) = env.split_once('=').unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.starts_with(ERRORS_MARKER), "{text}");
        assert!(text.contains("error[missing-dialect]"), "{text}");
        assert_eq!(Saved::parse(&text), None);
    }

    #[test]
    fn a_passing_folder_is_saved_for_the_macro() {
        let root = temp_dir("pass");
        let dir = root.join("migrations");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("0001_init.sql"), "CREATE TABLE t (id int);\n").unwrap();
        let out = root.join("out");
        std::fs::create_dir_all(&out).unwrap();
        let watch = Watch::new("migrations").dialect(Dialect::Sqlite);
        let outcome = watch.check(&root, &out);
        assert_eq!(outcome.stderr, "");
        let env = outcome
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("cargo:rustc-env="))
            .unwrap();
        let (name, path) = env.split_once('=').unwrap();
        assert_eq!(name, env_var(&dir));
        let saved = Saved::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        let folder = loader::load(&dir).unwrap();
        assert!(saved.is_fresh(&folder, None));
        assert_eq!(saved.embed.migrations.len(), 1);
        assert_eq!(saved.embed.migrations[0].path, "0001_init.sql");

        // A second run after an edit replaces the file, so OUT_DIR does not grow.
        std::fs::write(dir.join("0002_more.sql"), "CREATE TABLE u (id int);\n").unwrap();
        let again = watch.check(&root, &out);
        assert_ne!(again.stdout, outcome.stdout);
        assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
        assert!(!Path::new(path).exists());
    }
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    /// A folder of `n` migrations, each with a warning (an index built without CONCURRENTLY on
    /// an existing table, or an acknowledged drop when adopted), locked or adopted.
    fn shipped(root: &Path, n: usize, adopt: bool) -> PathBuf {
        let dir = root.join("migrations");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("0001_init.sql"),
            "CREATE TABLE t (id int PRIMARY KEY, a int, b int, c1 int);\n",
        )
        .unwrap();
        for i in 2..=n {
            let sql = if adopt {
                // Each drops the column the one before it added: acknowledged by adoption.
                format!(
                    "ALTER TABLE t ADD COLUMN c{i} int;\nALTER TABLE t DROP COLUMN c{};\n",
                    i - 1
                )
            } else {
                format!("CREATE INDEX t_i{i} ON t (a, b);\n")
            };
            std::fs::write(dir.join(format!("{i:04}_m{i}.sql")), sql).unwrap();
        }
        let folder = loader::load(&dir).unwrap();
        let outcome = driftless_core::lock::lock(
            &folder,
            &driftless_core::lock::LockRequest {
                dialect: Some(Dialect::Postgres),
                adopt,
                rehash: vec![],
            },
        )
        .unwrap_or_else(|a| panic!("{:?}", a.errors().next()));
        std::fs::write(
            dir.join(driftless_core::lockfile::FILE_NAME),
            outcome.lock.render(),
        )
        .unwrap();
        dir
    }

    fn warning_lines(stdout: &str) -> usize {
        stdout
            .lines()
            .filter(|l| l.starts_with("cargo:warning="))
            .count()
    }

    /// What a no-change `cargo build` replays: the build script's warning lines, before (every
    /// warning) and after (one line for the shipped ones).
    #[test]
    fn shipped_warnings_are_one_line() {
        for (name, n, adopt) in [("locked-1000", 1000, false), ("adopted-300", 320, true)] {
            let root = std::env::temp_dir().join(format!(
                "driftless-build-summary-{name}-{}",
                std::process::id()
            ));
            let _ = std::fs::remove_dir_all(&root);
            let dir = shipped(&root, n, adopt);
            let out = root.join("out");
            std::fs::create_dir_all(&out).unwrap();
            let outcome = Watch::new("migrations").check(&root, &out);
            assert_eq!(outcome.stderr, "");
            let analysis = analyze(&loader::load(&dir).unwrap(), &Options::default());
            let every: usize = analysis
                .warnings()
                .map(|w| analysis.render(w, "migrations").lines().count())
                .sum();
            let after = warning_lines(&outcome.stdout);
            eprintln!(
                "{name}: {} warnings; build-script warning lines before {every}, after {after}",
                analysis.warnings().count()
            );
            assert!(analysis.warnings().count() >= n - 1, "{name}");
            assert_eq!(after, 1, "{name}: {}", outcome.stdout);
            assert!(
                outcome
                    .stdout
                    .contains("on locked and adopted migrations (shipped)"),
                "{}",
                outcome.stdout
            );
            // A draft's warnings still show in full.
            std::fs::write(
                dir.join(format!("{:04}_draft.sql", n + 1)),
                "CREATE INDEX t_draft ON t (a);\n",
            )
            .unwrap();
            let outcome = Watch::new("migrations").check(&root, &out);
            assert!(warning_lines(&outcome.stdout) > 2, "{}", outcome.stdout);
            assert!(outcome.stdout.contains("t_draft"), "{}", outcome.stdout);
            let _ = std::fs::remove_dir_all(&root);
        }
    }
}
