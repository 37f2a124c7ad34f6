//! The Prometheus collector (feature `prometheus`): each family reads what the runtime holds
//! at the scrape, in both text formats.

#![cfg(all(feature = "prometheus", not(loom)))]

use std::time::Duration;

use gmp_executor::prometheus::prometheus_client::registry::Registry;
use gmp_executor::prometheus::{RuntimeCollector, render};
use gmp_executor::runtime::TaskState;

fn registry(rt: &gmp_executor::Runtime) -> Registry {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(RuntimeCollector::new(rt.handle())));
    registry
}

/// The value of the sample line `name` (with its labels, as printed) in a text body.
fn value(body: &str, name: &str) -> u64 {
    let prefix = format!("{name} ");
    let line = body
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {name} in\n{body}"));
    line[prefix.len()..].parse().unwrap()
}

#[test]
fn tasks_by_state_and_wait_reason() {
    let rt = gmp_executor::Builder::new().maxprocs(2).build().unwrap();
    let registry = registry(&rt);
    let sleepers: Vec<_> = (0..5)
        .map(|_| rt.spawn(gmp_executor::time::sleep(Duration::from_secs(3600))))
        .collect();
    let _foreign = rt.spawn(std::future::pending::<()>());
    while rt.handle().dump().count(TaskState::Waiting) < 6 {
        std::thread::yield_now();
    }
    let (_, body) = render(&registry, None).unwrap();
    assert_eq!(value(&body, "gmp_tasks"), 6);
    assert_eq!(value(&body, "gmp_tasks_by_state{state=\"waiting\"}"), 6);
    assert_eq!(value(&body, "gmp_tasks_by_state{state=\"running\"}"), 0);
    assert_eq!(value(&body, "gmp_tasks_waiting{reason=\"sleep\"}"), 5);
    assert_eq!(value(&body, "gmp_tasks_waiting{reason=\"waiting\"}"), 1);
    assert_eq!(
        value(&body, "gmp_tasks_waiting{reason=\"chan receive\"}"),
        0
    );
    assert_eq!(value(&body, "gmp_timers"), 5);
    assert_eq!(value(&body, "gmp_tasks_spawned_total"), 6);
    for s in sleepers {
        s.abort();
    }
    while rt.handle().num_tasks() > 1 {
        std::thread::yield_now();
    }
    let (_, body) = render(&registry, None).unwrap();
    assert_eq!(value(&body, "gmp_tasks"), 1);
    assert_eq!(value(&body, "gmp_tasks_waiting{reason=\"sleep\"}"), 0);
    assert_eq!(value(&body, "gmp_tasks_completed_total"), 5);
}

#[test]
fn openmetrics_when_asked_and_counters_end_in_total() {
    let rt = gmp_executor::Builder::new().maxprocs(1).build().unwrap();
    let registry = registry(&rt);
    rt.block_on(async {
        let h = gmp_executor::spawn(async { panic!("counted") });
        assert!(h.await.unwrap_err().is_panic());
    });
    let accept = "application/openmetrics-text;version=1.0.0,text/plain;q=0.5";
    let (content_type, body) = render(&registry, Some(accept)).unwrap();
    assert!(content_type.starts_with("application/openmetrics-text"));
    assert!(body.ends_with("# EOF\n"), "{body}");
    // OpenMetrics names the counter family without `_total`, its sample with it.
    assert!(
        body.contains("# TYPE gmp_tasks_panicked counter\n"),
        "{body}"
    );
    assert_eq!(value(&body, "gmp_tasks_panicked_total"), 1);
    assert_eq!(value(&body, "gmp_unhandled_panics_total"), 0);
    assert_eq!(value(&body, "gmp_worker_polls_total{worker=\"0\"}"), 1);
}
