// golang/go test/chan/perm.go: `<-cs` is an error (receive from send-only channel).
fn main() {
    let (tx, _rx) = gmp_sync::chan::bounded::<i32>(0);
    let _ = tx.recv();
}
