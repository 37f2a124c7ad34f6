// golang/go test/chan/perm.go: `cs = cr` and `cr = cs` are errors (mismatched directions).
use gmp_sync::chan::{Receiver, Sender};

fn main() {
    let (tx, rx) = gmp_sync::chan::bounded::<i32>(0);
    let _cs: Sender<i32> = rx;
    let _cr: Receiver<i32> = tx;
}
