//! `--compare <old records.json>`: what got faster or slower since an earlier run.
//!
//! Each (workload, peer) measured in both runs is compared by its primary metric's median; the
//! noise band of each side is the min..max of its samples (every round's value). A change is
//! called only when the two bands do not overlap; with fewer than two samples on a side there
//! is no band and nothing is called.

use std::collections::BTreeMap;

use gmp_bench::rt::Peer;
use gmp_bench::workloads::{self, Kind};

use super::record::Record;
use super::report::Table;

/// The verdict on one cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Faster,
    Slower,
    /// The noise bands overlap.
    Same,
    /// A side has fewer than two samples.
    NoBand,
}

impl Verdict {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Verdict::Faster => "FASTER",
            Verdict::Slower => "SLOWER",
            Verdict::Same => "within noise",
            Verdict::NoBand => "one sample: not called",
        }
    }
}

/// One (workload, peer) in both runs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Change {
    pub(crate) label: String,
    pub(crate) old: f64,
    pub(crate) new: f64,
    pub(crate) old_band: (f64, f64),
    pub(crate) new_band: (f64, f64),
    pub(crate) verdict: Verdict,
}

impl Change {
    /// new / old.
    pub(crate) fn ratio(&self) -> f64 {
        self.new / self.old
    }

    /// The ratio's extremes the bands allow: new min / old max .. new max / old min.
    pub(crate) fn band_ratio(&self) -> (f64, f64) {
        (
            self.new_band.0 / self.old_band.1,
            self.new_band.1 / self.old_band.0,
        )
    }
}

fn band(r: &Record) -> Option<(f64, f64)> {
    let s: Vec<f64> = r
        .samples
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if s.len() < 2 {
        return None;
    }
    Some((
        s.iter().copied().fold(f64::MAX, f64::min),
        s.iter().copied().fold(f64::MIN, f64::max),
    ))
}

/// Whether a workload's primary metric is a rate (higher is better).
fn higher_is_better(workload: &str) -> bool {
    workloads::find(workload).is_some_and(|w| matches!(w.kind, Kind::Net { .. }))
}

/// The cells of `new` also in `old`, in `new`'s order.
pub(crate) fn compare(old: &[Record], new: &[Record]) -> Vec<Change> {
    let old: BTreeMap<(&str, Peer), &Record> = old
        .iter()
        .map(|r| ((r.workload.as_str(), r.peer), r))
        .collect();
    new.iter()
        .filter_map(|n| {
            let o = old.get(&(n.workload.as_str(), n.peer))?;
            let (ov, nv) = (o.primary()?, n.primary()?);
            let (ob, nb) = (band(o), band(n));
            let verdict = match (ob, nb) {
                (Some(ob), Some(nb)) if nb.1 < ob.0 || nb.0 > ob.1 => {
                    let lower = nb.1 < ob.0;
                    if lower != higher_is_better(&n.workload) {
                        Verdict::Faster
                    } else {
                        Verdict::Slower
                    }
                }
                (Some(_), Some(_)) => Verdict::Same,
                _ => Verdict::NoBand,
            };
            Some(Change {
                label: format!("{} / {}", n.workload, n.peer),
                old: ov,
                new: nv,
                old_band: ob.unwrap_or((ov, ov)),
                new_band: nb.unwrap_or((nv, nv)),
                verdict,
            })
        })
        .collect()
}

/// The text table of `changes`, changed cells first.
pub(crate) fn table(changes: &[Change]) -> String {
    let mut t = Table::new(&[
        "workload / peer",
        "old (min..max)",
        "new (min..max)",
        "new/old",
        "verdict",
    ]);
    let mut sorted: Vec<&Change> = changes.iter().collect();
    sorted.sort_by_key(|c| match c.verdict {
        Verdict::Slower => 0,
        Verdict::Faster => 1,
        Verdict::Same => 2,
        Verdict::NoBand => 3,
    });
    let show = |v: f64, b: (f64, f64)| format!("{} ({}..{})", num(v), num(b.0), num(b.1));
    for c in sorted {
        t.row(vec![
            c.label.clone(),
            show(c.old, c.old_band),
            show(c.new, c.new_band),
            format!("{:.2}x", c.ratio()),
            c.verdict.word().into(),
        ]);
    }
    let slower = changes
        .iter()
        .filter(|c| c.verdict == Verdict::Slower)
        .count();
    let faster = changes
        .iter()
        .filter(|c| c.verdict == Verdict::Faster)
        .count();
    format!(
        "{}\n\n{slower} slower, {faster} faster, {} within noise or not called (a change is called \
         only when the min..max bands of the two runs' samples do not overlap).",
        t.render(),
        changes.len() - slower - faster
    )
}

fn num(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(w: &str, samples: &[f64]) -> Record {
        Record {
            workload: w.into(),
            peer: Peer::Gmp,
            n: 1,
            metrics: vec![("ns".into(), workloads::median(samples))],
            samples: samples.to_vec(),
        }
    }

    #[test]
    fn calls_only_non_overlapping_bands() {
        let old = [
            rec("spawn_many", &[100.0, 110.0, 105.0]),
            rec("http_hello", &[10.0, 11.0]),
        ];
        let slower = compare(&old, &[rec("spawn_many", &[120.0, 125.0])]);
        assert_eq!(slower[0].verdict, Verdict::Slower);
        let same = compare(&old, &[rec("spawn_many", &[108.0, 130.0])]);
        assert_eq!(same[0].verdict, Verdict::Same);
        // A rate that went down is slower.
        let rate = compare(&old, &[rec("http_hello", &[5.0, 6.0])]);
        assert_eq!(rate[0].verdict, Verdict::Slower);
        let one = compare(&old, &[rec("spawn_many", &[50.0])]);
        assert_eq!(one[0].verdict, Verdict::NoBand);
        assert!(table(&slower).contains("1 slower, 0 faster"));
    }
}
