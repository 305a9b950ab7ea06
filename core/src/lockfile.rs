//! `driftless.lock`: the dialect and the locked migrations, with a header hash over the entries.
