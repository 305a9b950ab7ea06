//! UI tests for `migrations!`: the trybuild harness's helper.
//!
//! trybuild compiles each test in a generated project under
//! `<target>/tests/trybuild/driftless-ui-tests/`, and `CARGO_MANIFEST_DIR` points there, so the
//! tests' `migrations!("fixtures/...")` paths resolve against that project. [`link_fixtures`]
//! puts the fixture folders there before trybuild runs.

use std::path::Path;

/// Links (or, where symlinks are unavailable, copies) `fixtures/` into trybuild's project.
/// `target_tmpdir` is the test's `CARGO_TARGET_TMPDIR` (`<target>/tmp`).
pub fn link_fixtures(target_tmpdir: &str) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let target = Path::new(target_tmpdir)
        .parent()
        .expect("CARGO_TARGET_TMPDIR is inside the target directory");
    let project = target.join("tests/trybuild").join(env!("CARGO_PKG_NAME"));
    std::fs::create_dir_all(&project).expect("cannot create trybuild's project directory");
    let link = project.join("fixtures");
    if std::fs::read_link(&link).is_ok_and(|existing| existing == source) {
        return;
    }
    let _ = std::fs::remove_file(&link);
    let _ = std::fs::remove_dir_all(&link);
    #[cfg(unix)]
    std::os::unix::fs::symlink(&source, &link).expect("cannot link the fixtures");
    #[cfg(not(unix))]
    copy_dir(&source, &link);
}

#[cfg(not(unix))]
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("cannot copy the fixtures");
    for entry in std::fs::read_dir(from).expect("cannot read the fixtures") {
        let entry = entry.expect("cannot read the fixtures");
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).expect("cannot copy the fixtures");
        }
    }
}
