//! Each task has a `tracing` span at trace level (`task`, with its id and spawn site), entered
//! while the task is polled, so what a task logs is attributed to it. A global subscriber is
//! installed, so this file is its own test binary.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every span's name and fields, and which span each event was logged in.
#[derive(Default)]
struct Recorder {
    next: AtomicU64,
    spans: Mutex<HashMap<u64, String>>,
    /// (message, fields of the innermost entered span)
    events: Mutex<Vec<(String, Option<String>)>>,
}

thread_local! {
    static STACK: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl Subscriber for &'static Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut f = Fields(format!("{} ", attrs.metadata().name()));
        attrs.record(&mut f);
        self.spans.lock().unwrap().insert(id, f.0);
        Id::from_u64(id)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut f = Fields(String::new());
        event.record(&mut f);
        let span = STACK.with(|s| s.borrow().last().copied());
        let span = span.and_then(|id| self.spans.lock().unwrap().get(&id).cloned());
        self.events.lock().unwrap().push((f.0, span));
    }
    fn enter(&self, span: &Id) {
        STACK.with(|s| s.borrow_mut().push(span.into_u64()));
    }
    fn exit(&self, _: &Id) {
        STACK.with(|s| s.borrow_mut().pop());
    }
}

fn recorder() -> &'static Recorder {
    static R: OnceLock<&'static Recorder> = OnceLock::new();
    R.get_or_init(|| {
        let r: &'static Recorder = Box::leak(Box::default());
        tracing::subscriber::set_global_default(r).unwrap();
        r
    })
}

#[test]
fn a_task_logs_inside_its_span() {
    let rec = recorder();
    let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
    let line = line!() + 1;
    let h = rt.spawn(async {
        tracing::info!("first poll");
        gmp_executor::yield_now().await;
        tracing::info!("second poll");
    });
    let id = h.id();
    rt.block_on(h).unwrap();
    let site = format!("{}:{line}:", file!());
    let events = rec.events.lock().unwrap().clone();
    for msg in ["first poll", "second poll"] {
        let (_, span) = events
            .iter()
            .find(|(m, _)| m.contains(msg))
            .unwrap_or_else(|| panic!("no event {msg:?} in {events:?}"));
        let span = span
            .as_deref()
            .unwrap_or_else(|| panic!("{msg:?} logged outside any span"));
        assert!(span.starts_with("task "), "{span}");
        assert!(span.contains(&site), "{span} lacks {site}");
        assert!(
            span.contains(&format!("task.id={}", id)),
            "{span} lacks id {id}"
        );
    }
    // Outside any task poll no span is entered.
    tracing::info!("outside");
    let events = rec.events.lock().unwrap();
    assert_eq!(
        events
            .iter()
            .find(|(m, _)| m.contains("outside"))
            .unwrap()
            .1,
        None
    );
}
