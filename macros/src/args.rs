//! The attribute's arguments: `#[gmp::main(maxprocs = 4)]`, `#[gmp::test(allow_leaks)]`,
//! `#[gmp::test(allow_panics)]`, `#[gmp::main(tokio_compat)]`.
//!
//! Parsing never gives up on the first mistake: every argument is checked, each error is kept
//! with the span of the token that caused it, and the valid part of the arguments is still
//! returned so the caller can emit a complete expansion next to the `compile_error!`s.

use proc_macro2::Span;
use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Expr, ExprArray, ExprLit, Lit, LitInt, LitStr, Meta, Token};

/// The arguments both attributes accept (`allow_leaks` and `allow_panics` are for
/// `#[gmp::test]` only; the caller checks that, knowing which attribute it expands).
#[derive(Default)]
pub(crate) struct Args {
    /// `maxprocs = N`: the number of workers; `None` keeps the `Builder`'s default
    /// (`GOMAXPROCS`, else one per core).
    pub(crate) maxprocs: Option<LitInt>,
    /// Whether `maxprocs` was given, even with a bad value: a second one is a duplicate.
    maxprocs_seen: bool,
    /// `allow_leaks [= "site" | ["site", ...]]`, with the span of the argument's name.
    pub(crate) allow_leaks: Option<(AllowLeaks, Span)>,
    /// Whether `allow_leaks` was given, even with a bad value.
    allow_leaks_seen: bool,
    /// `allow_panics`: the span of the argument's name.
    pub(crate) allow_panics: Option<Span>,
    /// Whether `allow_panics` was given, even with a bad value.
    allow_panics_seen: bool,
    /// `tokio_compat`: the span of the argument's name (`Builder::tokio_compat(true)`, which
    /// exists with the facade's `tokio-compat` feature).
    pub(crate) tokio_compat: Option<Span>,
    /// Whether `tokio_compat` was given, even with a bad value.
    tokio_compat_seen: bool,
}

/// Which leaked tasks a test accepts.
pub(crate) enum AllowLeaks {
    /// `allow_leaks`: no leak check at all.
    All,
    /// `allow_leaks = "site"` or `allow_leaks = ["site", ...]`: ignore tasks spawned there.
    Sites(Vec<LitStr>),
}

/// What every error message offers as the correct form.
const EXPECTED: &str = "expected `maxprocs = N`, `allow_leaks`, `allow_panics` or `tokio_compat`";

/// The forms of `allow_leaks`.
const ALLOW_LEAKS_FORMS: &str = "`allow_leaks` (no leak check), `allow_leaks = \"src/file.rs:12\"` \
     or `allow_leaks = [\"src/a.rs\", \"src/b.rs:7\"]` (ignore tasks spawned there)";

impl Args {
    /// Parses the attribute's arguments. Returns the valid ones together with every error met.
    pub(crate) fn parse(attr: TokenStream) -> (Args, Option<syn::Error>) {
        let mut args = Args::default();
        let mut errors = Errors::default();
        let parser = |input: ParseStream<'_>| {
            while !input.is_empty() {
                let meta = input.parse::<Meta>().map_err(|e| {
                    syn::Error::new(e.span(), format!("{EXPECTED}, like `maxprocs = 4`"))
                })?;
                args.take(meta, &mut errors);
                if input.is_empty() {
                    break;
                }
                input
                    .parse::<Token![,]>()
                    .map_err(|e| syn::Error::new(e.span(), "expected `,` between arguments"))?;
            }
            Ok(())
        };
        if let Err(e) = parser.parse2(attr) {
            errors.push(e);
        }
        (args, errors.0)
    }

    /// Records one argument, or the reason it is wrong.
    fn take(&mut self, meta: Meta, errors: &mut Errors) {
        let path = meta.path();
        if path.is_ident("allow_leaks") {
            self.take_allow_leaks(meta, errors);
            return;
        }
        if path.is_ident("allow_panics") {
            self.take_allow_panics(meta, errors);
            return;
        }
        if path.is_ident("tokio_compat") {
            self.take_tokio_compat(meta, errors);
            return;
        }
        if !path.is_ident("maxprocs") {
            let name = path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect::<Vec<_>>()
                .join("::");
            errors.push(syn::Error::new(
                path.span(),
                format!("unknown argument `{name}`; {EXPECTED}"),
            ));
            return;
        }
        if self.maxprocs_seen {
            errors.push(syn::Error::new(
                path.span(),
                "duplicate argument `maxprocs`",
            ));
            return;
        }
        self.maxprocs_seen = true;
        let value = match meta {
            Meta::NameValue(nv) => nv.value,
            other => {
                errors.push(syn::Error::new(
                    other.span(),
                    "`maxprocs` needs a value: `maxprocs = N`",
                ));
                return;
            }
        };
        match maxprocs_value(&value) {
            Ok(lit) => self.maxprocs = Some(lit),
            Err(e) => errors.push(e),
        }
    }
}

impl Args {
    fn take_allow_leaks(&mut self, meta: Meta, errors: &mut Errors) {
        let span = meta.path().span();
        if self.allow_leaks_seen {
            errors.push(syn::Error::new(span, "duplicate argument `allow_leaks`"));
            return;
        }
        self.allow_leaks_seen = true;
        let allow = match meta {
            Meta::Path(_) => Ok(AllowLeaks::All),
            Meta::NameValue(nv) => spawn_sites(&nv.value).map(AllowLeaks::Sites),
            Meta::List(list) => Err(syn::Error::new(
                list.delimiter.span().join(),
                format!("`allow_leaks` takes `=`, not parentheses: {ALLOW_LEAKS_FORMS}"),
            )),
        };
        match allow {
            Ok(allow) => self.allow_leaks = Some((allow, span)),
            Err(e) => errors.push(e),
        }
    }
}

impl Args {
    fn take_allow_panics(&mut self, meta: Meta, errors: &mut Errors) {
        take_flag(
            meta,
            "allow_panics",
            &mut self.allow_panics_seen,
            &mut self.allow_panics,
            errors,
        );
    }

    fn take_tokio_compat(&mut self, meta: Meta, errors: &mut Errors) {
        take_flag(
            meta,
            "tokio_compat",
            &mut self.tokio_compat_seen,
            &mut self.tokio_compat,
            errors,
        );
    }
}

/// A bare flag argument `name` (`allow_panics`, `tokio_compat`): records its span in `slot`,
/// or the error (a second one, or one with a value).
fn take_flag(
    meta: Meta,
    name: &str,
    seen: &mut bool,
    slot: &mut Option<Span>,
    errors: &mut Errors,
) {
    let span = meta.path().span();
    if *seen {
        errors.push(syn::Error::new(
            span,
            format!("duplicate argument `{name}`"),
        ));
        return;
    }
    *seen = true;
    match meta {
        Meta::Path(_) => *slot = Some(span),
        other => errors.push(syn::Error::new(
            other.span(),
            format!("`{name}` takes no value: write `{name}`"),
        )),
    }
}

/// `"site"` or `["site", ...]`: string literals naming spawn sites.
fn spawn_sites(value: &Expr) -> syn::Result<Vec<LitStr>> {
    let one = |e: &Expr| match e {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) if !s.value().is_empty() => Ok(s.clone()),
        other => Err(syn::Error::new(
            other.span(),
            format!("expected a non-empty string literal naming a spawn site: {ALLOW_LEAKS_FORMS}"),
        )),
    };
    match value {
        Expr::Array(ExprArray { elems, .. }) if !elems.is_empty() => {
            elems.iter().map(one).collect()
        }
        other => one(other).map(|s| vec![s]),
    }
}

/// Checks that `maxprocs`'s value is a positive integer literal that fits a `usize`, and returns
/// it unsuffixed, with the user's span (so a type error would point at their literal).
fn maxprocs_value(value: &Expr) -> syn::Result<LitInt> {
    let not_positive_int = || {
        syn::Error::new(
            value.span(),
            "`maxprocs` must be a positive integer literal, like `maxprocs = 4`",
        )
    };
    let Expr::Lit(ExprLit {
        lit: Lit::Int(lit), ..
    }) = value
    else {
        return Err(not_positive_int());
    };
    if !matches!(lit.suffix(), "" | "usize") {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`maxprocs` is a `usize`: remove the `{}` suffix",
                lit.suffix()
            ),
        ));
    }
    if lit.base10_digits().starts_with('-') {
        return Err(not_positive_int());
    }
    let n: usize = lit
        .base10_parse()
        .map_err(|_| syn::Error::new(lit.span(), "`maxprocs` does not fit in a `usize`"))?;
    if n == 0 {
        return Err(syn::Error::new(
            lit.span(),
            "`maxprocs` must be at least 1 (a runtime needs a worker)",
        ));
    }
    Ok(LitInt::new(&n.to_string(), lit.span()))
}

/// Several errors reported together, each at its own span.
#[derive(Default)]
pub(crate) struct Errors(pub(crate) Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
}
