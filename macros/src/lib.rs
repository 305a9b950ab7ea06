//! The `migrations!` macro. Use it through the `driftless` crate.
//!
//! The macro is a thin shim: `args` parses the invocation, `expand` finds the folder's
//! analysis (saved by `driftless-build`, or computed here) and writes the constant. Everything it
//! does is in `proc_macro2` terms so the tests can run it outside a compiler.

use proc_macro::TokenStream;

mod args;
mod expand;
#[cfg(test)]
mod tests;

/// Embeds and checks a migrations folder.
///
/// ```text
/// static MIGRATIONS: driftless::Migrations = driftless::migrations!("migrations");
/// ```
///
/// The path is relative to the crate's `Cargo.toml`. Optional arguments:
/// - `namespace = "my_lib"`: the history namespace (a library embedding its own schema);
/// - `dialect = "postgres"`: checked against `driftless.lock`, where the dialect lives; a
///   contradiction is an error, not an override;
/// - `build_script = false`: see below.
///
/// The dialect and the policy (`strict`, lint levels) come from the folder. The expansion is a
/// constant of type `driftless::Migrations`, usable in a `static`, a `const` or a function body:
/// the SQL of each file through `include_str!` (so editing a file rebuilds the crate), its
/// checksum, statement ranges, state, transaction flag and data-loss hazards as data, and
/// `cfg!(debug_assertions)` of the crate that invokes the macro. Nothing is parsed at boot.
///
/// Every error of the analysis is a compile error pointing at the path literal and naming the
/// SQL file, line and column, with the excerpt and the fix. A proc macro cannot print warnings on
/// stable Rust: the build helper prints them.
///
/// **Build script.** The macro expects a build.rs that calls `driftless_build::watch` with the
/// same folder: it re-runs when a file is added or removed (rustc alone only notices edits of
/// files it already included), and it saves its analysis so that the macro, after checking
/// every file's hash, expands without splitting and replaying the migrations again. Without
/// it the macro fails, naming the one-line build.rs, unless `build_script = false` is given: the
/// folder is then analysed on every expansion (slower for large folders), and a new migration
/// file is only seen after a change that makes cargo recompile the crate (`touch src/main.rs`).
#[proc_macro]
pub fn migrations(input: TokenStream) -> TokenStream {
    let input: proc_macro2::TokenStream = input.into();
    // The analysis is written never to panic; should a bug make it, the user still gets one clear
    // compile error (and a well-typed placeholder) instead of "proc macro panicked".
    let expanded = std::panic::catch_unwind(|| {
        expand::migrations(input.clone(), &expand::Env::from_process())
    });
    match expanded {
        Ok(tokens) => tokens.into(),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let message = format!(
                "internal error in driftless while checking the migrations ({what}); please report it with the folder that triggers it, and run `driftless check` for the analysis"
            );
            quote::quote! {{
                ::core::compile_error!(#message);
                ::driftless::__private::placeholder()
            }}
            .into()
        }
    }
}
