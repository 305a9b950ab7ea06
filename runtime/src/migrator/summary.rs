//! The summary the no-op boot compares: one row per namespace holding `count:newest:hash` over
//! the applied versions and checksums, updated in the same transaction as every apply.

use std::collections::BTreeMap;

use crate::backend::{HistoryRow, hash_words};
use crate::migrations::{Migration, Migrations};

impl Migrations {
    /// The summary of every embedded migration: what the history's summary row says once all
    /// of them are applied.
    pub(crate) fn summary(&self) -> String {
        of(self.migrations.iter().map(|m| (m.version, *m.checksum())))
    }
}

/// Applied (or baselined) versions with their stored checksums.
pub(super) fn applied_map(history: &[HistoryRow]) -> BTreeMap<u64, String> {
    history
        .iter()
        .filter(|r| r.status.is_applied())
        .map(|r| (r.version as u64, r.checksum.clone()))
        .collect()
}

/// `count:newest:hash` over versions and checksums, in version order.
pub(super) fn of(entries: impl Iterator<Item = (u64, [u8; 32])>) -> String {
    let mut count = 0usize;
    let mut newest = 0u64;
    let mut words = Vec::new();
    for (version, checksum) in entries {
        count += 1;
        newest = newest.max(version);
        words.push(version);
        for chunk in checksum.chunks_exact(8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            words.push(u64::from_le_bytes(word));
        }
    }
    let hash = hash_words(words.into_iter());
    format!("{count}:{newest}:{hash:032x}")
}

/// The summary of applied rows (checksums as stored: hex).
pub(super) fn of_applied(applied: &BTreeMap<u64, String>) -> String {
    of(applied.iter().map(|(v, hex)| (*v, from_hex(hex))))
}

/// The summary of `applied` plus `m`, without copying the map (this runs once per migration).
pub(super) fn with(applied: &BTreeMap<u64, String>, m: &Migration) -> String {
    let before = applied.range(..m.version).map(|(v, c)| (*v, from_hex(c)));
    let after = applied
        .range(m.version + 1..)
        .map(|(v, c)| (*v, from_hex(c)));
    of(before
        .chain(std::iter::once((m.version, *m.checksum())))
        .chain(after))
}

/// Parses a stored checksum; a malformed one hashes as its own bytes so it cannot match.
fn from_hex(hex: &str) -> [u8; 32] {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = hex.as_bytes();
    let mut out = [0u8; 32];
    if bytes.len() != 64 {
        return fallback(hex);
    }
    for (i, byte) in out.iter_mut().enumerate() {
        match (nibble(bytes[2 * i]), nibble(bytes[2 * i + 1])) {
            (Some(h), Some(l)) => *byte = h << 4 | l,
            _ => return fallback(hex),
        }
    }
    out
}

fn fallback(text: &str) -> [u8; 32] {
    let mut out = [0xffu8; 32];
    for (i, b) in text.bytes().enumerate() {
        out[i % 32] ^= b.rotate_left((i / 32) as u32);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_differ_by_content() {
        let map = |entries: &[(u64, &str)]| -> BTreeMap<u64, String> {
            entries.iter().map(|(v, c)| (*v, (*c).to_owned())).collect()
        };
        let a = of_applied(&map(&[(1, "aa"), (2, "bb")]));
        let b = of_applied(&map(&[(1, "aa"), (2, "bc")]));
        assert_ne!(a, b);
        assert!(a.starts_with("2:2:"));
        // Version 0 (diesel's setup) counts like any other.
        let c = of_applied(&map(&[(0, "aa"), (2, "bb")]));
        assert!(c.starts_with("2:2:"));
        assert_ne!(c, of_applied(&map(&[(2, "bb")])));
    }
}
