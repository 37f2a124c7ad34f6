//! Compile-time contracts: golang/go test/chan/perm.go's channel-direction errors (a receiver
//! cannot send or close, a sender cannot receive or be ranged over, the halves do not convert),
//! and `select!` misuse.

#![cfg(not(loom))] // the peers and test tools are not built under loom

#[test]
fn perm_and_select_misuse_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
