// golang/go test/chan/perm.go: `close(cr)` is an error (close of receive-only channel).
fn main() {
    let (_tx, rx) = gmp_sync::chan::bounded::<i32>(0);
    rx.close();
}
