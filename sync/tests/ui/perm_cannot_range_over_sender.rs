// golang/go test/chan/perm.go: `for range cs {}` is an error (range over send-only channel).
use futures::StreamExt;

fn main() {
    let (mut tx, _rx) = gmp_sync::chan::bounded::<i32>(0);
    let _ = tx.next();
}
