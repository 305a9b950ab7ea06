//! With the documented build.rs, a migration added to the folder is in the next `cargo build`.

use std::path::{Path, PathBuf};
use std::process::Command;

use driftless_core::Dialect;
use driftless_core::lockfile::LockFile;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cargo_build(project: &Path, target: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["build", "--offline", "--quiet", "--target-dir"])
        .arg(target)
        .current_dir(project)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn run(target: &Path) -> String {
    let output = Command::new(target.join("debug/rebuild-probe"))
        .output()
        .unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn a_new_migration_file_is_embedded_by_the_next_build() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let project = tmp.join("rebuild-probe");
    // A target directory of its own that survives between runs, so only the first run compiles
    // the dependencies (driftless without database features: no drivers).
    let target = tmp.join("rebuild-probe-target");
    let _ = std::fs::remove_dir_all(&project);
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::create_dir_all(project.join("migrations")).unwrap();
    let ws = workspace().canonicalize().unwrap();
    std::fs::write(
        project.join("Cargo.toml"),
        format!(
            "[package]\nname = \"rebuild-probe\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [dependencies]\ndriftless = {{ path = {:?} }}\n\n\
             [build-dependencies]\ndriftless-build = {{ path = {:?} }}\n\n[workspace]\n",
            ws.join("runtime"),
            ws.join("driftless-build"),
        ),
    )
    .unwrap();
    // The workspace's lock file pins the same versions and lets the build run offline.
    std::fs::copy(ws.join("Cargo.lock"), project.join("Cargo.lock")).unwrap();
    std::fs::write(
        project.join("build.rs"),
        "fn main() {\n    driftless_build::watch(\"migrations\");\n}\n",
    )
    .unwrap();
    std::fs::write(
        project.join("src/main.rs"),
        "static MIGRATIONS: driftless::Migrations = driftless::migrations!(\"migrations\");\n\n\
         fn main() {\n    for m in MIGRATIONS.migrations() {\n        println!(\"{} {}\", m.version(), m.path());\n    }\n}\n",
    )
    .unwrap();
    let migrations = project.join("migrations");
    std::fs::write(
        migrations.join("driftless.lock"),
        LockFile::new(Dialect::Sqlite).render(),
    )
    .unwrap();
    std::fs::write(
        migrations.join("0001_init.sql"),
        "CREATE TABLE t (id INTEGER PRIMARY KEY);\n",
    )
    .unwrap();

    cargo_build(&project, &target);
    assert_eq!(run(&target), "1 0001_init.sql\n");

    // Only a new file: no Rust source changes, no touch.
    std::fs::write(
        migrations.join("0002_more.sql"),
        "CREATE TABLE u (id INTEGER PRIMARY KEY);\n",
    )
    .unwrap();
    cargo_build(&project, &target);
    assert_eq!(run(&target), "1 0001_init.sql\n2 0002_more.sql\n");

    // A migration with an error: the build script does not fail; the error is a compile error
    // at the `migrations!` call, with its excerpt, where an editor shows it.
    std::fs::write(
        migrations.join("0003_bad.sql"),
        "ALTER TABLE missing ADD COLUMN x INTEGER;\n",
    )
    .unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["build", "--offline", "--quiet", "--target-dir"])
        .arg(&target)
        .current_dir(&project)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("[missing-table]"), "{stderr}");
    assert!(
        stderr.contains("src/main.rs"),
        "the error is at the call: {stderr}"
    );
    assert!(
        !stderr.contains("failed to run custom build command"),
        "the build script must not fail: {stderr}"
    );
    std::fs::remove_file(migrations.join("0003_bad.sql")).unwrap();
}
