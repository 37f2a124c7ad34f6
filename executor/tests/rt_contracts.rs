//! Compile-time contracts: handles and futures are `Send`/`Sync` where users need them to be.

use gmp_executor::time::{Sleep, Timer};
use gmp_executor::{Builder, Handle, JoinError, JoinHandle, Runtime};

fn send<T: Send>() {}
fn sync<T: Sync>() {}
fn unpin<T: Unpin>() {}

#[test]
fn handles_are_send_and_sync() {
    send::<Runtime>();
    sync::<Runtime>();
    send::<Handle>();
    sync::<Handle>();
    send::<Builder>();
    send::<JoinHandle<u32>>();
    sync::<JoinHandle<u32>>();
    unpin::<JoinHandle<u32>>();
    send::<JoinError>();
    sync::<JoinError>();
    send::<Sleep>();
    sync::<Sleep>();
    unpin::<Sleep>();
    send::<Timer>();
}

#[test]
fn join_error_converts_to_io_error_and_boxed_error() {
    fn boxed(e: JoinError) -> Box<dyn std::error::Error + Send + Sync> {
        Box::new(e)
    }
    let rt = Runtime::new().unwrap();
    let e = rt.block_on(async {
        gmp_executor::spawn(async { panic!("p") })
            .await
            .unwrap_err()
    });
    assert!(boxed(e).to_string().contains("panicked"));
}
