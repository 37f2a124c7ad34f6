//! The files a run leaves: `records.json` (every sample, the machine, the run) and
//! `report.html` (one self-contained page: the tables, and each table's chart as inline SVG;
//! no script, stylesheet or font from anywhere else).

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};

use super::chart;
use super::record::Record;
use super::report::{Chart, Section};

/// The machine a run measured on.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub(crate) struct MachineInfo {
    pub(crate) cpu_model: String,
    pub(crate) cores: usize,
    pub(crate) kernel: String,
    pub(crate) rustc: String,
    pub(crate) go: Option<String>,
    pub(crate) git_commit: String,
    /// `/proc/loadavg`'s 1, 5 and 15 minute averages when the run started.
    pub(crate) load_avg: String,
    /// `server CPU 0, load generator CPU 1`, or why not pinned.
    pub(crate) pinning: String,
}

impl MachineInfo {
    /// Reads what it can; `unknown` for the rest.
    pub(crate) fn collect(go: Option<String>, pinning: String) -> MachineInfo {
        let read = |p: &str| {
            std::fs::read_to_string(p)
                .map(|s| s.trim().to_string())
                .ok()
        };
        let run = |prog: &str, args: &[&str], dir: Option<&Path>| {
            let mut c = Command::new(prog);
            c.args(args);
            if let Some(d) = dir {
                c.current_dir(d);
            }
            c.output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        };
        let src = Path::new(env!("CARGO_MANIFEST_DIR"));
        let commit = run("git", &["rev-parse", "--short=12", "HEAD"], Some(src)).map(|c| {
            let dirty = run(
                "git",
                &["status", "--porcelain", "--untracked-files=no"],
                Some(src),
            )
            .is_some_and(|s| !s.is_empty());
            if dirty { format!("{c} (modified)") } else { c }
        });
        MachineInfo {
            cpu_model: super::cpu_model(),
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            kernel: read("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".into()),
            rustc: run("rustc", &["--version"], None).unwrap_or_else(|| "unknown".into()),
            go,
            git_commit: commit.unwrap_or_else(|| "unknown".into()),
            load_avg: read("/proc/loadavg")
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_else(|| "unknown".into()),
            pinning,
        }
    }
}

/// `records.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub(crate) struct RunFile {
    /// The format's version.
    pub(crate) format: u32,
    /// When the run started, UTC: `2026-12-06T02:30:00Z`.
    pub(crate) started_utc: String,
    /// `full` or `quick`.
    pub(crate) mode: String,
    pub(crate) total_s: f64,
    pub(crate) machine: MachineInfo,
    /// One per (workload, peer) of the tables: metric medians and every round's sample.
    pub(crate) records: Vec<Record>,
    /// The size curves' points: one record per (workload, peer, size).
    pub(crate) curves: Vec<Record>,
    pub(crate) failures: Vec<String>,
}

impl RunFile {
    /// Reads an earlier run's `records.json`.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or is not a records file.
    pub(crate) fn load(path: &Path) -> Result<RunFile, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a records.json: {e}", path.display()))
    }
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The report page.
pub(crate) fn html(run: &RunFile, sections: &[Section]) -> String {
    let m = &run.machine;
    let mut h = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>gmp-bench report</title>\n<style>\n\
         body{font-family:sans-serif;max-width:1040px;margin:20px auto;color:#222}\n\
         h1{font-size:24px} h2{font-size:18px;margin-top:36px;border-bottom:1px solid #ccc}\n\
         pre{font-size:12px;background:#f6f6f6;padding:8px;overflow-x:auto}\n\
         table.m td{padding:1px 12px 1px 0;font-size:14px}\n\
         details{margin:6px 0}\n</style></head><body>\n",
    );
    let _ = write!(
        h,
        "<h1>gmp-bench: gmp vs OS threads, tokio, async-executor and Go</h1>\n\
         <p>{} run, {} UTC, {:.0} s. Each chart shows, per row, every runtime's figure as a multiple \
         of the best one (1x = best, log scale), gmp in orange; a red mark is gmp's goal.</p>\n<table class=\"m\">",
        esc(&run.mode),
        esc(&run.started_utc),
        run.total_s
    );
    for (k, v) in [
        ("CPU", format!("{} ({} cores)", m.cpu_model, m.cores)),
        ("kernel", m.kernel.clone()),
        ("rustc", m.rustc.clone()),
        ("Go", m.go.clone().unwrap_or_else(|| "not run".into())),
        ("commit", m.git_commit.clone()),
        ("load average at start", m.load_avg.clone()),
        ("network rows", m.pinning.clone()),
    ] {
        let _ = write!(h, "<tr><td>{k}</td><td>{}</td></tr>", esc(&v));
    }
    h.push_str("</table>\n");
    for s in sections {
        let _ = writeln!(h, "<h2>{}</h2>", esc(&s.title));
        if let Some(c) = &s.chart {
            h.push_str("<div class=\"chart\">");
            h.push_str(&match c {
                Chart::Bars(rows) => chart::bars(rows),
                Chart::Lines(l) => chart::lines(l),
                Chart::Changes(c) => chart::changes(c),
            });
            h.push_str("</div>\n");
        }
        let _ = writeln!(
            h,
            "<details open><summary>table</summary><pre>{}</pre></details>",
            esc(&s.text)
        );
    }
    if !run.failures.is_empty() {
        h.push_str("<h2>Failures</h2><ul>");
        for f in &run.failures {
            let _ = write!(h, "<li>{}</li>", esc(f));
        }
        h.push_str("</ul>");
    }
    h.push_str("\n</body></html>\n");
    h
}

/// `2026-12-06T02:30:00Z` and `20261206-023000` for now.
pub(crate) fn now_utc() -> (String, String) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (hh, mm, ss) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    (
        format!("{y:04}-{mo:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z"),
        format!("{y:04}{mo:02}{d:02}-{hh:02}{mm:02}{ss:02}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_escaping() {
        let (iso, dir) = now_utc();
        assert_eq!(iso.len(), 20);
        assert_eq!(dir.len(), 15);
        assert!(iso.starts_with("20"), "{iso}");
        assert_eq!(esc("<a&b>"), "&lt;a&amp;b&gt;");
    }
}
