//! A tiny word scanner for statements the parser did not understand.
//!
//! It does not tokenize SQL fully: it only finds identifier-like words, tells whether each one
//! is code or sits inside a string, a quoted body or a quoted identifier, and skips comments.

/// Where a word was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A bare word of the statement itself.
    Code,
    /// A quoted identifier (`"x"`, `` `x` ``, `[x]`).
    Quoted,
    /// Inside a string literal or a dollar-quoted body.
    Literal,
}

/// Calls `f` for every identifier-like word of `text`, with its place.
///
/// MySQL's `#` comments are read as code on purpose: `#` is an operator in PostgreSQL, and
/// words of a comment only make more names uncertain, never fewer.
pub(crate) fn words(text: &str, mut f: impl FnMut(&str, Place)) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = find(bytes, i + 2, b"\n").unwrap_or(bytes.len());
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = find(bytes, i + 2, b"*/").map_or(bytes.len(), |e| e + 2);
                i = end;
            }
            b'\'' => {
                let end = closing(bytes, i + 1, b'\'');
                inner_words(&text[i + 1..end.min(text.len())], &mut f);
                i = end + 1;
            }
            b'"' | b'`' | b'[' => {
                let close = if b == b'[' { b']' } else { b };
                let end = closing(bytes, i + 1, close);
                let word = &text[i + 1..end.min(text.len())];
                if !word.is_empty() {
                    f(word, Place::Quoted);
                }
                i = end + 1;
            }
            b'$' => {
                // A PostgreSQL dollar quote `$tag$ ... $tag$`, or a parameter like `$1`.
                match dollar_tag_end(bytes, i) {
                    Ok(t) => {
                        let tag = &bytes[i..=t];
                        let body_start = t + 1;
                        let body_end = find(bytes, body_start, tag).unwrap_or(bytes.len());
                        inner_words(&text[body_start..body_end], &mut f);
                        i = (body_end + tag.len()).min(bytes.len());
                    }
                    Err(t) => i = t,
                }
            }
            _ if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || bytes[i] == b'$'
                        || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                f(&text[start..i], Place::Code);
            }
            _ => i += 1,
        }
    }
}

/// A token of [`tokens`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    /// A bare word (keyword or identifier).
    Word(&'a str),
    /// A quoted identifier's name (`"x"`, `` `x` ``, `[x]`).
    Quoted(&'a str),
    /// The content of a string literal (`''` undoubled) or of a dollar-quoted body.
    Str(std::borrow::Cow<'a, str>),
    /// A number.
    Number,
    /// Any other character that is not blank (`;`, `(`, `.`, `:`, `|`, ...).
    Punct(u8),
}

/// The tokens of `text`, comments left out. `hash_comments`: `#` starts a comment to the end of
/// the line (MySQL). Never fails: an unterminated literal runs to the end of the text.
pub(crate) fn tokens(text: &str, hash_comments: bool) -> Vec<Token<'_>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = find(bytes, i + 2, b"\n").unwrap_or(bytes.len());
            }
            b'#' if hash_comments => {
                i = find(bytes, i + 1, b"\n").unwrap_or(bytes.len());
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = find(bytes, i + 2, b"*/").map_or(bytes.len(), |e| e + 2);
            }
            b'\'' => {
                let end = closing(bytes, i + 1, b'\'');
                let raw = &text[i + 1..end.min(text.len())];
                let content = if raw.contains("''") {
                    std::borrow::Cow::Owned(raw.replace("''", "'"))
                } else {
                    std::borrow::Cow::Borrowed(raw)
                };
                out.push(Token::Str(content));
                i = end + 1;
            }
            b'"' | b'`' => {
                let end = closing(bytes, i + 1, b);
                out.push(Token::Quoted(&text[i + 1..end.min(text.len())]));
                i = end + 1;
            }
            b'$' => {
                match dollar_tag_end(bytes, i) {
                    Ok(t) => {
                        let tag = &bytes[i..=t];
                        let body_start = t + 1;
                        let body_end = find(bytes, body_start, tag).unwrap_or(bytes.len());
                        out.push(Token::Str(std::borrow::Cow::Borrowed(
                            &text[body_start..body_end],
                        )));
                        i = (body_end + tag.len()).min(bytes.len());
                    }
                    Err(t) => {
                        // A parameter (`$1`).
                        out.push(Token::Number);
                        i = t;
                    }
                }
            }
            _ if b.is_ascii_digit() => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                    i += 1;
                }
                out.push(Token::Number);
            }
            _ if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || bytes[i] == b'$'
                        || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                out.push(Token::Word(&text[start..i]));
            }
            _ if b.is_ascii_whitespace() => i += 1,
            _ => {
                out.push(Token::Punct(b));
                i += 1;
            }
        }
    }
    out
}

/// The words inside a string or body: everything that looks like an identifier, quoted or not.
fn inner_words(text: &str, f: &mut impl FnMut(&str, Place)) {
    for word in text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')) {
        if word.starts_with(|c: char| c.is_alphabetic() || c == '_') {
            f(word, Place::Literal);
        }
    }
}

/// The index of the closing quote `q` from `from`, honouring doubled quotes; the length of
/// `bytes` when unterminated.
/// After a `$` at `start`: `Ok` with the index of the `$` that closes a dollar-quote tag
/// (`$$`, `$body$`), or `Err` with the end of what follows when it is something else (a
/// parameter such as `$1`).
fn dollar_tag_end(bytes: &[u8], start: usize) -> Result<usize, usize> {
    let mut t = start + 1;
    while t < bytes.len() && (bytes[t].is_ascii_alphanumeric() || bytes[t] == b'_') {
        t += 1;
    }
    let quote = t < bytes.len()
        && bytes[t] == b'$'
        && (t == start + 1 || !bytes[start + 1].is_ascii_digit());
    if quote { Ok(t) } else { Err(t) }
}

fn closing(bytes: &[u8], from: usize, q: u8) -> usize {
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == q {
            if bytes.get(i + 1) == Some(&q) && q != b']' {
                i += 2;
                continue;
            }
            return i;
        }
        if bytes[i] == b'\\' && q == b'\'' {
            i += 2;
            continue;
        }
        i += 1;
    }
    bytes.len()
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// Whether a PostgreSQL statement uses `CONCURRENTLY` in a form that cannot run inside a
/// transaction block: `CREATE [UNIQUE] INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY`,
/// `REINDEX ... CONCURRENTLY` and `ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY`.
/// (`REFRESH MATERIALIZED VIEW CONCURRENTLY` is allowed in a transaction.)
pub(crate) fn concurrently_outside_transaction_only(text: &str) -> bool {
    let mut first: Option<String> = None;
    let (mut index, mut detach, mut concurrently) = (false, false, false);
    words(text, |word, place| {
        if place != Place::Code {
            return;
        }
        let upper = word.to_ascii_uppercase();
        if first.is_none() {
            first = Some(upper.clone());
        }
        match upper.as_str() {
            "INDEX" => index = true,
            "DETACH" => detach = true,
            "CONCURRENTLY" => concurrently = true,
            _ => {}
        }
    });
    if !concurrently {
        return false;
    }
    match first.as_deref() {
        Some("CREATE" | "DROP") => index,
        Some("REINDEX") => true,
        Some("ALTER") => detach,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str) -> Vec<(String, Place)> {
        let mut out = Vec::new();
        words(text, |w, p| out.push((w.to_owned(), p)));
        out
    }

    #[test]
    fn finds_words_in_code_bodies_and_strings() {
        let got = collect(
            "DO $$ BEGIN ALTER TABLE users ADD x int; END $$ -- orders\n/* items */ 'a b' \"Q\"",
        );
        let words: Vec<_> = got.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(
            words,
            [
                "DO", "BEGIN", "ALTER", "TABLE", "users", "ADD", "x", "int", "END", "a", "b", "Q"
            ]
        );
        assert_eq!(got[0].1, Place::Code);
        assert_eq!(got[4].1, Place::Literal);
        assert_eq!(got[11].1, Place::Quoted);
    }

    #[test]
    fn tagged_dollar_quotes_and_parameters() {
        let got = collect("SELECT $1, $fn$ select t $fn$ AS y");
        let words: Vec<_> = got.iter().map(|(w, _)| w.as_str()).collect();
        assert_eq!(words, ["SELECT", "select", "t", "AS", "y"]);
    }

    #[test]
    fn concurrently_forms() {
        assert!(concurrently_outside_transaction_only(
            "CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)"
        ));
        assert!(concurrently_outside_transaction_only(
            "drop index concurrently i"
        ));
        assert!(concurrently_outside_transaction_only(
            "REINDEX TABLE CONCURRENTLY t"
        ));
        assert!(concurrently_outside_transaction_only(
            "ALTER TABLE t DETACH PARTITION p CONCURRENTLY"
        ));
        assert!(!concurrently_outside_transaction_only(
            "REFRESH MATERIALIZED VIEW CONCURRENTLY v"
        ));
        assert!(!concurrently_outside_transaction_only(
            "CREATE INDEX i ON t (a) -- not CONCURRENTLY"
        ));
        assert!(!concurrently_outside_transaction_only(
            "COMMENT ON INDEX i IS 'built concurrently'"
        ));
    }
}
