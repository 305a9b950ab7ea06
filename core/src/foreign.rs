//! Checksums as other migration tools compute them, so that `driftless adopt` verifies the
//! history another tool kept instead of trusting it. Each function follows that tool's source:
//!
//! - sqlx 0.9 (`sqlx-core/src/migrate/migration.rs`, `source.rs`): SHA-384 of the file's text
//!   exactly as read (`fs::read_to_string`: no line-ending or BOM normalisation), stored as the
//!   raw 48 bytes in `_sqlx_migrations.checksum`. sqlx can be configured to skip characters
//!   (`migrate.ignored-chars` in `sqlx.toml`); such checksums cannot be reproduced from the file
//!   alone.
//! - Prisma (`schema-engine/connectors/schema-connector/src/checksum.rs`): SHA-256 of
//!   `migration.sql` as lowercase hex; a script matches when its own, its CRLF→LF or its LF→CRLF
//!   form hashes to the stored value, and old rows may hold the hex without zero padding.
//! - refinery (`refinery_core/src/migration.rs`): SipHash-1-3 with zero keys over the name, the
//!   version (an `i32`, or an `i64` with refinery's `int8-versions` feature) and the SQL, fed
//!   through `std::hash::Hash` (a `str` is its bytes then `0xff`; an integer its little-endian
//!   bytes on the platforms refinery runs on), stored as the decimal `u64`.
//! - diesel keeps no checksum.

use sha2::{Digest, Sha256, Sha384};

use crate::checksum::to_hex;

/// sqlx's checksum of a migration file's text, as lowercase hex (SHA-384 of the bytes as read).
pub fn sqlx_checksum(sql: &str) -> String {
    to_hex(&Sha384::digest(sql.as_bytes()))
}

/// Whether a Prisma checksum (`_prisma_migrations.checksum`) is the checksum of `sql`, with
/// Prisma's own tolerance of line endings and of unpadded hex in old rows.
pub fn prisma_matches(sql: &str, stored: &str) -> bool {
    let stored = stored.trim();
    let forms = [
        sql.to_owned(),
        sql.replace("\r\n", "\n"),
        sql.replace('\n', "\r\n"),
    ];
    forms.iter().any(|form| {
        let digest: [u8; 32] = Sha256::digest(form.as_bytes()).into();
        if !stored.is_empty() && stored.len() != 64 {
            let unpadded: String = digest.iter().map(|b| format!("{b:x}")).collect();
            unpadded == stored
        } else {
            to_hex(&digest) == stored.to_ascii_lowercase()
        }
    })
}

/// Prisma's checksum of `sql` (lowercase hex SHA-256 of the text as read).
pub fn prisma_checksum(sql: &str) -> String {
    to_hex(&Sha256::digest(sql.as_bytes()))
}

/// refinery's checksums of a migration: with an `i32` version (refinery's default) when the
/// version fits one, then with an `i64` one (the `int8-versions` feature). Either may be the one
/// stored.
pub fn refinery_checksums(name: &str, version: i64, sql: &str) -> Vec<u64> {
    let mut out = Vec::new();
    if let Ok(v) = i32::try_from(version) {
        out.push(refinery_hash(name, &v.to_le_bytes(), sql));
    }
    out.push(refinery_hash(name, &version.to_le_bytes(), sql));
    out
}

fn refinery_hash(name: &str, version: &[u8], sql: &str) -> u64 {
    let mut message = Vec::with_capacity(name.len() + sql.len() + 10);
    message.extend_from_slice(name.as_bytes());
    message.push(0xff);
    message.extend_from_slice(version);
    message.extend_from_slice(sql.as_bytes());
    message.push(0xff);
    siphash13(&message)
}

/// SipHash-1-3 with the keys (0, 0): what `siphasher::sip::SipHasher13::new()` (and std's
/// `DefaultHasher::new()` today) computes over a byte stream.
pub fn siphash13(message: &[u8]) -> u64 {
    let mut v = [
        0x736f_6d65_7073_6575u64,
        0x646f_7261_6e64_6f6du64,
        0x6c79_6765_6e65_7261u64,
        0x7465_6462_7974_6573u64,
    ];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    let mut chunks = message.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let m = u64::from_le_bytes(word);
        v[3] ^= m;
        round(&mut v);
        v[0] ^= m;
    }
    let mut last = (message.len() as u64 & 0xff) << 56;
    for (i, b) in chunks.remainder().iter().enumerate() {
        last |= u64::from(*b) << (8 * i);
    }
    v[3] ^= last;
    round(&mut v);
    v[0] ^= last;
    v[2] ^= 0xff;
    round(&mut v);
    round(&mut v);
    round(&mut v);
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{Hash, Hasher};

    #[test]
    fn sqlx_is_sha384_of_the_raw_text() {
        // FIPS 180-2 test vector.
        assert_eq!(
            sqlx_checksum("abc"),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
             8086072ba1e7cc2358baeca134c825a7"
        );
        // No normalisation: line endings count.
        assert_ne!(sqlx_checksum("a\r\n"), sqlx_checksum("a\n"));
    }

    #[test]
    fn prisma_matches_like_prisma() {
        // Prisma's own test vector.
        assert_eq!(
            prisma_checksum("hello"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        let lf = "ab\ncd\n";
        let crlf = "ab\r\ncd\r\n";
        assert!(prisma_matches(crlf, &prisma_checksum(lf)));
        assert!(prisma_matches(lf, &prisma_checksum(crlf)));
        assert!(!prisma_matches("abc", &prisma_checksum("abcd")));
        assert!(!prisma_matches("abc\n", &prisma_checksum("abc")));
        // An old row without zero padding.
        let digest: [u8; 32] = Sha256::digest(b"x").into();
        let unpadded: String = digest.iter().map(|b| format!("{b:x}")).collect();
        assert!(unpadded.len() < 64);
        assert!(prisma_matches("x", &unpadded));
    }

    /// refinery's checksum is what `DefaultHasher` computed when refinery used it (SipHash-1-3,
    /// zero keys); std's `DefaultHasher::new()` still is that hasher, which makes it an
    /// independent oracle for this implementation.
    #[test]
    fn refinery_matches_sip13_through_hash() {
        for (name, version, sql) in [
            (
                "initial",
                1i32,
                "CREATE TABLE persons (id int, name varchar(255));",
            ),
            ("add_cars_and_motos_table", 2, ""),
            ("x", i32::MAX, "SELECT 1;\r\n-- ünïcode\n"),
        ] {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            name.hash(&mut hasher);
            version.hash(&mut hasher);
            sql.hash(&mut hasher);
            assert_eq!(
                refinery_checksums(name, version.into(), sql)[0],
                hasher.finish()
            );
            let mut wide = std::collections::hash_map::DefaultHasher::new();
            name.hash(&mut wide);
            i64::from(version).hash(&mut wide);
            sql.hash(&mut wide);
            assert_eq!(
                refinery_checksums(name, version.into(), sql)[1],
                wide.finish()
            );
        }
        // Lengths around the 8-byte block boundary.
        for len in 0..20 {
            let msg: Vec<u8> = (0..len as u8).collect();
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            hasher.write(&msg);
            assert_eq!(siphash13(&msg), hasher.finish(), "length {len}");
        }
    }
}
