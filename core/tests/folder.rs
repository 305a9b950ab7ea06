//! A migrations folder on disk: what the loader reads, lists and skips, and a lock file written
//! for it that reads back.

use std::path::{Path, PathBuf};

use driftless_core::lock::{self as lockop, LockRequest};
use driftless_core::lockfile;
use driftless_core::{Dialect, Options, Severity, analyze, loader};

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir =
            std::env::temp_dir().join(format!("driftless-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, path: &str, content: &str) {
        let path = self.0.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `severity code file` of the warnings and errors.
fn summary(dir: &Path, dialect: Dialect) -> Vec<String> {
    let folder = loader::load(dir).unwrap();
    let a = analyze(
        &folder,
        &Options {
            dialect: Some(dialect),
            strict: None,
        },
    );
    a.diagnostics
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .map(|d| {
            format!(
                "{} {} {}",
                d.severity.as_str(),
                d.code,
                d.file.as_deref().unwrap_or("-")
            )
        })
        .collect()
}

#[test]
fn hidden_and_deep_files_are_reported_not_skipped() {
    let dir = TempDir::new("loader");
    dir.write("0001_init.sql", "CREATE TABLE t (id INTEGER);\n");
    // Hidden: a migration someone hid, and what tools and editors leave around.
    dir.write(".0002_hidden.sql", "DROP TABLE t;\n");
    dir.write(".git/HEAD", "ref: refs/heads/main\n");
    dir.write(".git/objects/ab/cdef", "x");
    dir.write(".DS_Store", "x");
    dir.write(".0001_init.sql.swp", "x");
    #[cfg(unix)]
    std::os::unix::fs::symlink("user@host.1234", dir.0.join(".#0001_init.sql")).unwrap();
    // Deeper than the loader reads: a stray migration and a harmless file.
    dir.write("archive/2019/q1/old/0003_deep.sql", "SELECT 1;\n");
    dir.write("docs/img/a/b/c/diagram.png", "x");

    let folder = loader::load(&dir.0).unwrap();
    let files: Vec<&str> = folder.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(files, ["0001_init.sql"]);
    let mut expect_unread = vec![
        ".0001_init.sql.swp",
        ".0002_hidden.sql",
        ".DS_Store",
        ".git/",
        "archive/2019/q1/old/0003_deep.sql",
        "docs/img/a/b/c/diagram.png",
    ];
    if cfg!(unix) {
        expect_unread.insert(0, ".#0001_init.sql");
    }
    assert_eq!(folder.unread, expect_unread);

    assert_eq!(
        summary(&dir.0, Dialect::Sqlite),
        [
            "warning unread-file .0002_hidden.sql",
            "error misnamed-migration archive/2019/q1/old/0003_deep.sql",
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_loop_is_listed_within_bounds() {
    let dir = TempDir::new("loop");
    dir.write("0001_init.sql", "SELECT 1;\n");
    std::os::unix::fs::symlink(".", dir.0.join("again")).unwrap();
    std::os::unix::fs::symlink(".", dir.0.join("more")).unwrap();
    let folder = loader::load(&dir.0).unwrap();
    assert!(folder.unread.len() <= 10_001, "{}", folder.unread.len());
    let found = summary(&dir.0, Dialect::Sqlite);
    assert!(
        found
            .iter()
            .any(|d| d.starts_with("error misnamed-migration again/")),
        "{found:?}"
    );
}

/// `driftless lock --adopt` on a diesel history whose folder names have spaces (crates.io has
/// `2019-11-15-182353_Add email notifications to crate owners`): the lock file it writes reads
/// back, and the folder then checks clean.
#[test]
fn adopting_names_with_spaces_writes_a_lock_file_that_reads_back() {
    let dir = TempDir::new("adopt");
    let names = [
        "00000000000000_diesel_initial_setup",
        "2019-11-15-182353_Add email notifications to crate owners",
        "2019-11-16-000000_it's \"quoted\" #1 ünïcödé",
        "2019-11-17-000000_back\\slash",
    ];
    for (i, name) in names.iter().enumerate() {
        dir.write(
            &format!("{name}/up.sql"),
            &format!("CREATE TABLE t{i} (id INTEGER);\n"),
        );
        dir.write(&format!("{name}/down.sql"), &format!("DROP TABLE t{i};\n"));
    }
    let folder = loader::load(&dir.0).unwrap();
    let outcome = lockop::lock(
        &folder,
        &LockRequest {
            dialect: Some(Dialect::Postgres),
            adopt: true,
            rehash: Vec::new(),
        },
    )
    .unwrap_or_else(|a| {
        let shown: Vec<String> = a.errors().map(|d| a.render(d, "m")).collect();
        panic!("{}", shown.join("\n"))
    });
    assert_eq!(outcome.locked.len(), names.len());
    std::fs::write(dir.0.join(lockfile::FILE_NAME), outcome.lock.render()).unwrap();
    assert_eq!(summary(&dir.0, Dialect::Postgres), Vec::<String>::new());
    let folder = loader::load(&dir.0).unwrap();
    let text = String::from_utf8(folder.get(lockfile::FILE_NAME).unwrap().content.clone()).unwrap();
    assert_eq!(lockfile::LockFile::parse(&text), Ok(outcome.lock));
}
