//! build.rs helper for driftless.
