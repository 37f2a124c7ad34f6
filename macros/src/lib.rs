//! # gmp-macros: `#[gmp::main]` and `#[gmp::test]`
//!
//! Go starts the runtime before `main` and ends the program when `main` returns. These two
//! attributes give an `async fn` the same life: they build a `gmp::Runtime`, run the function
//! as the *main goroutine* (with `block_on`), and drop the runtime when it returns, which stops
//! the workers and drops every task still alive.
//!
//! Use them through the `gmp` crate, as `#[gmp::main]` and `#[gmp::test]`, where they are
//! documented with examples: the expansion names `::gmp::Builder`, so this crate does not work
//! on its own.
//!
//! # How the expansion works
//!
//! The user's `async fn` is kept whole, nested inside a generated sync function of the same
//! name that runs it on a fresh runtime (see [`macro@main`] for the exact code). Nesting the
//! original function, rather than pasting its body into an `async` block, keeps its declared
//! return type in force: `?` infers its error type from it, and a type error points at the
//! offending expression in the body, not at the attribute.
//!
//! A mistake never makes the function disappear (IDEs would lose completion and every caller
//! would get a second, misleading error): the valid part is expanded as usual and each problem
//! becomes a `compile_error!` at its own span. Only tokens that are not a function at all are
//! passed through untouched.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod args;
mod expand;

use expand::Kind;
use proc_macro::TokenStream;

/// # Arguments
///
/// - `maxprocs = N`: the number of workers (Go's `GOMAXPROCS`), a positive integer literal.
///   Default: the `GOMAXPROCS` environment variable when set, otherwise one per core.
///
/// # Expansion
///
/// ```text
/// #[gmp::main(maxprocs = 4)]
/// async fn main() -> R { BODY }
/// ```
///
/// becomes
///
/// ```text
/// fn main() -> R {
///     async fn main() -> R { BODY }
///     let runtime = ::gmp::Builder::new().maxprocs(4).build().expect("failed to build the gmp runtime");
///     let output = runtime.block_on(main());
///     drop(runtime); // main returns, everything ends
///     output
/// }
/// ```
///
/// # Errors
///
/// A compile error, at the offending token, for a function that is not `async` or takes
/// arguments, and for an unknown, repeated or malformed argument (`allow_leaks` and
/// `allow_panics` included: they are for tests only).
#[proc_macro_attribute]
pub fn main(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Main, attr.into(), item.into()).into()
}

/// # Arguments
///
/// - `maxprocs = N`: the number of workers, a positive integer literal. Default: the
///   `GOMAXPROCS` environment variable when set, otherwise one per core.
/// - `allow_leaks`: no leak check after the body returns. `allow_leaks = "src/file.rs:12"` or
///   `allow_leaks = ["src/a.rs", "src/b.rs:7"]`: a leak check that ignores tasks spawned there
///   (a path suffix, optionally with a line and column).
/// - `allow_panics`: no check for unobserved task panics. Without it, a task that panicked
///   while nobody awaited its `JoinHandle` to the `Err` (detached, or its handle dropped)
///   fails the test with the panic's message and the task's spawn site.
///
/// # Expansion
///
/// As [`macro@main`]'s, with `#[::core::prelude::v1::test]` added to the generated function
/// and the checks between `block_on` and the runtime's drop. The panic check runs after the
/// leak check's wait (a task may panic during it) and is reported first (a panicked task is
/// often why others are stuck):
///
/// ```text
/// let output = runtime.block_on(t());
/// let leaks = ::gmp::leak::find(runtime.handle(), &::gmp::leak::Options::new() /* .ignore_spawn_site(..) */);
/// runtime.handle().unhandled_panics().assert_none();   // unless `allow_panics`
/// if let Err(leaks) = leaks { panic!("{}", leaks); }    // both unless `allow_leaks`
/// drop(runtime);
/// ```
///
/// Other attributes (`#[should_panic]`, `#[ignore]`) are kept; a second test attribute is an
/// error.
///
/// # Errors
///
/// As [`macro@main`]'s, plus a second `#[test]` attribute and a malformed `allow_leaks` or
/// `allow_panics`.
#[proc_macro_attribute]
pub fn test(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(Kind::Test, attr.into(), item.into()).into()
}
