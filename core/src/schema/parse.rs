//! Parsing one statement without risking the stack.
//!
//! sqlparser builds left-nested trees for operator chains (`1+1+…`, `a OR b OR …`, `x::int::…`,
//! `INT[][]…`) in a loop, so its recursion limit does not bound them; dropping, printing or
//! walking such a tree then recurses once per operator, and 100,000 operators overflow any
//! stack. Before parsing, a linear pass over the tokens bounds the depth the tree could have;
//! a statement over [`MAX_DEPTH`] is not parsed at all and stays opaque, like a statement the
//! parser does not understand. The parser's own recursion (parentheses, `NOT`, subqueries,
//! `CASE`) is bounded by [`RECURSION_LIMIT`]. Both bounds together fix the stack the analysis
//! needs, which [`crate::analysis`] provides on a thread of its own.

use sqlparser::ast::Statement;
use sqlparser::dialect::{Dialect as SqlDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::dialect::Dialect;

/// The deepest parse tree a statement may have (as estimated by [`depth_exceeds`]). Generated
/// SQL reaches a few hundred (`WHERE id = 1 OR id = 2 OR …` with a hundred terms); beyond this
/// the statement is opaque.
pub(crate) const MAX_DEPTH: usize = 2000;

/// sqlparser's recursion limit (its default, made explicit): nested parentheses, subqueries,
/// `NOT`s and `CASE`s. An unoptimised build needs up to about 120 KB of stack per level.
pub(crate) const RECURSION_LIMIT: usize = 50;

/// Parses `sql` (one statement, as split by [`crate::split`]), or `None` when the parser does
/// not understand it or it is too deep to parse safely.
pub(super) fn statements(dialect: Dialect, sql: &str) -> Option<Vec<Statement>> {
    match dialect {
        Dialect::Postgres => parse_with(&PostgreSqlDialect {}, sql),
        Dialect::Mysql => parse_with(&MySqlDialect {}, sql),
        Dialect::Sqlite => parse_with(&SQLiteDialect {}, sql),
    }
}

fn parse_with(dialect: &dyn SqlDialect, sql: &str) -> Option<Vec<Statement>> {
    // The same tokens `Parser::parse_sql` would make, made once and checked before parsing.
    let tokens = Tokenizer::new(dialect, sql).tokenize_with_location().ok()?;
    if depth_exceeds(&tokens, MAX_DEPTH) {
        return None;
    }
    Parser::new(dialect)
        .with_recursion_limit(RECURSION_LIMIT)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .ok()
}

/// One open bracket (or the statement itself, or a `CASE`) and the tokens counted in its
/// current item.
struct Frame {
    case: bool,
    count: usize,
    /// Set operations (`UNION`, `EXCEPT`, `INTERSECT`) in the bracket: they nest across the
    /// commas of the select lists they join, so separators do not reset them.
    sets: usize,
}

/// Whether the parse tree of `tokens` could be deeper than `max`.
///
/// Every node of an expression tree consumes at least one token that is not an identifier or a
/// literal (an operator, a keyword, a bracket), so the depth of the tree below an open bracket is
/// at most the number of such tokens in the bracket's current item: items are separated by `,`
/// and `;`, and by `WHEN`, `THEN` and `ELSE` in a `CASE`, whose parts are lists, not chains. A
/// closed bracket counts as one token of the enclosing item (`f(x) + f(x)`, `INT[][]`). The
/// estimate is the sum, over the open brackets, of one plus that count: an upper bound of the
/// depth up to a constant factor, computed in one pass without recursion. Set operations are
/// the one chain that spans items (`SELECT a, b UNION SELECT a, b …`): they count until their
/// bracket closes.
pub(crate) fn depth_exceeds(tokens: &[TokenWithSpan], max: usize) -> bool {
    let mut frames = vec![Frame {
        case: false,
        count: 0,
        sets: 0,
    }];
    // The sum over `frames` of 1 + count + sets.
    let mut depth = 1usize;
    for t in tokens {
        match &t.token {
            Token::Whitespace(_) | Token::EOF => continue,
            Token::Comma | Token::SemiColon => {
                if let Some(top) = frames.last_mut() {
                    depth -= top.count;
                    top.count = 0;
                }
            }
            Token::LParen | Token::LBracket | Token::LBrace => {
                frames.push(Frame {
                    case: false,
                    count: 0,
                    sets: 0,
                });
                depth += 1;
            }
            Token::RParen | Token::RBracket | Token::RBrace => {
                // An unbalanced closing bracket is the parser's problem, not a nesting one.
                if frames.len() > 1
                    && let Some(top) = frames.pop()
                {
                    depth -= top.count + top.sets + 1;
                }
                count_one(&mut frames, &mut depth);
            }
            Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::CASE => {
                count_one(&mut frames, &mut depth);
                frames.push(Frame {
                    case: true,
                    count: 0,
                    sets: 0,
                });
                depth += 1;
            }
            Token::Word(w)
                if w.quote_style.is_none()
                    && matches!(w.keyword, Keyword::WHEN | Keyword::THEN | Keyword::ELSE)
                    && frames.last().is_some_and(|f| f.case) =>
            {
                if let Some(top) = frames.last_mut() {
                    depth -= top.count;
                    top.count = 0;
                }
            }
            Token::Word(w)
                if w.quote_style.is_none()
                    && w.keyword == Keyword::END
                    && frames.last().is_some_and(|f| f.case) =>
            {
                if let Some(top) = frames.pop() {
                    depth -= top.count + top.sets + 1;
                }
            }
            Token::Word(w)
                if w.quote_style.is_none()
                    && matches!(
                        w.keyword,
                        Keyword::UNION | Keyword::EXCEPT | Keyword::INTERSECT | Keyword::MINUS
                    ) =>
            {
                if let Some(top) = frames.last_mut() {
                    top.sets += 1;
                    depth += 1;
                }
            }
            // Identifiers and literals are leaves.
            Token::Word(w) if w.quote_style.is_some() || w.keyword == Keyword::NoKeyword => {}
            Token::Number(..)
            | Token::Char(_)
            | Token::SingleQuotedString(_)
            | Token::DoubleQuotedString(_)
            | Token::TripleSingleQuotedString(_)
            | Token::TripleDoubleQuotedString(_)
            | Token::DollarQuotedString(_)
            | Token::SingleQuotedByteStringLiteral(_)
            | Token::DoubleQuotedByteStringLiteral(_)
            | Token::TripleSingleQuotedByteStringLiteral(_)
            | Token::TripleDoubleQuotedByteStringLiteral(_)
            | Token::SingleQuotedRawStringLiteral(_)
            | Token::DoubleQuotedRawStringLiteral(_)
            | Token::TripleSingleQuotedRawStringLiteral(_)
            | Token::TripleDoubleQuotedRawStringLiteral(_)
            | Token::NationalStringLiteral(_)
            | Token::QuoteDelimitedStringLiteral(_)
            | Token::NationalQuoteDelimitedStringLiteral(_)
            | Token::EscapedStringLiteral(_)
            | Token::UnicodeStringLiteral(_)
            | Token::HexStringLiteral(_)
            | Token::Placeholder(_) => {}
            // Operators, keywords and anything else.
            _ => count_one(&mut frames, &mut depth),
        }
        if depth > max {
            return true;
        }
    }
    false
}

fn count_one(frames: &mut [Frame], depth: &mut usize) {
    if let Some(top) = frames.last_mut() {
        top.count += 1;
        *depth += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth(sql: &str) -> usize {
        let tokens = Tokenizer::new(&PostgreSqlDialect {}, sql)
            .tokenize_with_location()
            .unwrap();
        (1..).find(|&max| !depth_exceeds(&tokens, max)).unwrap()
    }

    #[test]
    fn chains_and_nesting_add_up_lists_do_not() {
        assert_eq!(depth("SELECT 1"), 2);
        assert_eq!(depth("SELECT 1+1+1+1"), 5);
        assert_eq!(depth("SELECT ((((1))))"), 6);
        // Lists reset the count: columns, values, CASE branches.
        assert_eq!(
            depth("INSERT INTO t VALUES (1, 2), (3, 4), (5, 6)"),
            depth("INSERT INTO t VALUES (1, 2)")
        );
        let one = depth("SELECT CASE WHEN a = 1 THEN 'x' END");
        let many = depth(
            "SELECT CASE WHEN a = 1 THEN 'x' WHEN a = 2 THEN 'y' WHEN a = 3 THEN 'z' ELSE 'w' END",
        );
        assert_eq!(one, many);
        // A closed bracket is an operand of the enclosing chain.
        assert!(depth("SELECT f(1) + f(1) + f(1)") > depth("SELECT f(1)") + 3);
        assert!(depth("CREATE TABLE t (a INT[][][][])") > depth("CREATE TABLE t (a INT[])") + 2);
        // Set operations nest across the commas of their select lists.
        let union = |n: usize| vec!["SELECT 1, 2"; n].join(" UNION ");
        assert!(depth(&union(30)) > depth(&union(10)) + 19);
        // A quoted keyword is an identifier; words in strings are not tokens.
        assert_eq!(depth("SELECT \"and\""), depth("SELECT x"));
        assert_eq!(depth("SELECT 'a OR b OR c'"), depth("SELECT x"));
    }

    #[test]
    fn a_wide_table_is_shallow() {
        let columns: Vec<String> = (0..50_000)
            .map(|i| format!("c{i} VARCHAR(20) NOT NULL DEFAULT 'x'"))
            .collect();
        let sql = format!("CREATE TABLE t ({})", columns.join(", "));
        assert!(depth(&sql) < 20);
        assert!(statements(Dialect::Postgres, &sql).is_some());
    }

    #[test]
    fn too_deep_statements_are_not_parsed() {
        let chain = vec!["1"; MAX_DEPTH + 1].join("+");
        assert!(statements(Dialect::Postgres, &format!("SELECT {chain}")).is_none());
        let chain = vec!["1"; MAX_DEPTH / 2].join("+");
        assert!(statements(Dialect::Postgres, &format!("SELECT {chain}")).is_some());
    }
}
