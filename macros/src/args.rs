//! The macro's arguments: `"path" [, namespace = "..."] [, dialect = "..."] [, build_script = false]`.

use driftless_core::Dialect;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitBool, LitStr, Token};

/// Parsed arguments.
pub struct Args {
    /// The folder, relative to `CARGO_MANIFEST_DIR`, as written.
    pub path: LitStr,
    /// The namespace; empty for the application's.
    pub namespace: String,
    /// The dialect the caller expects; the lock file must agree.
    pub dialect: Option<Dialect>,
    /// Whether the crate has a build script calling `driftless_build::watch`.
    pub build_script: bool,
}

impl Parse for Args {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(input.error(
                "expected the migrations folder, relative to Cargo.toml: `migrations!(\"migrations\")`",
            ));
        }
        let path: LitStr = input.parse()?;
        if path.value().is_empty() {
            return Err(syn::Error::new_spanned(
                &path,
                "the migrations folder is empty: write the folder relative to Cargo.toml, such as `\"migrations\"`",
            ));
        }
        let mut args = Args {
            path,
            namespace: String::new(),
            dialect: None,
            build_script: true,
        };
        let mut seen: Vec<String> = Vec::new();
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse()?;
            let name = key.to_string();
            if seen.contains(&name) {
                return Err(syn::Error::new_spanned(
                    &key,
                    format!("`{name}` is given twice"),
                ));
            }
            input.parse::<Token![=]>()?;
            match name.as_str() {
                "namespace" => {
                    let value: LitStr = input.parse()?;
                    let namespace = value.value();
                    if namespace.is_empty()
                        || !namespace
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
                    {
                        return Err(syn::Error::new_spanned(
                            &value,
                            "a namespace is a non-empty name of ASCII letters, digits, `_`, `-` and `.` (operators write it in `DRIFTLESS_ALLOW_DESTRUCTIVE` as `namespace:version`)",
                        ));
                    }
                    args.namespace = namespace;
                }
                "dialect" => {
                    let value: LitStr = input.parse()?;
                    match value.value().parse::<Dialect>() {
                        Ok(d) => args.dialect = Some(d),
                        Err(e) => return Err(syn::Error::new_spanned(&value, e)),
                    }
                }
                "build_script" => {
                    let value: LitBool = input.parse()?;
                    args.build_script = value.value;
                }
                _ => {
                    return Err(syn::Error::new_spanned(
                        &key,
                        format!(
                            "unknown argument `{name}` (expected `namespace`, `dialect` or `build_script`)"
                        ),
                    ));
                }
            }
            seen.push(name);
        }
        Ok(args)
    }
}
