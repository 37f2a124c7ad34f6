//! User-facing panic messages read as one sentence: no run of spaces left by a string literal
//! continued over lines without a `\`.

use std::panic::{AssertUnwindSafe, catch_unwind};

fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn outside_a_runtime_messages_have_no_double_spaces() {
    let cases: [(&str, fn()); 7] = [
        ("gmp::runtime::num_tasks", || {
            gmp_executor::runtime::num_tasks();
        }),
        ("gmp::runtime::maxprocs", || {
            gmp_executor::runtime::maxprocs();
        }),
        ("gmp::runtime::dump", || {
            gmp_executor::runtime::dump();
        }),
        ("gmp::leak::verify_none", || {
            gmp_executor::leak::verify_none()
        }),
        ("Handle::current()", || {
            gmp_executor::Handle::current();
        }),
        ("gmp::spawn", || {
            gmp_executor::spawn(async {}).detach();
        }),
        ("gmp::spawn_blocking", || {
            gmp_executor::spawn_blocking(|| {}).detach();
        }),
    ];
    for (what, f) in cases {
        let msg = panic_message(f);
        assert!(
            msg.starts_with(&format!("{what} called outside a gmp runtime (at ")),
            "{msg}"
        );
        assert!(msg.contains(file!()), "the caller's location: {msg}");
        assert!(!msg.contains("  "), "a run of spaces in {msg:?}");
    }
}
