//! Database integration tests: the runtime against real SQLite, PostgreSQL and MariaDB.

mod adopt;
mod common;
mod declared;
mod drift;
mod holes;
mod introspect;
mod migrate;
mod real;
mod reliability;
mod revert;
