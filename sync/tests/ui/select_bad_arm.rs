// A malformed arm gives a readable error.
fn main() {
    let (_tx, rx) = gmp_sync::chan::bounded::<i32>(0);
    futures::executor::block_on(async {
        gmp_sync::select! {
            rx.recv() -> {}
        }
    });
}
