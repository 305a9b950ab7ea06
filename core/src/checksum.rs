//! Migration checksums: SHA-256 over the content with CRLF→LF and a leading BOM removed.

use sha2::{Digest, Sha256};

/// The algorithm name recorded in the lock file.
pub const ALGORITHM: &str = "sha256";

/// The checksum of a migration's bytes, insensitive to line endings and a UTF-8 BOM.
pub fn checksum(content: &[u8]) -> [u8; 32] {
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let mut hasher = Sha256::new();
    let mut rest = content;
    while let Some(i) = rest.windows(2).position(|w| w == b"\r\n") {
        hasher.update(&rest[..i]);
        hasher.update(b"\n");
        rest = &rest[i + 2..];
    }
    hasher.update(rest);
    hasher.finalize().into()
}

/// SHA-256 of arbitrary bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Lowercase hex of a checksum.
pub fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Parses 64 hex digits.
pub fn from_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_and_bom_do_not_change_the_checksum() {
        let lf = checksum(b"CREATE TABLE t (id int);\nSELECT 1;\n");
        assert_eq!(lf, checksum(b"CREATE TABLE t (id int);\r\nSELECT 1;\r\n"));
        assert_eq!(
            lf,
            checksum(b"\xEF\xBB\xBFCREATE TABLE t (id int);\r\nSELECT 1;\n")
        );
        assert_ne!(lf, checksum(b"CREATE TABLE t (id int);\nSELECT 2;\n"));
        // A lone CR is content, not a line ending.
        assert_ne!(lf, checksum(b"CREATE TABLE t (id int);\rSELECT 1;\r"));
    }

    #[test]
    fn hex_round_trips() {
        let sum = checksum(b"x");
        assert_eq!(from_hex(&to_hex(&sum)), Some(sum));
        assert_eq!(from_hex("zz"), None);
    }
}
