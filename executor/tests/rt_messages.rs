//! User-facing panic messages read as one sentence: no run of spaces left by a string literal
//! continued over lines without a `\`.

mod common;
use common::panic_message;

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
