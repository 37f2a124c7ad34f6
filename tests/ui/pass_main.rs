//! The forms `#[gmp::main]` accepts.

use std::error::Error;
use std::rc::Rc;

/// Plain: default maxprocs, unit output.
#[gmp::main]
async fn plain() {
    let h = gmp::spawn(async { 1 });
    let _ = h.await;
}

/// `maxprocs`, with or without a `usize` suffix and a trailing comma.
#[gmp::main(maxprocs = 4)]
async fn four() {}

#[gmp::main(maxprocs = 2usize)]
async fn two() {}

/// `?` in the body infers its error type from the declared return type.
#[gmp::main]
async fn fallible() -> Result<(), Box<dyn Error>> {
    let n: u32 = "7".parse()?;
    if n == 0 {
        return Err("zero".into());
    }
    Ok(())
}

/// Any output type, and an `impl Trait` one (left to inference).
#[gmp::main]
async fn value() -> u64 {
    gmp::spawn(async { 5 }).await.unwrap_or(0)
}

#[gmp::main]
async fn opaque() -> impl std::fmt::Debug {
    "opaque"
}

/// The body runs on the calling thread: it need not be `Send`.
#[gmp::main]
async fn not_send() {
    let rc = Rc::new(1);
    gmp::yield_now().await;
    assert_eq!(*rc, 1);
}

/// Outer and inner attributes, doc comments and visibility are kept.
#[gmp::main]
#[allow(unused_variables)]
pub async fn attributes() {
    #![allow(unused_mut)]
    let mut unused = 1;
}

fn main() {
    let _: [fn(); 6] = [plain, four, two, not_send, attributes, || drop(opaque())];
    let _: fn() -> Result<(), Box<dyn Error>> = fallible;
    let _: fn() -> u64 = value;
}
