//! The only filesystem code of the core: reads a migrations folder into a [`Folder`].

use std::io;
use std::path::Path;

use crate::folder::{File, Folder};

/// Reads every file of `dir` and of its direct sub-folders (the Prisma and diesel layouts), with
/// paths relative to `dir`. Deeper files are read too, so a stray SQL file deep down is reported
/// rather than skipped. Hidden entries (`.git`, `.DS_Store`) are skipped.
pub fn load(dir: &Path) -> io::Result<Folder> {
    let mut files = Vec::new();
    walk(dir, "", 0, &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Folder { files })
}

fn walk(dir: &Path, prefix: &str, depth: usize, files: &mut Vec<File>) -> io::Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| with_path(e, dir))?;
    for entry in entries {
        let entry = entry.map_err(|e| with_path(e, dir))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: file name is not UTF-8", entry.path().display()),
            ));
        };
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let rel = format!("{prefix}{name}");
        if path.is_dir() {
            if depth < 3 {
                walk(&path, &format!("{rel}/"), depth + 1, files)?;
            }
        } else {
            let content = std::fs::read(&path).map_err(|e| with_path(e, &path))?;
            files.push(File { path: rel, content });
        }
    }
    Ok(())
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
