//! The one-line protocol between the harness and its children (Rust and Go alike):
//!
//! ```text
//! GMPB workload=<name> peer=<peer> n=<n> reps=<reps> <metric>=<median> ... samples=<a,b,...>
//! ```
//!
//! Metrics are medians over the measured repetitions; `samples` lists the primary (first)
//! metric of each repetition. Anything else a child prints is ignored.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use gmp_bench::rt::Peer;
use gmp_bench::workloads::{Metrics, median};

/// The line prefix.
pub(crate) const PREFIX: &str = "GMPB";

/// One measured (workload, peer) cell.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Record {
    pub(crate) workload: String,
    pub(crate) peer: Peer,
    pub(crate) n: u64,
    /// Medians by metric name, in the order printed (the first is the primary metric).
    pub(crate) metrics: Vec<(String, f64)>,
    pub(crate) samples: Vec<f64>,
}

impl Record {
    /// A metric's median.
    pub(crate) fn get(&self, key: &str) -> Option<f64> {
        self.metrics.iter().find(|(k, _)| k == key).map(|&(_, v)| v)
    }

    /// The primary metric's median.
    pub(crate) fn primary(&self) -> Option<f64> {
        self.metrics.first().map(|&(_, v)| v)
    }
}

/// Formats the record line of `reps` (each repetition's metrics, same keys in the same order).
pub(crate) fn format(workload: &str, peer: Peer, n: u64, reps: &[Metrics]) -> String {
    let mut line = format!(
        "{PREFIX} workload={workload} peer={peer} n={n} reps={}",
        reps.len()
    );
    if let Some(first) = reps.first() {
        for (i, (key, _)) in first.iter().enumerate() {
            let vals: Vec<f64> = reps
                .iter()
                .filter_map(|m| m.get(i).map(|&(_, v)| v))
                .collect();
            let _ = write!(line, " {key}={:.3}", median(&vals));
        }
        let samples: Vec<String> = reps
            .iter()
            .filter_map(|m| m.first())
            .map(|(_, v)| format!("{v:.3}"))
            .collect();
        let _ = write!(line, " samples={}", samples.join(","));
    }
    line
}

/// The line of a record (as children print it), for `--records`.
pub(crate) fn to_line(r: &Record) -> String {
    let metrics: Vec<String> = r
        .metrics
        .iter()
        .map(|(k, v)| format!("{k}={v:.3}"))
        .collect();
    let samples: Vec<String> = r.samples.iter().map(|v| format!("{v:.3}")).collect();
    format!(
        "{PREFIX} workload={} peer={} n={} {} samples={}",
        r.workload,
        r.peer,
        r.n,
        metrics.join(" "),
        samples.join(",")
    )
}

/// Merges the records of several children measuring the same (workload, peer): each metric's
/// median over all of them, and all their samples.
pub(crate) fn merge(recs: &[Record]) -> Record {
    let mut out = recs[0].clone();
    for (key, v) in &mut out.metrics {
        let vals: Vec<f64> = recs.iter().filter_map(|r| r.get(key)).collect();
        *v = median(&vals);
    }
    out.samples = recs
        .iter()
        .flat_map(|r| r.samples.iter().copied())
        .collect();
    out
}

/// Parses a record line; `None` for any other line.
pub(crate) fn parse(line: &str) -> Option<Record> {
    let mut words = line.split_whitespace();
    if words.next()? != PREFIX {
        return None;
    }
    let mut fields = BTreeMap::new();
    let mut metrics = Vec::new();
    let mut samples = Vec::new();
    for w in words {
        let (k, v) = w.split_once('=')?;
        match k {
            "workload" | "peer" | "n" | "reps" => {
                fields.insert(k, v);
            }
            "samples" => samples = v.split(',').filter_map(|s| s.parse().ok()).collect(),
            _ => metrics.push((k.to_string(), v.parse().ok()?)),
        }
    }
    Some(Record {
        workload: fields.get("workload")?.to_string(),
        peer: Peer::parse(fields.get("peer")?)?,
        n: fields.get("n")?.parse().ok()?,
        metrics,
        samples,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let reps = vec![
            vec![("ns", 3.0), ("x", 1.0)],
            vec![("ns", 1.0), ("x", 1.0)],
            vec![("ns", 2.0), ("x", 4.0)],
        ];
        let line = format("spawn_many", Peer::Tokio, 10, &reps);
        assert_eq!(
            line,
            "GMPB workload=spawn_many peer=tokio n=10 reps=3 ns=2.000 x=1.000 samples=3.000,1.000,2.000"
        );
        let r = parse(&line).unwrap();
        assert_eq!(r.workload, "spawn_many");
        assert_eq!(r.peer, Peer::Tokio);
        assert_eq!(r.n, 10);
        assert_eq!(r.primary(), Some(2.0));
        assert_eq!(r.get("x"), Some(1.0));
        assert_eq!(r.samples, vec![3.0, 1.0, 2.0]);
        assert!(parse("hello").is_none());
        let m = merge(&[
            r.clone(),
            parse("GMPB workload=spawn_many peer=tokio n=10 ns=4 x=3 samples=4").unwrap(),
            parse("GMPB workload=spawn_many peer=tokio n=10 ns=9 x=2 samples=9").unwrap(),
        ]);
        assert_eq!((m.primary(), m.get("x")), (Some(4.0), Some(2.0)));
        assert_eq!(m.samples, vec![3.0, 1.0, 2.0, 4.0, 9.0]);
        assert!(parse("GMPB workload=x peer=nobody n=1").is_none());
    }
}
