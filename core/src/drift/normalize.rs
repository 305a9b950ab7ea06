//! What each engine normalises, applied to both sides so they compare: type aliases and
//! display widths, casts and parentheses the catalog adds to expressions, SQLite type affinity.
//!
//! Every function returns `None` when it does not recognise its input: the comparison then
//! counts the fact as not verified instead of guessing.

use crate::dialect::Dialect;

/// A type in the engine's canonical spelling (`character varying(255)`, `int unsigned`), or
/// `None` when the spelling is not one the normaliser knows.
pub(crate) fn ty(dialect: Dialect, raw: &str) -> Option<String> {
    let text = squash(raw);
    match dialect {
        Dialect::Postgres => pg_type(&text),
        Dialect::Mysql => mysql_type(&text),
        Dialect::Sqlite => Some(text.to_uppercase()),
    }
}

/// Whether two types are the same to the engine, given their canonical forms. SQLite stores
/// values by affinity: two declared types with the same affinity store the same values.
pub(crate) fn same_type(dialect: Dialect, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match dialect {
        Dialect::Sqlite => affinity(a) == affinity(b),
        // MariaDB stores JSON as LONGTEXT (with a json_valid check); MySQL has a JSON type.
        Dialect::Mysql => {
            let json = |t: &str| t == "json" || t == "longtext";
            json(a) && json(b)
        }
        Dialect::Postgres => false,
    }
}

/// SQLite's column affinity of a declared type (the rules of "Determination Of Column Affinity").
pub(crate) fn affinity(declared: &str) -> &'static str {
    let upper = declared.to_uppercase();
    if upper.contains("INT") {
        "INTEGER"
    } else if upper.contains("CHAR") || upper.contains("CLOB") || upper.contains("TEXT") {
        "TEXT"
    } else if upper.contains("BLOB") || upper.trim().is_empty() {
        "BLOB"
    } else if upper.contains("REAL") || upper.contains("FLOA") || upper.contains("DOUB") {
        "REAL"
    } else {
        "NUMERIC"
    }
}

/// Lowercase outside quotes, whitespace collapsed, no space inside or before parentheses or
/// around commas, double quotes dropped.
fn squash(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.trim().chars().peekable();
    let mut space = false;
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                if space && !out.ends_with(['(', ',', '[']) && !out.is_empty() {
                    out.push(' ');
                    space = false;
                }
                out.push(c);
                while let Some(q) = chars.next() {
                    out.push(q);
                    if q == '\'' {
                        if chars.peek() == Some(&'\'') {
                            out.push(chars.next().unwrap_or('\''));
                        } else {
                            break;
                        }
                    }
                }
            }
            '"' | '`' => {}
            c if c.is_whitespace() => space = true,
            '(' | ')' | ',' | '[' | ']' => {
                space = false;
                out.push(c);
            }
            c => {
                if space && !out.ends_with(['(', ',', '[']) && !out.is_empty() {
                    out.push(' ');
                }
                space = false;
                out.extend(c.to_lowercase());
            }
        }
    }
    out
}

/// Splits `base(mods) rest` into the words without the modifier and the modifier.
fn split_mods(text: &str) -> (String, Option<String>) {
    match (text.find('('), text.rfind(')')) {
        (Some(open), Some(close)) if close > open => {
            let words = format!("{}{}", text[..open].trim_end(), &text[close + 1..]);
            (
                words.split_whitespace().collect::<Vec<_>>().join(" "),
                Some(text[open + 1..close].to_owned()),
            )
        }
        _ => (text.to_owned(), None),
    }
}

const PG_PLAIN: &[&str] = &[
    "text",
    "uuid",
    "json",
    "jsonb",
    "bytea",
    "date",
    "interval",
    "inet",
    "cidr",
    "macaddr",
    "citext",
    "tsvector",
    "tsquery",
    "money",
    "xml",
    "oid",
    "point",
    "line",
    "box",
    "polygon",
    "circle",
    "ltree",
    "hstore",
    "bit",
    "bit varying",
    "int4range",
    "int8range",
    "tsrange",
    "tstzrange",
    "daterange",
    "numrange",
];

fn pg_type(text: &str) -> Option<String> {
    let mut text = text.to_owned();
    let mut dims = 0;
    while let Some(stripped) = text.strip_suffix(']') {
        let open = stripped.rfind('[')?;
        text = stripped[..open].trim_end().to_owned();
        dims += 1;
    }
    if let Some(stripped) = text.strip_suffix(" array") {
        text = stripped.to_owned();
        dims += 1;
    }
    let text = text.strip_prefix("public.").unwrap_or(&text).to_owned();
    let text = text.strip_prefix("pg_catalog.").unwrap_or(&text).to_owned();
    let (words, mods) = split_mods(&text);
    let with_mods = |base: &str| match &mods {
        Some(m) => format!("{base}({m})"),
        None => base.to_owned(),
    };
    let zone = |base: &str, rest: &str| {
        let zone = if rest.contains("with time zone") && !rest.contains("without") {
            "with time zone"
        } else {
            "without time zone"
        };
        format!("{} {zone}", with_mods(base))
    };
    let base = match words.as_str() {
        "int" | "int4" | "integer" | "serial" | "serial4" => "integer".to_owned(),
        "int8" | "bigint" | "bigserial" | "serial8" => "bigint".to_owned(),
        "int2" | "smallint" | "smallserial" | "serial2" => "smallint".to_owned(),
        "varchar" | "character varying" | "char varying" => with_mods("character varying"),
        "char" | "character" | "bpchar" => match &mods {
            Some(m) => format!("character({m})"),
            None => "character(1)".to_owned(),
        },
        "bool" | "boolean" => "boolean".to_owned(),
        "float8" | "double precision" => "double precision".to_owned(),
        "float4" | "real" => "real".to_owned(),
        "float" => match mods.as_deref().map(str::parse::<u32>) {
            Some(Ok(p)) if p <= 24 => "real".to_owned(),
            _ => "double precision".to_owned(),
        },
        "decimal" | "numeric" => with_mods("numeric"),
        "timestamptz" => zone("timestamp", "with time zone"),
        "timetz" => zone("time", "with time zone"),
        w if w == "timestamp" || w.starts_with("timestamp with") => zone("timestamp", w),
        w if w == "time" || w.starts_with("time with") => zone("time", w),
        w if PG_PLAIN.contains(&w) => with_mods(w),
        // A user type (enum, domain, extension type): its own name, compared as spelled.
        w if w
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '$') =>
        {
            with_mods(w)
        }
        _ => return None,
    };
    Some(format!("{base}{}", "[]".repeat(dims)))
}

const MYSQL_INTEGERS: &[&str] = &[
    "tinyint",
    "smallint",
    "mediumint",
    "int",
    "integer",
    "bigint",
    "bool",
    "boolean",
];

fn mysql_type(text: &str) -> Option<String> {
    // Character sets and collations are column attributes, not the type.
    let mut text = text.to_owned();
    for marker in [" character set ", " charset ", " collate "] {
        if let Some(at) = text.find(marker) {
            text.truncate(at);
        }
    }
    let text = text.trim();
    if let Some(rest) = text
        .strip_prefix("enum(")
        .or_else(|| text.strip_prefix("set("))
    {
        let kind = if text.starts_with("enum") {
            "enum"
        } else {
            "set"
        };
        return Some(format!("{kind}({rest}"));
    }
    let (words, mods) = split_mods(text);
    let mut parts = words.split(' ');
    let base = parts.next()?;
    let rest: Vec<&str> = parts.collect();
    let (base, mods) = match base {
        b if MYSQL_INTEGERS.contains(&b) => {
            let b = match b {
                "integer" => "int",
                "bool" | "boolean" => "tinyint",
                b => b,
            };
            (b.to_owned(), None)
        }
        "serial" => return Some("bigint unsigned".to_owned()),
        "decimal" | "numeric" | "dec" | "fixed" => (
            "decimal".to_owned(),
            Some(match mods.as_deref() {
                None => "10,0".to_owned(),
                Some(m) if !m.contains(',') => format!("{m},0"),
                Some(m) => m.to_owned(),
            }),
        ),
        "real" | "double" => ("double".to_owned(), None),
        // MariaDB writes `year(4)`, MySQL 8 `year`: one type.
        "year" => ("year".to_owned(), None),
        "float" => match mods.as_deref().map(str::parse::<u32>) {
            Some(Ok(p)) if p > 24 => ("double".to_owned(), None),
            _ => ("float".to_owned(), None),
        },
        "char" | "character" if rest.first() == Some(&"varying") => ("varchar".to_owned(), mods),
        "char" | "character" => ("char".to_owned(), Some(mods.unwrap_or_else(|| "1".into()))),
        "varchar" | "text" | "tinytext" | "mediumtext" | "longtext" | "blob" | "tinyblob"
        | "mediumblob" | "longblob" | "json" | "date" | "datetime" | "timestamp" | "time"
        | "binary" | "varbinary" | "bit" | "geometry" | "point" | "uuid" | "inet4" | "inet6" => {
            (base.to_owned(), mods)
        }
        _ => return None,
    };
    let rest: Vec<&str> = rest
        .into_iter()
        .filter(|w| *w != "varying" && *w != "precision" && *w != "signed")
        .collect();
    let mut out = match mods {
        Some(m) => format!("{base}({m})"),
        None => base,
    };
    for word in rest {
        out.push(' ');
        out.push_str(word);
    }
    Some(out)
}

/// An expression (default, check, index predicate or key part) in a form both sides share:
/// lowercase outside string literals, no whitespace, no double quotes or backticks, no
/// PostgreSQL `::type` casts, no parentheses but those of function calls, numeric string
/// literals unquoted, and the spellings of the current time made one.
pub(crate) fn expr(dialect: Dialect, raw: &str) -> String {
    let squashed = squash(raw);
    let bytes: Vec<char> = squashed.chars().collect();
    let mut out = String::with_capacity(squashed.len());
    // For each open parenthesis: whether it is kept (a call's).
    let mut parens: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            '\'' => {
                let start = i;
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == '\'' {
                        if bytes.get(i + 1) == Some(&'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                let literal: String = bytes[start..(i + 1).min(bytes.len())].iter().collect();
                let inner = literal.trim_matches('\'');
                if !inner.is_empty() && inner.parse::<f64>().is_ok() {
                    out.push_str(inner);
                } else {
                    // A literal prefixed by its type (`E'x'`, `interval '1 day'`) is the
                    // literal, as the catalog prints it (`'1 day'::interval`).
                    for prefix in ["e", "interval ", "date ", "timestamp ", "time "] {
                        if out.ends_with(prefix)
                            && !ends_with_word(&out[..out.len() - prefix.len()])
                        {
                            out.truncate(out.len() - prefix.len());
                            break;
                        }
                    }
                    out.push_str(&literal);
                }
                i += 1;
                continue;
            }
            ':' if bytes.get(i + 1) == Some(&':') => {
                i = skip_cast(&bytes, i + 2);
                continue;
            }
            '(' => {
                // A call's parenthesis follows its name; one after a keyword groups.
                let word: String = out
                    .chars()
                    .rev()
                    .take_while(|p| p.is_alphanumeric() || *p == '_')
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                let call = !word.is_empty() && !KEYWORDS.contains(&word.as_str());
                parens.push(call);
                if call {
                    out.push('(');
                } else if out.chars().last().is_some_and(word_char) {
                    out.push(' ');
                }
            }
            ')' => {
                if parens.pop().unwrap_or(false) {
                    out.push(')');
                }
            }
            ' ' => {
                // Keep one space between two words (`is not null`), none elsewhere.
                let prev = out.chars().last();
                let next = bytes.get(i + 1).copied();
                if prev.is_some_and(word_char) && next.is_some_and(word_char) {
                    out.push(' ');
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    let out = out.replace("current_timestamp()", "current_timestamp");
    let out = out.replace("now()", "current_timestamp");
    match dialect {
        Dialect::Mysql | Dialect::Sqlite => match out.as_str() {
            "true" => "1".to_owned(),
            "false" => "0".to_owned(),
            _ => out,
        },
        Dialect::Postgres => out,
    }
}

/// Words after which a parenthesis groups rather than calls.
const KEYWORDS: &[&str] = &[
    "and", "or", "not", "when", "then", "else", "case", "is", "like", "ilike", "between", "where",
    "on", "select", "exists", "as",
];

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '\''
}

fn ends_with_word(text: &str) -> bool {
    text.chars()
        .last()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Skips a cast's type name from `i`: words (`character varying`, `timestamp without time zone`),
/// a dotted schema, a `(n[,m])` modifier and `[]`.
fn skip_cast(chars: &[char], mut i: usize) -> usize {
    const MORE: &[&str] = &["varying", "precision", "without", "with", "time", "zone"];
    loop {
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
        {
            i += 1;
        }
        if chars.get(i) == Some(&'(') {
            let close = chars[i..].iter().position(|c| *c == ')');
            let inner_ok = close.is_some_and(|c| {
                chars[i + 1..i + c]
                    .iter()
                    .all(|c| c.is_ascii_digit() || *c == ',')
            });
            if let (true, Some(close)) = (inner_ok, close) {
                i += close + 1;
            }
        }
        while chars.get(i) == Some(&'[') && chars.get(i + 1) == Some(&']') {
            i += 2;
        }
        // A following word that continues a multi-word type name.
        if chars.get(i) == Some(&' ') {
            let rest: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_alphanumeric())
                .collect();
            if MORE.contains(&rest.as_str()) {
                i += 1;
                continue;
            }
        }
        return i;
    }
}

/// Whether a normalised default is a plain value the normaliser is sure of (a literal, NULL, a
/// boolean, the current time, or a call without arguments): two different plain values are
/// drift; anything else that differs is not verified.
pub(crate) fn plain(expr: &str) -> bool {
    let quoted = expr.len() >= 2
        && expr.starts_with('\'')
        && expr.ends_with('\'')
        && !expr[1..expr.len() - 1].replace("''", "").contains('\'');
    quoted
        || expr.parse::<f64>().is_ok()
        || matches!(
            expr,
            "null" | "true" | "false" | "current_timestamp" | "current_date" | "current_time"
        )
        || (expr.ends_with("()")
            && expr[..expr.len() - 2]
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.'))
}

/// A default as both sides mean it: `None` for none (or `NULL`). A number is written in one
/// form (`0.00` and `0` are the same default to a `numeric(10,2)` column).
pub(crate) fn default(dialect: Dialect, raw: Option<&str>) -> Option<String> {
    let normal = expr(dialect, raw?);
    if let Ok(number) = normal.parse::<f64>()
        && number.is_finite()
    {
        return Some(format!("{number}"));
    }
    (normal != "null" && !normal.is_empty()).then_some(normal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_types_meet_format_type() {
        let pairs = [
            ("INT", "integer"),
            ("int4", "integer"),
            ("SERIAL", "integer"),
            ("BIGSERIAL", "bigint"),
            ("VARCHAR(255)", "character varying(255)"),
            ("CHARACTER VARYING ( 20 )", "character varying(20)"),
            ("varchar", "character varying"),
            ("CHAR", "character(1)"),
            ("TIMESTAMPTZ", "timestamp with time zone"),
            ("TIMESTAMP(3)", "timestamp(3) without time zone"),
            ("timestamp(3) with time zone", "timestamp(3) with time zone"),
            ("DOUBLE PRECISION", "double precision"),
            ("FLOAT", "double precision"),
            ("DECIMAL(65,30)", "numeric(65,30)"),
            ("TEXT[]", "text[]"),
            ("INT[]", "integer[]"),
            ("\"public\".\"Mood\"", "mood"),
            ("BOOL", "boolean"),
            ("JSONB", "jsonb"),
        ];
        for (replayed, catalog) in pairs {
            assert_eq!(
                ty(Dialect::Postgres, replayed),
                ty(Dialect::Postgres, catalog),
                "{replayed} vs {catalog}"
            );
            assert!(ty(Dialect::Postgres, replayed).is_some(), "{replayed}");
        }
        assert_ne!(
            ty(Dialect::Postgres, "varchar(20)"),
            ty(Dialect::Postgres, "varchar(30)")
        );
        assert_ne!(
            ty(Dialect::Postgres, "int"),
            ty(Dialect::Postgres, "bigint")
        );
        assert_ne!(
            ty(Dialect::Postgres, "timestamp"),
            ty(Dialect::Postgres, "timestamptz")
        );
    }

    #[test]
    fn mysql_types_ignore_display_widths_and_charsets() {
        let pairs = [
            ("INT", "int(11)"),
            ("INTEGER", "int(11)"),
            ("BIGINT UNSIGNED", "bigint(20) unsigned"),
            ("BOOLEAN", "tinyint(1)"),
            ("VARCHAR(255) CHARACTER SET utf8mb4", "varchar(255)"),
            ("ENUM('a', 'b c')", "enum('a','b c')"),
            ("DECIMAL", "decimal(10,0)"),
            ("NUMERIC(10,2)", "decimal(10,2)"),
            ("DOUBLE PRECISION", "double"),
            ("CHAR", "char(1)"),
        ];
        for (replayed, catalog) in pairs {
            assert_eq!(
                ty(Dialect::Mysql, replayed),
                ty(Dialect::Mysql, catalog),
                "{replayed} vs {catalog}"
            );
        }
        assert_ne!(ty(Dialect::Mysql, "int"), ty(Dialect::Mysql, "bigint"));
        assert_ne!(
            ty(Dialect::Mysql, "ENUM('a','b')"),
            ty(Dialect::Mysql, "enum('a','b','c')")
        );
    }

    #[test]
    fn sqlite_types_compare_by_affinity() {
        let a = ty(Dialect::Sqlite, "varchar(20)").unwrap();
        let b = ty(Dialect::Sqlite, "TEXT").unwrap();
        assert!(same_type(Dialect::Sqlite, &a, &b));
        let c = ty(Dialect::Sqlite, "INTEGER").unwrap();
        assert!(!same_type(Dialect::Sqlite, &b, &c));
    }

    #[test]
    fn expressions_meet_the_catalogs_spelling() {
        let pg = |a: &str, b: &str| {
            assert_eq!(
                expr(Dialect::Postgres, a),
                expr(Dialect::Postgres, b),
                "{a} vs {b}"
            )
        };
        pg("'active'", "'active'::text");
        pg("'active'", "'active'::character varying");
        pg("-1", "'-1'::integer");
        pg("'{}'::JSONB", "'{}'::jsonb");
        pg("now()", "CURRENT_TIMESTAMP");
        pg(
            "price > 0",
            "CHECK ((price > (0)::numeric))".trim_start_matches("CHECK "),
        );
        pg("deleted_at IS NULL", "(deleted_at IS NULL)");
        pg("status = 'x'", "((status)::text = 'x'::text)");
        pg(
            "'2020-01-01'::timestamp",
            "'2020-01-01'::timestamp without time zone",
        );
        pg("lower(email)", "lower((email)::text)");
        pg(
            "isbn IS NOT NULL AND isbn <> ''",
            "((isbn IS NOT NULL) AND ((isbn)::text <> ''::text))",
        );
        assert_ne!(
            expr(Dialect::Postgres, "'a'"),
            expr(Dialect::Postgres, "'b'")
        );
        assert_ne!(
            expr(Dialect::Postgres, "x IS NULL"),
            expr(Dialect::Postgres, "x IS NOT NULL")
        );
        let my = |a: &str, b: &str| {
            assert_eq!(
                expr(Dialect::Mysql, a),
                expr(Dialect::Mysql, b),
                "{a} vs {b}"
            )
        };
        my("CURRENT_TIMESTAMP", "current_timestamp()");
        my("TRUE", "1");
        my("'x'", "'x'");
        assert!(plain(&expr(Dialect::Postgres, "'a'::text")));
        assert!(plain(&expr(Dialect::Postgres, "gen_random_uuid()")));
        assert!(!plain(&expr(Dialect::Postgres, "nextval('s'::regclass)")));
        assert_eq!(default(Dialect::Postgres, Some("NULL")), None);
        assert_eq!(
            default(Dialect::Mysql, Some("0")),
            default(Dialect::Mysql, Some("0.00"))
        );
        assert_ne!(
            default(Dialect::Mysql, Some("1")),
            default(Dialect::Mysql, Some("0.00"))
        );
    }
}
