//! UI tests for migrations!.
