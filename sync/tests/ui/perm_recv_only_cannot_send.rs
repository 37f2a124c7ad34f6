// golang/go test/chan/perm.go: `cr <- 0` is an error (send to receive-only channel).
fn main() {
    let (_tx, rx) = gmp_sync::chan::bounded::<i32>(0);
    let _ = rx.send(0);
}
