//! Column types reduced to families, to tell a widening type change from one that can lose data.

use crate::dialect::Dialect;

/// A column type, as far as data loss is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ty {
    /// An integer of this many bytes.
    Int { bytes: u8, unsigned: bool },
    /// An exact decimal; `None` precision means unbounded.
    Numeric { precision: Option<u32>, scale: u32 },
    /// A binary floating point number of this many bytes.
    Float { bytes: u8 },
    /// Characters; `None` length means unbounded.
    Text { len: Option<u64> },
    /// Bytes; `None` length means unbounded.
    Binary { len: Option<u64> },
    /// A date (rank 0) or a timestamp (rank 1), with fractional-second precision.
    Temporal { rank: u8, precision: Option<u32> },
    /// A time of day.
    Time { precision: Option<u32> },
    /// `json` or `jsonb`.
    Json,
    /// `boolean`.
    Bool,
    /// An inline enum or set (MySQL) with its values.
    Enum(Vec<String>),
    /// Anything else, by its normalised spelling.
    Other(String),
}

/// What a type change does to existing values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// Every value fits the new type.
    Safe,
    /// Some values can be truncated, rounded or rejected.
    Lossy,
    /// The listed enum values disappear.
    DropsValues(Vec<String>),
}

/// Classifies a type from its SQL spelling (as `sqlparser` prints it).
pub(crate) fn classify(spelling: &str, dialect: Dialect) -> Ty {
    let lower = spelling.trim().to_ascii_lowercase();
    let (base, args, rest) = match lower.find('(') {
        Some(open) => {
            let close = lower[open..].rfind(')').map_or(lower.len(), |c| open + c);
            (
                lower[..open].trim().to_owned(),
                lower[open + 1..close].to_owned(),
                lower[(close + 1).min(lower.len())..].trim().to_owned(),
            )
        }
        None => (lower.clone(), String::new(), String::new()),
    };
    if lower.ends_with("[]") || base.starts_with("array") {
        return Ty::Other(normalise(&lower));
    }
    let unsigned = base.contains("unsigned") || rest.contains("unsigned");
    let base = base
        .replace(" unsigned", "")
        .replace(" zerofill", "")
        .replace(" signed", "");
    let nums: Vec<u64> = args
        .split(',')
        .filter_map(|a| a.trim().parse::<u64>().ok())
        .collect();
    let first = nums.first().copied();
    let precision = first.map(|n| n as u32);
    let with_zone = format!("{base} {rest}");
    match base.as_str() {
        "tinyint" if dialect == Dialect::Mysql && first == Some(1) && !unsigned => {
            Ty::Int { bytes: 1, unsigned }
        }
        "tinyint" => Ty::Int { bytes: 1, unsigned },
        "smallint" | "int2" | "smallserial" | "serial2" => Ty::Int { bytes: 2, unsigned },
        "mediumint" => Ty::Int { bytes: 3, unsigned },
        "int" | "integer" | "int4" | "serial" | "serial4" => Ty::Int { bytes: 4, unsigned },
        "bigint" | "int8" | "bigserial" | "serial8" => Ty::Int { bytes: 8, unsigned },
        "numeric" | "decimal" | "dec" | "number" => Ty::Numeric {
            precision: match (dialect, precision) {
                // MySQL's DECIMAL without precision is DECIMAL(10, 0).
                (Dialect::Mysql, None) => Some(10),
                (_, p) => p,
            },
            scale: nums.get(1).copied().unwrap_or(0) as u32,
        },
        "real" | "float4" => Ty::Float { bytes: 4 },
        "double" | "double precision" | "float8" => Ty::Float { bytes: 8 },
        "float" => Ty::Float {
            bytes: match first {
                Some(p) if p <= 24 => 4,
                Some(_) => 8,
                None if dialect == Dialect::Mysql => 4,
                None => 8,
            },
        },
        "char" | "character" | "nchar" | "bpchar" | "national character" => Ty::Text {
            len: Some(first.unwrap_or(1)),
        },
        "varchar"
        | "character varying"
        | "nvarchar"
        | "varchar2"
        | "char varying"
        | "national character varying" => Ty::Text { len: first },
        "text" if dialect == Dialect::Mysql => Ty::Text {
            len: Some(first.unwrap_or(65_535)),
        },
        "text" | "clob" | "string" | "citext" => Ty::Text { len: None },
        "tinytext" => Ty::Text { len: Some(255) },
        "mediumtext" => Ty::Text {
            len: Some(16_777_215),
        },
        "longtext" => Ty::Text {
            len: Some(4_294_967_295),
        },
        "bytea" => Ty::Binary { len: None },
        "blob" if dialect == Dialect::Mysql => Ty::Binary {
            len: Some(first.unwrap_or(65_535)),
        },
        "blob" => Ty::Binary { len: None },
        "tinyblob" => Ty::Binary { len: Some(255) },
        "mediumblob" => Ty::Binary {
            len: Some(16_777_215),
        },
        "longblob" => Ty::Binary {
            len: Some(4_294_967_295),
        },
        "binary" => Ty::Binary {
            len: Some(first.unwrap_or(1)),
        },
        "varbinary" => Ty::Binary { len: first },
        "bool" | "boolean" => Ty::Bool,
        "date" => Ty::Temporal {
            rank: 0,
            precision: None,
        },
        "timestamp"
        | "timestamptz"
        | "datetime"
        | "datetime2"
        | "timestamp with time zone"
        | "timestamp without time zone" => Ty::Temporal { rank: 1, precision },
        "time" | "timetz" | "time with time zone" | "time without time zone" => {
            Ty::Time { precision }
        }
        "json" | "jsonb" => Ty::Json,
        "enum" | "set" => Ty::Enum(
            args.split(',')
                .map(|v| v.trim().trim_matches('\'').to_owned())
                .filter(|v| !v.is_empty())
                .collect(),
        ),
        _ if with_zone.starts_with("timestamp") => Ty::Temporal { rank: 1, precision },
        _ => Ty::Other(normalise(&lower)),
    }
}

fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The decimal digits every value of an integer type fits in.
fn int_digits(bytes: u8, unsigned: bool) -> u32 {
    match (bytes, unsigned) {
        (1, _) => 3,
        (2, _) => 5,
        (3, _) => 8,
        (4, _) => 10,
        (_, false) => 19,
        (_, true) => 20,
    }
}

/// What changing a column from `old` to `new` does to its values. Changes between families
/// count as lossy, except the widenings that keep every value (integer to a wide enough
/// decimal or float, enum to long enough text).
pub(crate) fn change(old: &Ty, new: &Ty) -> Change {
    use Ty::*;
    let lossy = |b: bool| if b { Change::Lossy } else { Change::Safe };
    let shorter = |old: &Option<u64>, new: &Option<u64>| match (old, new) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(a), Some(b)) => b < a,
    };
    match (old, new) {
        _ if old == new => Change::Safe,
        (
            Int {
                bytes: a,
                unsigned: ua,
            },
            Int {
                bytes: b,
                unsigned: ub,
            },
        ) => lossy(if ua == ub {
            b < a
        } else {
            !(*ua && !*ub && b > a)
        }),
        (Int { bytes, unsigned }, Numeric { precision, scale }) => lossy(match precision {
            None => false,
            Some(p) => p.saturating_sub(*scale) < int_digits(*bytes, *unsigned),
        }),
        (Int { bytes: a, .. }, Float { bytes: b }) => lossy(!(*a <= 2 || (*a <= 4 && *b == 8))),
        (
            Numeric {
                precision: p1,
                scale: s1,
            },
            Numeric {
                precision: p2,
                scale: s2,
            },
        ) => lossy(match (p1, p2) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(p1), Some(p2)) => s2 < s1 || p2.saturating_sub(*s2) < p1.saturating_sub(*s1),
        }),
        (Float { bytes: a }, Float { bytes: b }) => lossy(b < a),
        (Text { len: a }, Text { len: b }) => lossy(shorter(a, b)),
        (Binary { len: a }, Binary { len: b }) => lossy(shorter(a, b)),
        (
            Temporal {
                rank: r1,
                precision: p1,
            },
            Temporal {
                rank: r2,
                precision: p2,
            },
        ) => lossy(
            r2 < r1
                || match (p1, p2) {
                    (_, None) => false,
                    (None, Some(p)) => *p < 6,
                    (Some(a), Some(b)) => b < a,
                },
        ),
        (Time { precision: p1 }, Time { precision: p2 }) => lossy(match (p1, p2) {
            (_, None) => false,
            (None, Some(p)) => *p < 6,
            (Some(a), Some(b)) => b < a,
        }),
        (Json, Json) | (Bool, Bool) => Change::Safe,
        (Enum(a), Enum(b)) => {
            let gone: Vec<String> = a.iter().filter(|v| !b.contains(v)).cloned().collect();
            if gone.is_empty() {
                Change::Safe
            } else {
                Change::DropsValues(gone)
            }
        }
        (Enum(values), Text { len }) => lossy(match len {
            None => false,
            Some(n) => values.iter().any(|v| v.chars().count() as u64 > *n),
        }),
        _ => Change::Lossy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(dialect: Dialect, old: &str, new: &str) -> Change {
        change(&classify(old, dialect), &classify(new, dialect))
    }

    #[test]
    fn widenings_are_safe() {
        let pg = Dialect::Postgres;
        for (old, new) in [
            ("VARCHAR(10)", "VARCHAR(20)"),
            ("INT", "BIGINT"),
            ("INTEGER", "INT8"),
            ("VARCHAR(255)", "TEXT"),
            ("CHARACTER VARYING(20)", "VARCHAR"),
            ("NUMERIC(10,2)", "NUMERIC(12,2)"),
            ("NUMERIC(10,2)", "NUMERIC"),
            ("SMALLINT", "INT"),
            ("INT", "NUMERIC(12)"),
            ("INT", "DOUBLE PRECISION"),
            ("REAL", "DOUBLE PRECISION"),
            ("DATE", "TIMESTAMP"),
            ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE"),
            ("TIMESTAMP", "TIMESTAMPTZ"),
            ("JSON", "JSONB"),
            ("CHAR(2)", "VARCHAR(10)"),
        ] {
            assert_eq!(check(pg, old, new), Change::Safe, "{old} -> {new}");
        }
        let my = Dialect::Mysql;
        for (old, new) in [
            ("INT(11)", "BIGINT(20)"),
            ("INT(11) UNSIGNED", "BIGINT"),
            ("VARCHAR(255)", "TEXT"),
            ("TEXT", "LONGTEXT"),
            ("ENUM('a','b')", "ENUM('a','b','c')"),
            ("ENUM('a','bb')", "VARCHAR(2)"),
        ] {
            assert_eq!(check(my, old, new), Change::Safe, "{old} -> {new}");
        }
    }

    #[test]
    fn narrowings_and_family_changes_are_lossy() {
        let pg = Dialect::Postgres;
        for (old, new) in [
            ("VARCHAR(20)", "VARCHAR(10)"),
            ("INT", "SMALLINT"),
            ("TEXT", "VARCHAR(255)"),
            ("NUMERIC(10,2)", "NUMERIC(8,2)"),
            ("NUMERIC(10,2)", "NUMERIC(10,1)"),
            ("NUMERIC", "NUMERIC(10,2)"),
            ("TEXT", "INTEGER"),
            ("INTEGER", "TEXT"),
            ("BIGINT", "REAL"),
            ("TIMESTAMP", "DATE"),
            ("DOUBLE PRECISION", "REAL"),
            ("NUMERIC(10,2)", "INTEGER"),
            ("UUID", "TEXT"),
        ] {
            assert_eq!(check(pg, old, new), Change::Lossy, "{old} -> {new}");
        }
        let my = Dialect::Mysql;
        assert_eq!(check(my, "INT", "INT UNSIGNED"), Change::Lossy);
        assert_eq!(check(my, "LONGTEXT", "TEXT"), Change::Lossy);
        assert_eq!(check(my, "ENUM('a','long')", "VARCHAR(2)"), Change::Lossy);
        assert_eq!(
            check(my, "ENUM('a','b','c')", "ENUM('a')"),
            Change::DropsValues(vec!["b".into(), "c".into()])
        );
    }
}
