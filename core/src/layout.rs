//! Migration layouts and file names (CONTRACT §2).

/// How a folder lays out its migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
