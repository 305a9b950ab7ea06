//! The only filesystem code of the core: reads a migrations folder into a [`Folder`].

use std::io;
use std::path::Path;

use crate::folder::{File, Folder};

/// How many folders deep files are read: the layouts need one (Prisma and diesel); a few more
/// let a stray SQL file in a sub-folder be reported with its content.
const READ_DEPTH: usize = 3;

/// How many folders deep, beyond [`READ_DEPTH`], names are still listed (not read), and how many
/// names at most in all: enough for any real folder, a bound for symlink loops.
const LIST_DEPTH: usize = 16;
const LIST_BUDGET: usize = 10_000;

/// Reads every file of `dir` and of its sub-folders down to three levels (the Prisma and diesel
/// layouts need one), with paths relative to `dir`. Nothing is skipped in silence: deeper files
/// are listed by name in [`Folder::unread`] (so a stray SQL file deep down is still reported),
/// and so are hidden entries (`.git/`, `.DS_Store`, `.0001_x.sql`), which are never read or
/// entered; the layout rules decide which of them to report.
pub fn load(dir: &Path) -> io::Result<Folder> {
    let mut folder = Folder::default();
    let mut budget = LIST_BUDGET;
    walk(dir, "", 0, &mut budget, &mut folder)?;
    folder.files.sort_by(|a, b| a.path.cmp(&b.path));
    folder.unread.sort();
    Ok(folder)
}

fn walk(
    dir: &Path,
    prefix: &str,
    depth: usize,
    budget: &mut usize,
    folder: &mut Folder,
) -> io::Result<()> {
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
        let path = entry.path();
        let rel = format!("{prefix}{name}");
        // `is_dir` follows symlinks; a dangling one (an editor's lock file) is a file.
        let is_dir = path.is_dir();
        if name.starts_with('.') {
            folder
                .unread
                .push(if is_dir { format!("{rel}/") } else { rel });
        } else if is_dir {
            if depth < READ_DEPTH {
                walk(&path, &format!("{rel}/"), depth + 1, budget, folder)?;
            } else {
                list(&path, &format!("{rel}/"), depth + 1, budget, folder);
            }
        } else {
            let content = std::fs::read(&path).map_err(|e| with_path(e, &path))?;
            folder.files.push(File { path: rel, content });
        }
    }
    Ok(())
}

/// Lists the names under `dir` (whose path is `prefix`, ending with `/`) into `folder.unread`
/// without reading anything. A folder beyond [`LIST_DEPTH`], past the budget or that cannot be
/// listed is recorded itself.
fn list(dir: &Path, prefix: &str, depth: usize, budget: &mut usize, folder: &mut Folder) {
    if depth > READ_DEPTH + LIST_DEPTH || *budget == 0 {
        folder.unread.push(prefix.to_owned());
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        folder.unread.push(prefix.to_owned());
        return;
    };
    for entry in entries {
        let Ok(entry) = entry else {
            continue;
        };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        if *budget == 0 {
            folder.unread.push(prefix.to_owned());
            return;
        }
        *budget -= 1;
        let path = entry.path();
        if path.is_dir() {
            list(
                &path,
                &format!("{prefix}{name}/"),
                depth + 1,
                budget,
                folder,
            );
        } else {
            folder.unread.push(format!("{prefix}{name}"));
        }
    }
}

fn with_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}
