//! Database integration tests: the runtime against real SQLite, PostgreSQL and MariaDB.

mod common;
mod migrate;
mod real;
