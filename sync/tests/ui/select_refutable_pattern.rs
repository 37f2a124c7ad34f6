// A select! arm's pattern must be irrefutable: a closed channel's `None` is an outcome the
// body handles (Go's `v, ok := <-ch`), not a reason to skip the arm.
fn main() {
    let (_tx, rx) = gmp_sync::chan::bounded::<i32>(0);
    futures::executor::block_on(async {
        gmp_sync::select! {
            Some(v) = rx.recv() => { let _ = v; }
        }
    });
}
