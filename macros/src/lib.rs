//! The `migrations!` macro. Use it through the `driftless` crate.
//!
//! The macro is a thin shim: [`args`] parses the invocation, [`expand`] finds the folder's
//! analysis (saved by `driftless-build`, or computed here) and writes the constant. Everything it
//! does is in `proc_macro2` terms so the tests can run it outside a compiler.

use proc_macro::TokenStream;

mod args;
mod expand;
#[cfg(test)]
mod tests;

/// Embeds and checks a migrations folder. See the `driftless` crate.
#[proc_macro]
pub fn migrations(input: TokenStream) -> TokenStream {
    expand::migrations(input.into(), &expand::Env::from_process()).into()
}
