//! Progress on the terminal (indicatif): an overall bar with the ETA of the whole run, and a
//! bar per workload naming the peer being measured, with its own ETA. Quiet when stdout or
//! stderr is not a terminal (a pipe, a file, a test): then only failures are reported, on
//! stderr.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use gmp_bench::rt::Peer;

/// The run's bars.
#[derive(Debug)]
pub(crate) struct Progress {
    multi: Option<MultiProgress>,
    total: ProgressBar,
}

impl Progress {
    /// An overall bar of `children` steps, drawn only on a terminal.
    pub(crate) fn new(children: u64) -> Progress {
        let tty = std::io::stdout().is_terminal() && std::io::stderr().is_terminal();
        if !tty {
            return Progress {
                multi: None,
                total: ProgressBar::hidden(),
            };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let total = multi.add(ProgressBar::new(children));
        total.set_style(
            ProgressStyle::with_template(
                "{prefix:>24} [{elapsed_precise}] {wide_bar} {pos}/{len} children, ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        total.set_prefix("all workloads");
        total.enable_steady_tick(Duration::from_millis(200));
        Progress {
            multi: Some(multi),
            total,
        }
    }

    /// A bar for one workload of `children` steps.
    pub(crate) fn workload(&self, name: &str, children: u64) -> WorkloadBar<'_> {
        let bar = match &self.multi {
            Some(m) => {
                let b = m.insert_before(&self.total, ProgressBar::new(children));
                b.set_style(
                    ProgressStyle::with_template(
                        "{prefix:>24} {bar:30} {pos}/{len} {msg:32} ETA {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                b.set_prefix(name.to_string());
                b
            }
            None => ProgressBar::hidden(),
        };
        WorkloadBar { p: self, bar }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.total.finish_and_clear();
    }
}

/// One workload's bar.
#[derive(Debug)]
pub(crate) struct WorkloadBar<'a> {
    p: &'a Progress,
    bar: ProgressBar,
}

impl WorkloadBar<'_> {
    /// A child for `peer` starts (`round` of `rounds`; 0 for a curve point).
    pub(crate) fn start(&self, peer: Peer, round: usize, rounds: usize) {
        if rounds > 0 {
            self.bar
                .set_message(format!("{} (round {round}/{rounds})", peer.name()));
        } else {
            self.bar.set_message(peer.name().to_string());
        }
    }

    /// A child finished; `line` is printed above the bars.
    pub(crate) fn done(&self, line: &str) {
        if let Some(m) = &self.p.multi {
            let _ = m.println(line);
        }
        self.step();
    }

    /// A child failed: said on stderr, bars or not.
    pub(crate) fn failed(&self, line: &str) {
        match &self.p.multi {
            Some(m) => {
                let _ = m.println(line);
            }
            None => eprintln!("{line}"),
        }
        self.step();
    }

    /// A child not run (its peer failed earlier).
    pub(crate) fn skip(&self) {
        self.step();
    }

    fn step(&self) {
        self.bar.inc(1);
        self.p.total.inc(1);
    }

    /// The workload is done: its bar goes.
    pub(crate) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
