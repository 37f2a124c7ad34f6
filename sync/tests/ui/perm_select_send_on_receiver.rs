// golang/go test/chan/perm.go: `select { case cr <- 0: }` is an error.
fn main() {
    let (_tx, rx) = gmp_sync::chan::bounded::<i32>(0);
    futures::executor::block_on(async {
        gmp_sync::select! {
            _ = rx.send(0) => {}
        }
    });
}
