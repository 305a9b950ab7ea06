//! `-- driftless:` directives: one grammar, documented in docs/directives.md (CONTRACT §4).
//!
//! - `-- driftless: allow <code>[, <code>]: <reason>` on the line before a statement covers that
//!   statement; in the header (before the first statement, separated from it by a blank line) it
//!   covers the file.
//! - `-- driftless: no-transaction` in the header runs the file outside a transaction. sqlx's
//!   `-- no-transaction` first line and diesel's `run_in_transaction = false` mean the same.
//!
//! Anything else after `-- driftless:` is an error, so a typo can never switch a check off.

use std::ops::Range;

use crate::diagnostic::{Code, Diagnostic};

/// The prefix that makes a comment a directive.
pub const PREFIX: &str = "driftless:";

/// A directive found in a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    /// `allow <code>[, <code>]: <reason>`.
    Allow {
        /// The codes it allows.
        codes: Vec<Code>,
        /// Why, in the author's words.
        reason: String,
        /// The file, or the index of the statement it precedes.
        scope: Scope,
        /// Where the comment is.
        range: Range<usize>,
    },
    /// `no-transaction` (or sqlx's `-- no-transaction`, diesel's `run_in_transaction = false`).
    NoTransaction {
        /// Where it is written (empty for diesel's metadata.toml).
        range: Range<usize>,
    },
}

/// What an `allow` covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole file.
    File,
    /// The statement with this index.
    Statement(usize),
}

const HELP: &str = "directives are `-- driftless: allow <code>[, <code>]: <reason>` and `-- driftless: no-transaction` (docs/directives.md)";

/// Finds the directives among a file's comments. `statements` are the statement ranges, in order.
/// Problems are returned as diagnostics without a file (the caller places them).
pub fn parse(
    sql: &str,
    comments: &[Range<usize>],
    statements: &[Range<usize>],
) -> (Vec<Directive>, Vec<Diagnostic>) {
    let mut directives = Vec::new();
    let mut diags = Vec::new();
    let first_statement = statements.first().map_or(sql.len(), |s| s.start);
    // Built on the first `allow`: each lookup is then a binary search, where scanning the text
    // up to the next statement made a long header of directives quadratic.
    let mut blank_lines: Option<BlankLines> = None;
    for comment in comments {
        let text = &sql[comment.clone()];
        let Some(body) = text.strip_prefix("--") else {
            continue;
        };
        let body = body.trim();
        if body == "no-transaction" && sql[..comment.start].trim().is_empty() {
            directives.push(Directive::NoTransaction {
                range: comment.clone(),
            });
            continue;
        }
        let Some(body) = body.strip_prefix(PREFIX) else {
            // A near miss such as `-- driftless allow ...` must not silently do nothing.
            if body.starts_with("driftless ") || body.starts_with("driftless-") {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidDirective,
                        "a directive needs a colon after `driftless`",
                    )
                    .at(comment.clone())
                    .help(HELP),
                );
            }
            continue;
        };
        let body = body.trim();
        // Statements are in order and do not overlap: only the last one starting before the
        // comment can hold it.
        let before = statements.partition_point(|s| s.start < comment.start);
        if before > 0 && comment.end <= statements[before - 1].end {
            diags.push(
                Diagnostic::new(
                    Code::InvalidDirective,
                    "a directive inside a statement has no effect",
                )
                .at(comment.clone())
                .help("move it to the line before the statement"),
            );
            continue;
        }
        let in_header = comment.end <= first_statement;
        if body == "no-transaction" {
            if in_header {
                directives.push(Directive::NoTransaction {
                    range: comment.clone(),
                });
            } else {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidDirective,
                        "`no-transaction` must be at the top of the file",
                    )
                    .at(comment.clone())
                    .help("move it above the first statement"),
                );
            }
            continue;
        }
        let Some(rest) = body.strip_prefix("allow ") else {
            let word = body.split_whitespace().next().unwrap_or("");
            diags.push(
                Diagnostic::new(
                    Code::UnknownDirective,
                    format!("unknown directive `{word}`"),
                )
                .at(comment.clone())
                .help(HELP),
            );
            continue;
        };
        let Some((list, reason)) = rest.split_once(':') else {
            diags.push(
                Diagnostic::new(
                    Code::InvalidDirective,
                    "an `allow` needs a reason after a colon",
                )
                .at(comment.clone())
                .help("write `-- driftless: allow <code>: <why this is safe>`"),
            );
            continue;
        };
        let reason = reason.trim();
        if reason.is_empty() {
            diags.push(
                Diagnostic::new(
                    Code::InvalidDirective,
                    "an `allow` needs a reason after the colon",
                )
                .at(comment.clone())
                .help("write `-- driftless: allow <code>: <why this is safe>`"),
            );
            continue;
        }
        let mut codes = Vec::new();
        let mut ok = true;
        for name in list.split(',').map(str::trim) {
            match Code::from_name(name) {
                Some(code) if code.configurable() => codes.push(code),
                Some(code) => {
                    ok = false;
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidDirective,
                            format!("`{code}` guards the folder's integrity and cannot be allowed"),
                        )
                        .at(comment.clone())
                        .help("fix the cause instead; the diagnostic's help says how"),
                    );
                }
                None => {
                    ok = false;
                    diags.push(
                        Diagnostic::new(Code::UnknownLint, format!("unknown lint `{name}`"))
                            .at(comment.clone())
                            .help("docs/diagnostics.md lists every code"),
                    );
                }
            }
        }
        if !ok {
            continue;
        }
        // The statement this comment leads into, if only comments and one line break separate them.
        let next = Some(statements.partition_point(|s| s.start < comment.end))
            .filter(|&i| i < statements.len());
        let adjacent = next.is_some_and(|i| {
            let blank_lines = blank_lines.get_or_insert_with(|| BlankLines::of(sql));
            !blank_lines.between(sql, comment.end, statements[i].start)
        });
        let scope = match next {
            Some(i) if adjacent => Scope::Statement(i),
            _ if in_header => Scope::File,
            _ => {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidDirective,
                        "an `allow` must be on the line before the statement it covers, or at the top of the file",
                    )
                    .at(comment.clone())
                    .help("remove the blank line between the directive and its statement"),
                );
                continue;
            }
        };
        directives.push(Directive::Allow {
            codes,
            reason: reason.to_owned(),
            scope,
            range: comment.clone(),
        });
    }
    (directives, diags)
}

/// The start of every blank line of a file (only whitespace before its `\n`), in order.
struct BlankLines(Vec<usize>);

impl BlankLines {
    fn of(sql: &str) -> BlankLines {
        let mut starts = Vec::new();
        let mut start = 0;
        for line in sql.split_inclusive('\n') {
            if line.ends_with('\n') && line.trim().is_empty() {
                starts.push(start);
            }
            start += line.len();
        }
        BlankLines(starts)
    }

    /// Whether `sql[from..to]` (between a comment and a statement) holds an empty line: a whole
    /// line after the one `from` is on and before the one `to` is on. The same as
    /// [`has_blank_line`] of that text, in logarithmic time.
    fn between(&self, sql: &str, from: usize, to: usize) -> bool {
        let to_line = sql[..to].rfind('\n').map_or(0, |i| i + 1);
        let first_after = self.0.partition_point(|&start| start <= from);
        self.0
            .get(first_after)
            .is_some_and(|&start| start < to_line)
    }
}

/// Whether text between a comment and a statement holds an empty line (only whitespace on it).
#[cfg(test)]
fn has_blank_line(gap: &str) -> bool {
    let mut lines = gap.split('\n');
    // The first piece is the rest of the comment's own line.
    lines.next();
    let rest: Vec<&str> = lines.collect();
    // The last piece is the start of the statement's line.
    rest.len() > 1 && rest[..rest.len() - 1].iter().any(|l| l.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialect::Dialect;
    use crate::split::split;

    fn check(sql: &str) -> (Vec<Directive>, Vec<&'static str>) {
        let s = split(sql, Dialect::Postgres);
        let statements: Vec<_> = s.statements().collect();
        // The splitter finds comments; for these tests a line scan is enough while it is a stub.
        let mut comments = s.comments.clone();
        if comments.is_empty() {
            let mut offset = 0;
            for line in sql.split_inclusive('\n') {
                if let Some(i) = line.find("--") {
                    comments.push(offset + i..offset + line.trim_end().len());
                }
                offset += line.len();
            }
        }
        let (d, diags) = parse(sql, &comments, &statements);
        (d, diags.iter().map(|d| d.code.as_str()).collect())
    }

    fn scopes(d: &[Directive]) -> Vec<Scope> {
        d.iter()
            .filter_map(|d| match d {
                Directive::Allow { scope, .. } => Some(*scope),
                Directive::NoTransaction { .. } => None,
            })
            .collect()
    }

    #[test]
    fn allow_before_a_statement_covers_it() {
        let (d, e) = check(
            "CREATE TABLE a (x int);\n-- driftless: allow drop-table: empty since v2\nDROP TABLE b;\n",
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(scopes(&d), [Scope::Statement(1)]);
        match &d[0] {
            Directive::Allow { codes, reason, .. } => {
                assert_eq!(codes, &[Code::DropTable]);
                assert_eq!(reason, "empty since v2");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn header_allow_covers_the_file() {
        let (d, e) =
            check("-- driftless: allow drop-table, drop-column: cleanup\n\nDROP TABLE b;\n");
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(scopes(&d), [Scope::File]);
        // Without the blank line it covers only the first statement.
        let (d, _) =
            check("-- driftless: allow drop-table: cleanup\nDROP TABLE b;\nDROP TABLE c;\n");
        assert_eq!(scopes(&d), [Scope::Statement(0)]);
    }

    #[test]
    fn no_transaction_forms() {
        let (d, e) = check("-- driftless: no-transaction\nCREATE INDEX CONCURRENTLY i ON t (x);\n");
        assert!(e.is_empty());
        assert!(matches!(d[0], Directive::NoTransaction { .. }));
        let (d, _) = check("-- no-transaction\nSELECT 1;\n");
        assert!(matches!(d[0], Directive::NoTransaction { .. }));
        // sqlx's form counts only on the first line.
        let (d, _) = check("SELECT 1;\n-- no-transaction\n");
        assert!(d.is_empty());
        let (_, e) = check("SELECT 1;\n-- driftless: no-transaction\nSELECT 2;\n");
        assert_eq!(e, ["invalid-directive"]);
    }

    proptest::proptest! {
        /// The blank-line index agrees with scanning the text between comment and statement.
        #[test]
        fn blank_lines_index_agrees_with_the_scan(
            text in "[a \t\r\n-]{0,40}",
            a in 0usize..41,
            b in 0usize..41,
        ) {
            let (from, to) = (a.min(b).min(text.len()), a.max(b).min(text.len()));
            let index = BlankLines::of(&text);
            proptest::prop_assert_eq!(
                index.between(&text, from, to),
                has_blank_line(&text[from..to]),
                "{:?} {}..{}", text, from, to
            );
        }
    }

    #[test]
    fn typos_never_switch_a_check_off() {
        assert_eq!(
            check("-- driftless: alow drop-table: x\nDROP TABLE b;\n").1,
            ["unknown-directive"]
        );
        assert_eq!(
            check("-- driftless: allow drop-tabel: x\nDROP TABLE b;\n").1,
            ["unknown-lint"]
        );
        assert_eq!(
            check("-- driftless: allow drop-table\nDROP TABLE b;\n").1,
            ["invalid-directive"]
        );
        assert_eq!(
            check("-- driftless: allow drop-table:  \nDROP TABLE b;\n").1,
            ["invalid-directive"]
        );
        assert_eq!(
            check("-- driftless allow drop-table: x\nDROP TABLE b;\n").1,
            ["invalid-directive"]
        );
        assert_eq!(
            check("-- driftless: allow edited-locked-migration: x\nDROP TABLE b;\n").1,
            ["invalid-directive"]
        );
        assert_eq!(
            check("SELECT 1;\n-- driftless: allow drop-table: x\n\nDROP TABLE b;\n").1,
            ["invalid-directive"]
        );
        // A plain comment that mentions driftless is not a directive.
        assert!(check("-- see driftless docs\nSELECT 1;\n").1.is_empty());
    }
}
