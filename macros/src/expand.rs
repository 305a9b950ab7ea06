//! From arguments to the embedded constant: find the analysis, report its errors, write the data.

use std::path::{Path, PathBuf};

use driftless_build::embed::{Embed, EmbedHazard, EmbedMigration};
use driftless_build::saved::Saved;
use driftless_core::{Dialect, Folder, MigrationState, Object, ObjectKind, Options};
use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::args::Args;

/// Looks up an environment variable.
pub type Lookup = Box<dyn Fn(&str) -> Option<String>>;

/// What the macro reads from its environment, so tests can supply it.
pub struct Env {
    /// `CARGO_MANIFEST_DIR` of the crate being compiled.
    pub manifest_dir: Option<PathBuf>,
    /// Looks up an environment variable set by the build script.
    pub var: Lookup,
}

impl Env {
    /// The environment of the running compiler.
    pub fn from_process() -> Env {
        Env {
            manifest_dir: std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
            var: Box::new(|name| std::env::var(name).ok()),
        }
    }
}

/// The macro. Never panics: every problem becomes a `compile_error!` next to a well-typed
/// placeholder, so one mistake gives one error and not a cascade.
pub fn migrations(input: TokenStream, env: &Env) -> TokenStream {
    let result = syn::parse2::<Args>(input).and_then(|args| expand(&args, env));
    match result {
        Ok(tokens) => tokens,
        Err(e) => {
            let errors = e.to_compile_error();
            quote! {{
                #errors
                ::driftless::__private::placeholder()
            }}
        }
    }
}

fn expand(args: &Args, env: &Env) -> syn::Result<TokenStream> {
    let written = args.path.value();
    let span = args.path.span();
    let Some(manifest_dir) = &env.manifest_dir else {
        return Err(syn::Error::new(
            span,
            "CARGO_MANIFEST_DIR is not set: build the crate with cargo",
        ));
    };
    let dir = manifest_dir.join(&written);
    let saved_path = if args.build_script {
        let var = driftless_build::env_var(&dir);
        match (env.var)(&var) {
            Some(path) => Some(path),
            None => {
                return Err(syn::Error::new(
                    span,
                    format!(
                        "[{}]: no build script watches `{written}`, so adding a migration would not rebuild the crate\n  \
                         = help: add `driftless-build` to [build-dependencies] and a build.rs with `fn main() {{ driftless_build::watch({written:?}); }}`\n  \
                         = help: or pass `build_script = false` to analyse the folder on every build (slower, and a new migration file is seen only when something else makes cargo rebuild the crate)",
                        driftless_core::Code::MissingBuildScript,
                    ),
                ));
            }
        }
    } else {
        None
    };
    let folder = driftless_core::loader::load(&dir).map_err(|e| {
        syn::Error::new(
            span,
            format!(
                "cannot read the migrations folder `{written}`: {}",
                driftless_build::describe_io_error(&e, &dir, &written)
            ),
        )
    })?;
    let saved = saved_path
        .and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| Saved::parse(&text))
        .filter(|saved| saved.is_fresh(&folder, args.dialect));
    let embed = match saved {
        Some(saved) => saved.embed,
        None => analyse(&folder, args, span)?,
    };
    Ok(generate(&embed, &folder, &dir, args))
}

/// Runs the full analysis: when there is no build script, or its result is stale.
fn analyse(folder: &Folder, args: &Args, span: Span) -> syn::Result<Embed> {
    let written = args.path.value();
    let options = Options {
        dialect: args.dialect,
        strict: None,
    };
    let analysis = driftless_core::analyze(folder, &options);
    let mut errors = analysis.errors().map(|d| {
        let rendered = analysis.render(d, &written);
        // `compile_error!` prints `error: ` itself.
        let message = rendered.strip_prefix("error").unwrap_or(&rendered);
        syn::Error::new(span, message.trim_end())
    });
    if let Some(mut first) = errors.next() {
        first.extend(errors);
        return Err(first);
    }
    Embed::from_analysis(&analysis).ok_or_else(|| {
        syn::Error::new(
            span,
            format!("the SQL dialect of `{written}` is unknown: pass `dialect = \"postgres\"` (or mysql, sqlite), or create driftless.lock with `driftless lock --dialect`"),
        )
    })
}

fn generate(embed: &Embed, folder: &Folder, dir: &Path, args: &Args) -> TokenStream {
    let private = quote!(::driftless::__private);
    // The declared schema is part of the verdict: an edit to it must rebuild the crate.
    let config = folder
        .get(driftless_core::config::FILE_NAME)
        .map(|f| driftless_core::config::Config::parse(&String::from_utf8_lossy(&f.content)).0)
        .unwrap_or_default();
    let schema_file = driftless_core::declared::file_name(&config).0.to_owned();
    let tracked = [
        driftless_core::lockfile::FILE_NAME,
        driftless_core::config::FILE_NAME,
        schema_file.as_str(),
    ]
    .into_iter()
    .filter(|name| folder.get(name).is_some())
    .map(|name| {
        let path = absolute(dir, name);
        quote!(
            const _: &[u8] = ::core::include_bytes!(#path);
        )
    });
    let namespace = &args.namespace;
    let dialect = match embed.dialect {
        Dialect::Postgres => quote!(#private::Dialect::Postgres),
        Dialect::Mysql => quote!(#private::Dialect::Mysql),
        Dialect::Sqlite => quote!(#private::Dialect::Sqlite),
    };
    let migrations_slice = slice(
        quote!(::driftless::Migration),
        embed.migrations.iter().map(|m| migration(m, dir)).collect(),
    );
    let constructor = if embed.externs.is_empty() {
        quote!(#private::migrations(
            #namespace,
            #dialect,
            ::core::cfg!(debug_assertions),
            #migrations_slice,
        ))
    } else {
        let externs = embed.externs.iter();
        quote!(#private::migrations_with_externs(
            #namespace,
            #dialect,
            ::core::cfg!(debug_assertions),
            #migrations_slice,
            &[#(::std::borrow::Cow::Borrowed(#externs)),*],
        ))
    };
    quote! {{
        #(#tracked)*
        const MIGRATIONS: ::driftless::Migrations = #constructor;
        MIGRATIONS
    }}
}

fn migration(m: &EmbedMigration, dir: &Path) -> TokenStream {
    let private = quote!(::driftless::__private);
    let version = m.version;
    let description = &m.description;
    let path = &m.path;
    let sql = absolute(dir, &m.path);
    let checksum = m.checksum;
    let state = match m.state {
        MigrationState::Draft => quote!(#private::MigrationState::Draft),
        MigrationState::Locked => quote!(#private::MigrationState::Locked),
        MigrationState::Adopted => quote!(#private::MigrationState::Adopted),
    };
    let transactional = m.transactional;
    // Ranges as a literal of integer pairs: rustc promotes it without an item of its own.
    let ranges = m.statements.iter().map(|s| {
        let (start, end) = (s.range.start, s.range.end);
        quote!((#start, #end))
    });
    let hazards = slice(
        quote!(::driftless::Hazard),
        m.statements
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.hazards.iter().map(move |h| hazard(i, h)))
            .collect(),
    );
    let creates = slice(
        quote!(::driftless::ObjectName),
        m.creates.iter().map(object).collect(),
    );
    let renames = slice(
        quote!((::driftless::ObjectName, ::driftless::ObjectName)),
        m.renames
            .iter()
            .map(|(to, from)| {
                let (to, from) = (object(to), object(from));
                quote!((#to, #from))
            })
            .collect(),
    );
    quote! {
        #private::migration(
            #version,
            #description,
            #path,
            ::core::include_str!(#sql),
            [#(#checksum),*],
            #state,
            #transactional,
            &[#(#ranges),*],
            #hazards,
            #creates,
            #renames,
        )
    }
}

/// A `&'static [T]` of values built by const fn calls. The embedded types own `Cow`s, so a
/// temporary array of them is not promoted to `'static` when passed to a function; the
/// initializer of a `const` item is extended to `'static` instead, in any context (a `static`,
/// a `const`, a function body).
fn slice(ty: TokenStream, items: Vec<TokenStream>) -> TokenStream {
    if items.is_empty() {
        return quote!(&[]);
    }
    quote!({
        const ITEMS: &[#ty] = &[#(#items),*];
        ITEMS
    })
}

fn hazard(statement: usize, h: &EmbedHazard) -> TokenStream {
    let code = h.code.as_str();
    let target = object(&h.object);
    let empty_table = match &h.empty_table {
        Some(table) => {
            let table = object(table);
            quote!(::core::option::Option::Some(#table))
        }
        None => quote!(::core::option::Option::None),
    };
    let message = &h.message;
    quote!(::driftless::__private::hazard(#statement, #code, #target, #empty_table, #message))
}

fn object(o: &Object) -> TokenStream {
    let private = quote!(::driftless::__private);
    let kind = match o.kind {
        ObjectKind::Schema => quote!(#private::ObjectKind::Schema),
        ObjectKind::Table => quote!(#private::ObjectKind::Table),
        ObjectKind::Column => quote!(#private::ObjectKind::Column),
        ObjectKind::View => quote!(#private::ObjectKind::View),
        ObjectKind::Index => quote!(#private::ObjectKind::Index),
        ObjectKind::Type => quote!(#private::ObjectKind::Type),
        ObjectKind::Sequence => quote!(#private::ObjectKind::Sequence),
    };
    let schema = optional(o.schema.as_deref());
    let name = &o.name;
    let column = optional(o.column.as_deref());
    quote!(#private::object(#kind, #schema, #name, #column))
}

fn optional(s: Option<&str>) -> TokenStream {
    match s {
        Some(s) => quote!(::core::option::Option::Some(#s)),
        None => quote!(::core::option::Option::None),
    }
}

/// The absolute path of a folder file, for `include_str!` (which resolves relative paths against
/// the invoking source file, not the crate).
fn absolute(dir: &Path, file: &str) -> String {
    dir.join(file).to_string_lossy().into_owned()
}
