//! `driftless.toml`: lint levels, strict mode, objects owned outside the folder, ignored files.
//!
//! ```toml
//! strict = true                        # drafts are errors (CI on the main branch)
//! ignore = ["README.md", "schema.sql"] # files that are not migrations
//! extern = ["auth.users", "billing.*"] # objects created outside this folder
//!
//! [lints]
//! rename-column = "deny"
//! index-without-concurrently = "allow"
//! ```

use crate::diagnostic::{Code, Diagnostic, Level};

/// The file name inside the migrations folder.
pub const FILE_NAME: &str = "driftless.toml";

/// The folder's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Drafts are errors.
    pub strict: bool,
    /// File names (or paths relative to the folder) that are not migrations.
    pub ignore: Vec<String>,
    /// Objects owned outside this folder: `table`, `schema.table` or `schema.*`.
    pub externs: Vec<String>,
    /// Lint levels that differ from the defaults.
    pub levels: Vec<(Code, Level)>,
    /// The declared schema's file, when it is not `schema.sql`.
    pub schema: Option<String>,
}

impl Config {
    /// The level of a code: the configured one, or its default.
    pub fn level(&self, code: Code) -> Level {
        self.levels
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(code.default_level(), |(_, l)| *l)
    }

    /// Parses the file. Problems are diagnostics; what could be read is kept.
    pub fn parse(text: &str) -> (Config, Vec<Diagnostic>) {
        let mut config = Config::default();
        let mut diags = Vec::new();
        let invalid = |message: String| {
            Diagnostic::new(Code::InvalidConfig, message)
                .in_file(FILE_NAME)
                .help("see the driftless.toml section of the README for the keys and their types")
        };
        let table: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                let range = e.span().unwrap_or(0..0);
                diags.push(invalid(format!("invalid TOML: {}", e.message())).at(range));
                return (config, diags);
            }
        };
        let strings =
            |key: &str, value: &toml::Value, diags: &mut Vec<Diagnostic>| -> Vec<String> {
                match value.as_array() {
                    Some(items) if items.iter().all(toml::Value::is_str) => items
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                    _ => {
                        diags.push(invalid(format!("`{key}` must be an array of strings")));
                        Vec::new()
                    }
                }
            };
        for (key, value) in &table {
            match key.as_str() {
                "schema" => match value.as_str() {
                    Some(path) if !path.trim().is_empty() => config.schema = Some(path.to_owned()),
                    _ => diags.push(invalid(
                        "`schema` must be the declared schema's file name, e.g. \"schema.sql\""
                            .into(),
                    )),
                },
                "strict" => match value.as_bool() {
                    Some(b) => config.strict = b,
                    None => diags.push(invalid("`strict` must be true or false".into())),
                },
                "ignore" => config.ignore = strings(key, value, &mut diags),
                "extern" => config.externs = strings(key, value, &mut diags),
                "lints" => {
                    let Some(lints) = value.as_table() else {
                        diags.push(invalid(
                            "`lints` must be a table of `code = \"level\"`".into(),
                        ));
                        continue;
                    };
                    for (name, level) in lints {
                        let Some(code) = Code::from_name(name) else {
                            diags.push(
                                Diagnostic::new(
                                    Code::UnknownLint,
                                    format!("unknown lint `{name}`"),
                                )
                                .in_file(FILE_NAME)
                                .help("docs/diagnostics.md lists every code"),
                            );
                            continue;
                        };
                        if !code.configurable() {
                            diags.push(invalid(format!(
                                "`{name}` guards the folder's integrity; its level cannot be changed"
                            )));
                            continue;
                        }
                        match level.as_str().and_then(Level::parse) {
                            Some(level) => config.levels.push((code, level)),
                            None => diags.push(invalid(format!(
                                "the level of `{name}` must be \"allow\", \"warn\" or \"deny\""
                            ))),
                        }
                    }
                }
                other => diags.push(invalid(format!(
                    "unknown key `{other}` (expected strict, ignore, extern, lints)"
                ))),
            }
        }
        (config, diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let (c, d) = Config::parse(
            "strict = true\nignore = [\"README.md\"]\nextern = [\"auth.users\"]\n[lints]\nrename-column = \"deny\"\n",
        );
        assert!(d.is_empty(), "{d:?}");
        assert!(c.strict);
        assert_eq!(c.ignore, ["README.md"]);
        assert_eq!(c.externs, ["auth.users"]);
        assert_eq!(c.level(Code::RenameColumn), Level::Deny);
        assert_eq!(c.level(Code::DropColumn), Level::Deny);
        assert_eq!(c.level(Code::RenameTable), Level::Warn);
    }

    #[test]
    fn mistakes_are_diagnostics() {
        let codes = |text: &str| -> Vec<&'static str> {
            Config::parse(text)
                .1
                .iter()
                .map(|d| d.code.as_str())
                .collect()
        };
        assert_eq!(codes("strict = \"yes\""), ["invalid-config"]);
        assert_eq!(codes("[lints]\ndrop-colum = \"allow\""), ["unknown-lint"]);
        assert_eq!(
            codes("[lints]\nedited-locked-migration = \"allow\""),
            ["invalid-config"]
        );
        assert_eq!(codes("[lints]\ndrop-column = \"off\""), ["invalid-config"]);
        assert_eq!(codes("stric = true"), ["invalid-config"]);
        assert_eq!(codes("strict = "), ["invalid-config"]);
        assert!(codes("[lints]\ndrop-column = \"warn\"").is_empty());
    }
}
