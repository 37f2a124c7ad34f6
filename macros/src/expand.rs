//! The expansion shared by `#[gmp::main]` and `#[gmp::test]`.
//!
//! An `async fn NAME() -> R { BODY }` becomes a plain `fn NAME() -> R` that keeps the original
//! `async fn` nested inside, builds a runtime, `block_on`s the nested function's future and
//! drops the runtime before returning its output.
//!
//! # Error recovery
//!
//! A mistake never makes the function disappear: IDEs would lose completion and every caller
//! would get a second, misleading error. Each check pushes an error and the expansion goes on
//! with what is valid (a bad argument is left out; a function missing `async` is emitted as
//! written; one with arguments is nested but never called), and the errors are appended as
//! `compile_error!`s at their own spans. Only tokens that are not a function at all are passed
//! through untouched.
//!
//! The body is kept as raw tokens rather than parsed into statements, so a syntax error inside
//! it is reported once, by rustc, at the right place.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, Signature, Visibility};

use crate::args::{AllowLeaks, Args, Errors};

/// Which attribute is being expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `#[gmp::main]`
    Main,
    /// `#[gmp::test]`
    Test,
}

impl Kind {
    fn attr(self) -> &'static str {
        match self {
            Kind::Main => "#[gmp::main]",
            Kind::Test => "#[gmp::test]",
        }
    }
}

/// An annotated function with its body left as tokens.
struct Function {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    /// The `{ ... }` group, untouched (inner attributes included).
    body: Group,
}

impl Parse for Function {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let sig = input.parse()?;
        let body = match input.parse()? {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => g,
            other => {
                return Err(syn::Error::new(
                    other.span(),
                    "expected the function's body",
                ));
            }
        };
        Ok(Function {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

/// Expands `#[gmp::main]` or `#[gmp::test]` (see the crate docs for the exact output).
pub(crate) fn expand(kind: Kind, attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let (args, args_error) = Args::parse(attr);
    if let Some(e) = args_error {
        errors.push(e);
    }

    let mut f = match syn::parse2::<Function>(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let msg = format!(
                "`{}` can only be applied to an `async fn`: {e}",
                kind.attr()
            );
            let error = syn::Error::new(e.span(), msg).into_compile_error();
            return quote!(#item #error);
        }
    };

    if let (Kind::Main, Some((_, span))) = (kind, &args.allow_leaks) {
        let msg = "`allow_leaks` is for `#[gmp::test]`: `#[gmp::main]` checks no leaks (when main \
                   returns, every task ends)";
        errors.push(syn::Error::new(*span, msg));
    }
    if let (Kind::Main, Some(span)) = (kind, &args.allow_panics) {
        let msg = "`allow_panics` is for `#[gmp::test]`: `#[gmp::main]` does not check task \
                   panics (an unobserved one is logged; see `gmp::runtime::UnhandledPanic`)";
        errors.push(syn::Error::new(*span, msg));
    }
    if f.sig.asyncness.is_none() {
        let msg = "the `async` keyword is missing from the function declaration";
        errors.push(syn::Error::new_spanned(f.sig.fn_token, msg));
    }
    if !f.sig.inputs.is_empty() {
        let msg = format!("`{}` functions cannot take arguments", kind.attr());
        errors.push(syn::Error::new(f.sig.inputs.span(), msg));
    }
    if kind == Kind::Test {
        // A second test attribute would register the function twice (or a sync wrapper as an
        // async test); drop it from the output so the only error is this one.
        f.attrs.retain(|a| {
            let second = is_test_attr(a);
            if second {
                let msg = "second test attribute: `#[gmp::test]` already makes this a test; remove this one";
                errors.push(syn::Error::new_spanned(a, msg));
            }
            !second
        });
    }

    let function = if f.sig.asyncness.is_some() {
        with_runtime(kind, &args, f)
    } else {
        as_written(kind, f)
    };
    let errors = errors.0.map(syn::Error::into_compile_error);
    quote!(#function #errors)
}

/// The normal expansion: a sync function running the body on a fresh runtime.
///
/// The user's function is kept whole as an `async fn` nested in the generated one, under the
/// same name: its declared return type then drives inference (`?` finds its error type) and
/// type errors point into the body, and a backtrace reads `main::main::{{closure}}`.
fn with_runtime(kind: Kind, args: &Args, f: Function) -> TokenStream {
    let Function {
        attrs,
        vis,
        sig,
        body,
    } = f;
    let mut outer = sig.clone();
    outer.asyncness = None;
    outer.inputs.clear();
    let name = &sig.ident;
    let test_attr = (kind == Kind::Test).then(|| quote!(#[::core::prelude::v1::test]));
    let maxprocs = args.maxprocs.as_ref().map(|n| quote!(.maxprocs(#n)));
    // Spanned on the argument: without the facade's `tokio-compat` feature the method is
    // missing, and the error points at `tokio_compat`.
    let tokio_compat = args
        .tokio_compat
        .map(|span| quote::quote_spanned!(span=> .tokio_compat(true)));
    let runtime = Ident::new("runtime", Span::mixed_site());
    let output = Ident::new("output", Span::mixed_site());

    // With arguments there is nothing to call the nested function with: it is still
    // type-checked, and the error already emitted says why it never runs.
    let never_called = (!sig.inputs.is_empty()).then(|| quote!(#[allow(dead_code)]));
    // A test checks that the tasks it spawned are gone (after a grace period), before the
    // runtime's drop would silently cancel them, and that none of them panicked unobserved.
    // The panic check comes after the leak check's wait (a task may panic during it) but is
    // reported first: a panicked task is often why others are stuck.
    let leaks = Ident::new("leaks", Span::mixed_site());
    let find_leaks = match (kind, &args.allow_leaks) {
        (Kind::Test, None) => quote! {
            let #leaks = ::gmp::leak::find(#runtime.handle(), &::gmp::leak::Options::new());
        },
        (Kind::Test, Some((AllowLeaks::Sites(sites), _))) => quote! {
            let #leaks = ::gmp::leak::find(
                #runtime.handle(),
                &::gmp::leak::Options::new() #(.ignore_spawn_site(#sites))*,
            );
        },
        (Kind::Test, Some((AllowLeaks::All, _))) | (Kind::Main, _) => quote!(),
    };
    let panic_check = match (kind, &args.allow_panics) {
        (Kind::Test, None) => quote! {
            #runtime.handle().unhandled_panics().assert_none();
        },
        (Kind::Test, Some(_)) | (Kind::Main, _) => quote!(),
    };
    let report_leaks = match (kind, &args.allow_leaks) {
        (Kind::Test, None | Some((AllowLeaks::Sites(_), _))) => quote! {
            if let ::core::result::Result::Err(#leaks) = #leaks {
                ::core::panic!("{}", #leaks);
            }
        },
        _ => quote!(),
    };
    let leak_check = quote!(#find_leaks #panic_check #report_leaks);
    let run = if sig.inputs.is_empty() {
        quote! {
            #[allow(clippy::expect_used)]
            let #runtime = ::gmp::Builder::new() #maxprocs #tokio_compat .build().expect("failed to build the gmp runtime");
            let #output = #runtime.block_on(#name());
            #leak_check
            // Main returns, everything ends: dropping the runtime stops its workers and drops
            // every task still alive.
            ::core::mem::drop(#runtime);
            #output
        }
    } else {
        quote!(::core::unreachable!())
    };

    quote! {
        #(#attrs)*
        #test_attr
        #vis #outer {
            #never_called
            #sig #body
            #run
        }
    }
}

/// Error recovery for a function without `async`: emit it as written (plus `#[test]`), so the
/// only error is the missing keyword.
fn as_written(kind: Kind, f: Function) -> TokenStream {
    let Function {
        attrs,
        vis,
        sig,
        body,
    } = f;
    let test_attr = (kind == Kind::Test).then(|| quote!(#[::core::prelude::v1::test]));
    quote! {
        #(#attrs)*
        #test_attr
        #vis #sig #body
    }
}

/// `#[test]`, `#[core::prelude::v1::test]`, `#[::std::prelude::rust_2024::test]` and the like.
fn is_test_attr(attr: &Attribute) -> bool {
    let segments = &attr.path().segments;
    let first = segments.first().map(|s| s.ident.to_string());
    segments.last().is_some_and(|s| s.ident == "test")
        && (segments.len() == 1 || matches!(first.as_deref(), Some("core" | "std")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expands_to(kind: Kind, attr: TokenStream, item: TokenStream, expected: TokenStream) {
        assert_eq!(expand(kind, attr, item).to_string(), expected.to_string());
    }

    #[test]
    fn main_expansion() {
        expands_to(
            Kind::Main,
            quote!(maxprocs = 4),
            quote!(
                /// Doc.
                async fn main() -> Result<(), E> {
                    BODY
                }
            ),
            quote! {
                /// Doc.
                fn main() -> Result<(), E> {
                    async fn main() -> Result<(), E> { BODY }
                    #[allow(clippy::expect_used)]
                    let runtime = ::gmp::Builder::new().maxprocs(4).build().expect("failed to build the gmp runtime");
                    let output = runtime.block_on(main());
                    ::core::mem::drop(runtime);
                    output
                }
            },
        );
    }

    #[test]
    fn tokio_compat_expansion() {
        expands_to(
            Kind::Main,
            quote!(tokio_compat, maxprocs = 2),
            quote!(
                async fn main() {}
            ),
            quote! {
                fn main() {
                    async fn main() {}
                    #[allow(clippy::expect_used)]
                    let runtime = ::gmp::Builder::new().maxprocs(2).tokio_compat(true).build().expect("failed to build the gmp runtime");
                    let output = runtime.block_on(main());
                    ::core::mem::drop(runtime);
                    output
                }
            },
        );
    }

    #[test]
    fn tokio_compat_takes_no_value() {
        let (_, err) = crate::args::Args::parse(quote!(tokio_compat = true));
        let msg = err.expect("an error").to_string();
        assert!(msg.contains("`tokio_compat` takes no value"), "{msg}");
        let (_, err) = crate::args::Args::parse(quote!(tokio_compat, tokio_compat));
        let msg = err.expect("an error").to_string();
        assert!(msg.contains("duplicate argument `tokio_compat`"), "{msg}");
    }

    #[test]
    fn test_expansion() {
        expands_to(
            Kind::Test,
            quote!(),
            quote!(
                #[should_panic]
                async fn t() {
                    BODY
                }
            ),
            quote! {
                #[should_panic]
                #[::core::prelude::v1::test]
                fn t() {
                    async fn t() { BODY }
                    #[allow(clippy::expect_used)]
                    let runtime = ::gmp::Builder::new().build().expect("failed to build the gmp runtime");
                    let output = runtime.block_on(t());
                    let leaks = ::gmp::leak::find(runtime.handle(), &::gmp::leak::Options::new());
                    runtime.handle().unhandled_panics().assert_none();
                    if let ::core::result::Result::Err(leaks) = leaks {
                        ::core::panic!("{}", leaks);
                    }
                    ::core::mem::drop(runtime);
                    output
                }
            },
        );
    }

    /// `#[gmp::test(ATTR)] async fn t() {}`, expanded, as text.
    fn test(attr: TokenStream) -> String {
        expand(
            Kind::Test,
            attr,
            quote!(
                async fn t() {}
            ),
        )
        .to_string()
    }

    /// `#[gmp::main(ATTR)] async fn main() {}`, expanded, as text.
    fn main_with(attr: TokenStream) -> String {
        expand(
            Kind::Main,
            attr,
            quote!(
                async fn main() {}
            ),
        )
        .to_string()
    }

    #[test]
    fn allow_leaks_forms() {
        let all = test(quote!(allow_leaks));
        assert!(!all.contains("leak :: find"), "{all}");
        assert!(!all.contains("compile_error"), "{all}");
        let one = test(quote!(allow_leaks = "src/a.rs:3"));
        assert!(
            one.contains(". ignore_spawn_site (\"src/a.rs:3\")"),
            "{one}"
        );
        let two = test(quote!(maxprocs = 2, allow_leaks = ["a.rs", "b.rs"]));
        assert!(
            two.contains(". ignore_spawn_site (\"a.rs\") . ignore_spawn_site (\"b.rs\")"),
            "{two}"
        );
        for bad in [
            quote!(allow_leaks = 1),
            quote!(allow_leaks = ""),
            quote!(allow_leaks = []),
            quote!(allow_leaks("a.rs")),
            quote!(allow_leaks, allow_leaks),
        ] {
            let out = test(bad.clone());
            assert!(out.contains("compile_error"), "{bad}: {out}");
        }
        let main = main_with(quote!(allow_leaks));
        assert!(main.contains("compile_error"), "{main}");
    }

    #[test]
    fn allow_panics_forms() {
        let checked = test(quote!(allow_leaks));
        assert!(checked.contains("unhandled_panics"), "{checked}");
        let allowed = test(quote!(allow_panics, allow_leaks = "a.rs"));
        assert!(!allowed.contains("unhandled_panics"), "{allowed}");
        assert!(allowed.contains("leak :: find"), "{allowed}");
        assert!(!allowed.contains("compile_error"), "{allowed}");
        for bad in [
            quote!(allow_panics = true),
            quote!(allow_panics("x")),
            quote!(allow_panics, allow_panics),
        ] {
            let out = test(bad.clone());
            assert!(out.contains("compile_error"), "{bad}: {out}");
        }
        let main = main_with(quote!(allow_panics));
        assert!(main.contains("compile_error"), "{main}");
    }

    #[test]
    fn maxprocs_is_emitted_unsuffixed() {
        let out = expand(
            Kind::Main,
            quote!(maxprocs = 2usize),
            quote!(
                async fn main() {}
            ),
        )
        .to_string();
        assert!(out.contains(". maxprocs (2)"), "{out}");
    }

    #[test]
    fn errors_keep_the_function() {
        let out = expand(
            Kind::Main,
            quote!(foo = 1),
            quote!(
                async fn main() {}
            ),
        )
        .to_string();
        assert!(out.contains("block_on (main ())"), "{out}");
        assert!(out.contains("compile_error"), "{out}");
    }
}
