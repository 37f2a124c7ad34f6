//! The seed's WaitGroup program: five goroutines, `add` before `go`, `done` in each, `wait`.
//!
//! ```text
//! goroutine 3 done      (order undefined)
//! ...
//! all done
//! ```

use std::sync::{Arc, Mutex};

use gmp::WaitGroup;

/// Runs the program, printing as it goes; returns the printed lines.
pub(crate) async fn run() -> Vec<String> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let say = |out: &Arc<Mutex<Vec<String>>>, line: String| {
        println!("{line}");
        out.lock().unwrap().push(line);
    };
    let wg = WaitGroup::new();
    for id in 0..5 {
        wg.add(1); // before the spawn, as in Go
        let (wg, out) = (wg.clone(), out.clone());
        gmp::spawn(async move {
            say(&out, format!("goroutine {id} done"));
            wg.done();
        })
        .detach();
    }
    wg.wait().await;
    say(&out, "all done".to_string());
    out.lock().unwrap().clone()
}

#[allow(dead_code)]
fn main() {
    let rt = gmp::Runtime::new().unwrap();
    rt.block_on(async {
        run().await;
    });
}
