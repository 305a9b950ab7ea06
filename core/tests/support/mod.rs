//! Code shared by integration tests and examples.

pub mod hostile;
