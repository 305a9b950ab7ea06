//! The in-memory form of a migrations folder: every file's relative path and bytes.

/// A migrations folder as read by [`crate::loader`], or written inline by tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folder {
    /// Files relative to the folder, `/`-separated, sorted by path. Includes `driftless.lock`
    /// and `driftless.toml` when present.
    pub files: Vec<File>,
    /// Paths the loader saw but did not read, sorted: hidden files and folders (`.git/`,
    /// `.0001_x.sql`), files nested deeper than it reads, and folders it stopped listing. A
    /// folder's path ends with `/`. The layout rules report the ones that may hold migrations.
    pub unread: Vec<String>,
}

/// One file of a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Path relative to the folder, `/`-separated (`0001_init.sql`, `20240101_x/migration.sql`).
    pub path: String,
    /// The bytes.
    pub content: Vec<u8>,
}

impl Folder {
    /// A folder from `(path, content)` pairs.
    pub fn from_files<P: Into<String>, C: Into<Vec<u8>>>(
        files: impl IntoIterator<Item = (P, C)>,
    ) -> Folder {
        let mut files: Vec<File> = files
            .into_iter()
            .map(|(path, content)| File {
                path: path.into(),
                content: content.into(),
            })
            .collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Folder {
            files,
            unread: Vec::new(),
        }
    }

    /// A folder written as one string with `-- file: <path>` header lines, the fixture format
    /// of the tests. Text before the first header is ignored.
    pub fn from_fixture(fixture: &str) -> Folder {
        let mut files = Vec::new();
        let mut current: Option<(String, String)> = None;
        for line in fixture.split_inclusive('\n') {
            if let Some(path) = line.trim_end().strip_prefix("-- file: ") {
                files.extend(current.take());
                current = Some((path.trim().to_owned(), String::new()));
            } else if let Some((_, content)) = &mut current {
                content.push_str(line);
            }
        }
        files.extend(current);
        Folder::from_files(files)
    }

    /// The file at `path`, if any.
    pub fn get(&self, path: &str) -> Option<&File> {
        self.files.iter().find(|f| f.path == path)
    }
}
