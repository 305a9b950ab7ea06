//! `driftless.toml`: lint levels, strict mode, extern objects, ignored files.
