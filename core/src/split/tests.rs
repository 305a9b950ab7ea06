//! The splitter's tests: statements, comments, quoting, dollar quotes, compound bodies and
//! `DELIMITER` per dialect, unterminated literals, and a proptest that arbitrary strings split
//! cleanly.

use super::*;
use proptest::prelude::*;

use Dialect::{Mysql, Postgres, Sqlite};

/// Renders a split as lines: each statement's text, then `comment: <text>` for each comment,
/// then `error <code> at <offset>: <message>` for each error. Also checks the invariants that
/// hold for every input.
fn render(sql: &str, dialect: Dialect) -> Vec<String> {
    let split = split(sql, dialect);
    check_invariants(sql, &split);
    let mut lines: Vec<String> = split.statements().map(|r| sql[r].to_owned()).collect();
    lines.extend(
        split
            .comments
            .iter()
            .map(|r| format!("comment: {}", &sql[r.clone()])),
    );
    lines.extend(split.errors.iter().map(|e| {
        format!(
            "error {} at {}: {}",
            e.code.as_str(),
            e.range.start,
            e.message
        )
    }));
    lines
}

fn check(dialect: Dialect, sql: &str, expected: &[&str]) {
    let actual = render(sql, dialect);
    assert_eq!(actual, expected, "splitting {sql:?} as {dialect}");
}

fn check_invariants(sql: &str, split: &Split) {
    let mut at = 0;
    for chunk in &split.chunks {
        assert_eq!(
            chunk.range.start, at,
            "chunks must be contiguous: {split:?}"
        );
        assert!(
            chunk.range.end > chunk.range.start,
            "empty chunk: {split:?}"
        );
        at = chunk.range.end;
        if let Some(s) = &chunk.statement {
            assert!(
                chunk.range.start <= s.start && s.end <= chunk.range.end && s.start < s.end,
                "statement outside its chunk: {split:?}"
            );
            let text = sql.get(s.clone()).expect("statement on char boundaries");
            assert!(!text.starts_with(|c: char| c.is_ascii() && is_space(c as u8)));
            assert!(!text.ends_with(|c: char| c.is_ascii() && is_space(c as u8)));
        }
    }
    assert_eq!(at, sql.len(), "chunks must cover the input: {split:?}");
    let mut last = 0;
    for comment in &split.comments {
        assert!(comment.start >= last && comment.end <= sql.len());
        assert!(sql.get(comment.clone()).is_some());
        last = comment.end;
    }
    for error in &split.errors {
        assert!(sql.get(error.range.clone()).is_some());
        assert!(!error.message.ends_with('.') && !error.help.is_empty());
    }
}

#[test]
fn plain_statements() {
    for dialect in Dialect::ALL {
        check(dialect, "", &[]);
        check(dialect, "  \n\t", &[]);
        check(dialect, "SELECT 1", &["SELECT 1"]);
        check(dialect, "SELECT 1;\nSELECT 2;\n", &["SELECT 1", "SELECT 2"]);
        check(dialect, ";;  ; SELECT 1 ;", &["SELECT 1"]);
        check(dialect, "SELECT 1;\nSELECT 2", &["SELECT 1", "SELECT 2"]);
        check(dialect, "SELECT 'é';", &["SELECT 'é'"]);
    }
}

#[test]
fn byte_order_mark_is_trivia() {
    check(Sqlite, "\u{feff}SELECT 1;", &["SELECT 1"]);
    // Near miss: elsewhere it is an identifier character, as to the database.
    check(Sqlite, "SELECT 1;\u{feff}", &["SELECT 1", "\u{feff}"]);
}

#[test]
fn chunks_carry_trivia_before_and_the_semicolon() {
    let sql = "-- a\nSELECT 1;  -- b\n\nSELECT 2 ;\n-- tail\n";
    let split = split(sql, Postgres);
    let chunks: Vec<_> = split
        .chunks
        .iter()
        .map(|c| (&sql[c.range.clone()], c.statement.clone().map(|s| &sql[s])))
        .collect();
    assert_eq!(
        chunks,
        [
            ("-- a\nSELECT 1;", Some("SELECT 1")),
            ("  -- b\n\nSELECT 2 ;", Some("SELECT 2")),
            ("\n-- tail\n", None),
        ]
    );
}

#[test]
fn comments() {
    for dialect in Dialect::ALL {
        check(
            dialect,
            "-- one\r\nSELECT /* two */ 1 -- three\n; /* four */",
            &[
                "SELECT /* two */ 1",
                "comment: -- one",
                "comment: /* two */",
                "comment: -- three",
                "comment: /* four */",
            ],
        );
        // A `;` inside a comment does not split.
        check(
            dialect,
            "SELECT 1 /* ; */ + 1; -- ;\n",
            &["SELECT 1 /* ; */ + 1", "comment: /* ; */", "comment: -- ;"],
        );
    }
    check(Postgres, "SELECT 1 --", &["SELECT 1", "comment: --"]);
}

#[test]
fn postgres_strings_and_identifiers() {
    check(Postgres, "SELECT 'a;b''c;';", &["SELECT 'a;b''c;'"]);
    // A backslash is an ordinary character in a standard string, so `'\'` is closed.
    check(
        Postgres,
        r"SELECT '\'; SELECT 2",
        &[r"SELECT '\'", "SELECT 2"],
    );
    check(
        Postgres,
        r"SELECT E'\';'; SELECT 2",
        &[r"SELECT E'\';'", "SELECT 2"],
    );
    check(
        Postgres,
        r"SELECT e'it''s\\'; SELECT 2",
        &[r"SELECT e'it''s\\'", "SELECT 2"],
    );
    // Near miss: `NE'…'` is the identifier `NE` followed by a standard string.
    check(
        Postgres,
        r"SELECT NE'\'; SELECT 2",
        &[r"SELECT NE'\'", "SELECT 2"],
    );
    check(
        Postgres,
        r#"SELECT "a;""b"; SELECT 2"#,
        &[r#"SELECT "a;""b""#, "SELECT 2"],
    );
    // Backticks and `#` mean nothing in PostgreSQL.
    check(Postgres, "SELECT `a;b`", &["SELECT `a", "b`"]);
    check(
        Postgres,
        "SELECT 1 # 2; SELECT 3",
        &["SELECT 1 # 2", "SELECT 3"],
    );
}

#[test]
fn postgres_nested_comments() {
    check(
        Postgres,
        "/* a /* b; */ c; */ SELECT 1;",
        &["SELECT 1", "comment: /* a /* b; */ c; */"],
    );
    // Near miss: MySQL and SQLite comments do not nest, so ` c; */` is statement text there.
    check(
        Sqlite,
        "/* a /* b; */ c; */ SELECT 1;",
        &["c", "*/ SELECT 1", "comment: /* a /* b; */"],
    );
}

#[test]
fn postgres_dollar_quotes() {
    check(
        Postgres,
        "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT 2",
        &[
            "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql",
            "SELECT 2",
        ],
    );
    check(
        Postgres,
        "DO $body$ BEGIN PERFORM '$$;'; END $body$; SELECT 2",
        &["DO $body$ BEGIN PERFORM '$$;'; END $body$", "SELECT 2"],
    );
    // A different tag does not close the quote.
    check(
        Postgres,
        "SELECT $a$ $b$; $a$; SELECT 2",
        &["SELECT $a$ $b$; $a$", "SELECT 2"],
    );
    check(Postgres, "SELECT $é$;$é$;", &["SELECT $é$;$é$"]);
    // Near misses: parameters, `$` inside identifiers, a lone `$`.
    check(
        Postgres,
        "SELECT $1; SELECT $2$;",
        &["SELECT $1", "SELECT $2$"],
    );
    check(
        Postgres,
        "SELECT a$b$; SELECT 2",
        &["SELECT a$b$", "SELECT 2"],
    );
    check(Postgres, "SELECT $ ; SELECT $", &["SELECT $", "SELECT $"]);
    check(Postgres, "SELECT $1a$; $1a$", &["SELECT $1a$", "$1a$"]);
}

#[test]
fn postgres_begin_atomic() {
    let function = "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql BEGIN ATOMIC \
                    SELECT CASE WHEN x > 0 THEN 1 ELSE 2 END; SELECT x; END";
    check(
        Postgres,
        &format!("{function};\nSELECT 2;"),
        &[function, "SELECT 2"],
    );
    check(
        Postgres,
        "CREATE PROCEDURE p() begin /* c */ atomic INSERT INTO t VALUES (1); end; SELECT 2",
        &[
            "CREATE PROCEDURE p() begin /* c */ atomic INSERT INTO t VALUES (1); end",
            "SELECT 2",
            "comment: /* c */",
        ],
    );
    // Near misses: a transaction `BEGIN` is a statement of its own, `CASE … END` outside a
    // body does not open one.
    check(
        Postgres,
        "BEGIN; SELECT CASE WHEN true THEN 1 END; COMMIT;",
        &["BEGIN", "SELECT CASE WHEN true THEN 1 END", "COMMIT"],
    );
    check(
        Postgres,
        "BEGIN ISOLATION LEVEL SERIALIZABLE; END;",
        &["BEGIN ISOLATION LEVEL SERIALIZABLE", "END"],
    );
}

#[test]
fn postgres_parentheses() {
    let rule = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); \
                INSERT INTO b VALUES (2))";
    check(Postgres, &format!("{rule}; SELECT 2"), &[rule, "SELECT 2"]);
    // Near miss: MySQL and SQLite have no statement with `;` inside parentheses, and their
    // clients split there.
    check(Sqlite, "SELECT (1; SELECT 2)", &["SELECT (1", "SELECT 2)"]);
    // A stray `)` does not confuse the count.
    check(
        Postgres,
        "SELECT 1); SELECT (2)",
        &["SELECT 1)", "SELECT (2)"],
    );
}

#[test]
fn mysql_strings_and_identifiers() {
    check(
        Mysql,
        r"SELECT 'a\';b'; SELECT 2",
        &[r"SELECT 'a\';b'", "SELECT 2"],
    );
    check(
        Mysql,
        r#"SELECT "a\";""b"; SELECT 2"#,
        &[r#"SELECT "a\";""b""#, "SELECT 2"],
    );
    check(
        Mysql,
        "SELECT 'it''s;'; SELECT 2",
        &["SELECT 'it''s;'", "SELECT 2"],
    );
    check(
        Mysql,
        "SELECT `a;``b`; SELECT 2",
        &["SELECT `a;``b`", "SELECT 2"],
    );
    // Near miss: `$$` is identifier text in MySQL, not a quote.
    check(Mysql, "SELECT $$; SELECT 2$$", &["SELECT $$", "SELECT 2$$"]);
}

#[test]
fn mysql_comments() {
    check(
        Mysql,
        "# one\nSELECT 1; -- two\n--\nSELECT 2 #three",
        &[
            "SELECT 1",
            "SELECT 2",
            "comment: # one",
            "comment: -- two",
            "comment: --",
            "comment: #three",
        ],
    );
    // Near miss: `--x` is two minus signs, not a comment.
    check(Mysql, "SELECT 1--1; SELECT 2", &["SELECT 1--1", "SELECT 2"]);
    check(
        Mysql,
        "SELECT 1 --x;\nSELECT 2",
        &["SELECT 1 --x", "SELECT 2"],
    );
    check(
        Mysql,
        "SELECT 1 --\tx;\nSELECT 2",
        &["SELECT 1 --\tx;\nSELECT 2", "comment: --\tx;"],
    );
}

#[test]
fn mysql_executable_comments() {
    check(
        Mysql,
        "/*!40101 SET NAMES utf8 */;\n/*!50001 CREATE VIEW v AS SELECT 1 */;\n/* plain */",
        &[
            "/*!40101 SET NAMES utf8 */",
            "/*!50001 CREATE VIEW v AS SELECT 1 */",
            "comment: /* plain */",
        ],
    );
    check(
        Mysql,
        "/*M!100100 SELECT 1 */;",
        &["/*M!100100 SELECT 1 */"],
    );
    check(Mysql, "/*!SELECT ';*/'*/;", &["/*!SELECT ';*/'*/"]);
    check(
        Mysql,
        "/*!50001 SET a = 1; */; SELECT 2",
        &["/*!50001 SET a = 1; */", "SELECT 2"],
    );
    // Near miss: in PostgreSQL `/*!` is an ordinary comment.
    check(
        Postgres,
        "/*!40101 SET NAMES utf8 */;",
        &["comment: /*!40101 SET NAMES utf8 */"],
    );
}

#[test]
fn mysql_compound_bodies() {
    let procedure = "CREATE DEFINER=`root`@`%` PROCEDURE p(IN n INT)\n\
                     BEGIN\n\
                     \x20 DECLARE i INT DEFAULT 0;\n\
                     \x20 outer_loop: LOOP\n\
                     \x20   SET i = i + 1;\n\
                     \x20   IF i > n THEN LEAVE outer_loop; END IF;\n\
                     \x20 END LOOP outer_loop;\n\
                     \x20 WHILE i > 0 DO SET i = i - 1; END WHILE;\n\
                     \x20 REPEAT SET i = i + 1; UNTIL i > 3 END REPEAT;\n\
                     \x20 CASE i WHEN 1 THEN SELECT 1; ELSE SELECT CASE WHEN i THEN 2 END; END CASE;\n\
                     \x20 SELECT IF(i > 1, 'a', 'b'), REPEAT('x', 2);\n\
                     \x20 DROP TABLE IF EXISTS t;\n\
                     \x20 IF (i > 1) THEN SELECT 1; ELSE IF i THEN SELECT 2; END IF; END IF;\n\
                     \x20 BEGIN SELECT 3; END;\n\
                     END";
    check(
        Mysql,
        &format!("{procedure};\nSELECT 2;"),
        &[procedure, "SELECT 2"],
    );
    let trigger = "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW \
                   IF NEW.a < 0 THEN SET NEW.a = 0; END IF";
    check(
        Mysql,
        &format!("{trigger};SELECT 2"),
        &[trigger, "SELECT 2"],
    );
    let event = "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM t; END";
    check(Mysql, &format!("{event};SELECT 2"), &[event, "SELECT 2"]);
    let event = "ALTER EVENT e DO BEGIN DELETE FROM t; END";
    check(Mysql, &format!("{event};SELECT 2"), &[event, "SELECT 2"]);
    let function = "CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC \
                    BEGIN RETURN CASE WHEN x THEN 1 END; END";
    check(
        Mysql,
        &format!("{function};SELECT 2"),
        &[function, "SELECT 2"],
    );
    // Near misses: a transaction `BEGIN`, `begin` and `end` as column names.
    check(
        Mysql,
        "BEGIN; INSERT INTO t VALUES (1); COMMIT; BEGIN WORK; ROLLBACK",
        &[
            "BEGIN",
            "INSERT INTO t VALUES (1)",
            "COMMIT",
            "BEGIN WORK",
            "ROLLBACK",
        ],
    );
    check(
        Mysql,
        "CREATE TABLE event (`begin` INT, begin_at INT); SELECT 2",
        &["CREATE TABLE event (`begin` INT, begin_at INT)", "SELECT 2"],
    );
    check(
        Mysql,
        "CREATE PROCEDURE IF NOT EXISTS p() SELECT 1; SELECT 2",
        &["CREATE PROCEDURE IF NOT EXISTS p() SELECT 1", "SELECT 2"],
    );
}

#[test]
fn mysql_executable_comments_do_not_hide_the_statement_kind() {
    let trigger = "/*!50003 CREATE*/ /*!50003 TRIGGER t AFTER INSERT ON x FOR EACH ROW \
                   BEGIN INSERT INTO y VALUES (1); END */";
    check(
        Mysql,
        &format!("{trigger};SELECT 2"),
        &[trigger, "SELECT 2"],
    );
}

#[test]
fn mysql_delimiter_command() {
    let sql = "DELIMITER //\n\
               CREATE PROCEDURE p() BEGIN SELECT 1; END//\n\
               delimiter ;\n\
               SELECT 2;";
    check(
        Mysql,
        sql,
        &[
            "CREATE PROCEDURE p() BEGIN SELECT 1; END",
            "SELECT 2",
            "error delimiter-command at 0: `DELIMITER` is a command of the mysql client, not SQL",
            "error delimiter-command at 56: `DELIMITER` is a command of the mysql client, not SQL",
        ],
    );
    let split = split(sql, Mysql);
    assert_eq!(&sql[split.errors[0].range.clone()], "DELIMITER //");
    assert!(split.errors[0].help.contains("mysql"));
    assert!(split.errors[0].help.contains("plain `;`"));
    check(
        Mysql,
        "DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END$$\n",
        &[
            "CREATE PROCEDURE p() BEGIN SELECT 1; END",
            "error delimiter-command at 0: `DELIMITER` is a command of the mysql client, not SQL",
        ],
    );
    // Near misses: not at the start of a line or of a statement, or in another dialect.
    check(Mysql, "SELECT 1 DELIMITER ;", &["SELECT 1 DELIMITER"]);
    check(Mysql, "SELECT\ndelimiter;", &["SELECT\ndelimiter"]);
    check(
        Mysql,
        "SELECT 1;\n  delimiterx ;",
        &["SELECT 1", "delimiterx"],
    );
    check(Postgres, "DELIMITER //", &["DELIMITER //"]);
}

#[test]
fn sqlite_quotes() {
    check(
        Sqlite,
        r"SELECT 'a\'; SELECT 2",
        &[r"SELECT 'a\'", "SELECT 2"],
    );
    check(
        Sqlite,
        r#"SELECT "a;""", [b;"], `c;``` ; SELECT 2"#,
        &[r#"SELECT "a;""", [b;"], `c;```"#, "SELECT 2"],
    );
    // Near miss: `[` is only a quote in SQLite.
    check(Postgres, "SELECT a[1;2]", &["SELECT a[1", "2]"]);
}

#[test]
fn sqlite_trigger_bodies() {
    let trigger = "CREATE TEMP TRIGGER IF NOT EXISTS t AFTER UPDATE ON x \
                   WHEN CASE WHEN new.a THEN 1 END \
                   BEGIN UPDATE y SET b = CASE WHEN new.a THEN 1 ELSE 0 END; \
                   DELETE FROM z; END";
    check(
        Sqlite,
        &format!("{trigger};\nSELECT 2"),
        &[trigger, "SELECT 2"],
    );
    // Near misses: transactions and a table named like a keyword.
    check(
        Sqlite,
        "BEGIN TRANSACTION; CREATE TABLE trigger_log (a); END TRANSACTION;",
        &[
            "BEGIN TRANSACTION",
            "CREATE TABLE trigger_log (a)",
            "END TRANSACTION",
        ],
    );
    check(
        Sqlite,
        "CREATE TABLE t (a); BEGIN; SELECT 1; END;",
        &["CREATE TABLE t (a)", "BEGIN", "SELECT 1", "END"],
    );
}

#[test]
fn unterminated_literals() {
    let cases: &[(Dialect, &str, usize, &str)] = &[
        (
            Postgres,
            "SELECT 1; SELECT 'a;\nSELECT 2;",
            17,
            "unterminated string literal",
        ),
        (
            Postgres,
            "SELECT E'\\'",
            7,
            "unterminated escape string literal `E'…'`",
        ),
        (Postgres, "SELECT \"a", 7, "unterminated quoted identifier"),
        (
            Postgres,
            "SELECT 1 /* a /* b */",
            9,
            "unterminated block comment",
        ),
        (
            Postgres,
            "SELECT $x$ a $$",
            7,
            "unterminated dollar-quoted string `$x$`",
        ),
        (Postgres, "SELECT (1; SELECT 2", 7, "unclosed `(`"),
        (
            Postgres,
            "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1;",
            32,
            "unterminated `BEGIN ATOMIC` body",
        ),
        (Mysql, "SELECT 'a\\'", 7, "unterminated string literal"),
        (Mysql, "SELECT `a", 7, "unterminated quoted identifier"),
        (
            Mysql,
            "SELECT 1 /*!50001 x",
            9,
            "unterminated executable comment",
        ),
        (
            Mysql,
            "CREATE PROCEDURE p() BEGIN IF x THEN SELECT 1; END IF;",
            21,
            "unterminated `BEGIN` block",
        ),
        (Sqlite, "SELECT [a", 7, "unterminated quoted identifier"),
        (Sqlite, "SELECT 1 /*", 9, "unterminated block comment"),
        (
            Sqlite,
            "CREATE TRIGGER t AFTER INSERT ON x begin SELECT 1;",
            35,
            "unterminated `BEGIN` block",
        ),
    ];
    for &(dialect, sql, at, message) in cases {
        let split = split(sql, dialect);
        check_invariants(sql, &split);
        assert_eq!(split.errors.len(), 1, "{sql:?}: {:?}", split.errors);
        let error = &split.errors[0];
        assert_eq!(error.code, Code::UnterminatedLiteral, "{sql:?}");
        assert_eq!(error.range.start, at, "{sql:?}");
        assert_eq!(error.message, message, "{sql:?}");
        // The rest of the file from the last statement boundary is one chunk.
        assert_eq!(split.chunks.last().unwrap().range.end, sql.len());
    }
    check(
        Postgres,
        "SELECT 1; SELECT 'a;\nSELECT 2;",
        &[
            "SELECT 1",
            "SELECT 'a;\nSELECT 2;",
            "error unterminated-literal at 17: unterminated string literal",
        ],
    );
    // An unterminated string inside a body is the one error, not the body too.
    check(
        Sqlite,
        "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 'a; END;",
        &[
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 'a; END;",
            "error unterminated-literal at 48: unterminated string literal",
        ],
    );
}

#[test]
fn odd_inputs_do_not_panic() {
    for dialect in Dialect::ALL {
        for sql in [
            "$",
            "E",
            "e'",
            "\\",
            "'\\",
            "/*!",
            "/*M",
            "/",
            "-",
            "--",
            "#",
            "[",
            "`",
            "é",
            "$é",
            "$$",
            "$a",
            "DELIMITER",
            "DELIMITER ",
            "delimiter é\n",
            "BEGIN",
            "END",
            "*/",
            "/*!1",
            "\u{0}",
            "\r",
        ] {
            render(sql, dialect);
        }
    }
}

/// Fragments that exercise every rule, so random concatenations hit the edge cases far more
/// often than arbitrary strings do.
const FRAGMENTS: &[&str] = &[
    "'",
    "\"",
    "`",
    "[",
    "]",
    "$$",
    "$a$",
    "$1",
    "$",
    "E'",
    "/*",
    "*/",
    "/*!",
    "/*!50001",
    "--",
    "-- ",
    "#",
    ";",
    "\n",
    "\r\n",
    " ",
    "BEGIN",
    "ATOMIC",
    "END",
    "CASE",
    "IF",
    "LOOP",
    "REPEAT",
    "WHILE",
    "CREATE",
    "TRIGGER",
    "PROCEDURE",
    "\\",
    "é",
    "x",
    "1",
    "(",
    ")",
    ":",
    "DELIMITER",
    "//",
    "THEN",
    "ELSE",
    "ROW",
    "DO",
    "FOR",
    "ALTER",
    "EVENT",
    "TABLE",
];

fn sqlish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40).prop_map(|v| v.concat())
}

/// Each statement of an error-free split, split again on its own, is the same one statement:
/// nothing outside a statement influences where its inner `;` belong.
fn check_resplit(sql: &str, dialect: Dialect) {
    let whole = split(sql, dialect);
    if !whole.errors.is_empty() {
        return;
    }
    for range in whole.statements() {
        let text = &sql[range];
        // Two MySQL rules look at the surroundings: `--` just before the `;` is two minus
        // signs but opens a comment at the very end of the text (a dangling operator, a
        // syntax error either way), and a statement starting with the word `DELIMITER` after
        // something else on its line becomes the client command once it starts the text.
        if dialect == Mysql
            && (text.ends_with("--")
                || text
                    .get(..9)
                    .is_some_and(|w| w.eq_ignore_ascii_case("delimiter")))
        {
            continue;
        }
        let alone = split(text, dialect);
        let statements: Vec<_> = alone.statements().map(|r| &text[r]).collect();
        assert_eq!(statements, [text], "{dialect}: {sql:?}");
    }
}

proptest! {
    #[test]
    fn arbitrary_strings_split_cleanly(sql in any::<String>()) {
        for dialect in Dialect::ALL {
            check_invariants(&sql, &split(&sql, dialect));
        }
    }

    #[test]
    fn sqlish_strings_split_cleanly(sql in sqlish()) {
        for dialect in Dialect::ALL {
            check_invariants(&sql, &split(&sql, dialect));
            check_resplit(&sql, dialect);
        }
    }
}
