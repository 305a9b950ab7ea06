//! Database integration tests.
