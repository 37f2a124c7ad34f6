//! Child processes: the harness re-executes itself (`--child <workload> <peer> <n> <warmup>
//! <reps>`) so every measurement gets a fresh process (a clean RSS baseline for `park`, no
//! allocator state carried between peers), and so a panicking or hanging gmp cannot take the
//! harness down. The child prints one [`record`](super::record) line.

use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use gmp_bench::rt::Peer;
use gmp_bench::workloads::{self, Params};

use super::record;

/// Entry point of `--child` mode; `args` follow `--child`.
pub(crate) fn main(args: &[String]) -> ExitCode {
    match run(args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("child failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let [name, peer, n, warmup, reps] = args else {
        return Err("usage: --child <workload> <peer> <n> <warmup> <reps>".into());
    };
    let peer = Peer::parse(peer).ok_or_else(|| format!("unknown peer {peer:?}"))?;
    let num = |s: &String| {
        s.parse::<u64>()
            .map_err(|e| format!("bad number {s:?}: {e}"))
    };
    let p = Params {
        n: num(n)?,
        warmup: num(warmup)? as usize,
        reps: num(reps)?.max(1) as usize,
    };
    let w = workloads::find(name).ok_or_else(|| format!("unknown workload {name:?}"))?;
    let reps = (w.run)(peer, p)?;
    Ok(record::format(w.name, peer, p.n, &reps))
}

/// How a child ended.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) record: Option<record::Record>,
    /// Why there is no record: the child's own words, a panic message, or a timeout.
    pub(crate) error: Option<String>,
    pub(crate) elapsed: Duration,
}

/// Runs `program args...` with `envs`, giving up after `timeout`, and parses its record.
pub(crate) fn spawn(
    program: &Path,
    args: &[String],
    envs: &[(&str, &str)],
    timeout: Duration,
) -> Outcome {
    let start = Instant::now();
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome {
                record: None,
                error: Some(format!("cannot start {}: {e}", program.display())),
                elapsed: start.elapsed(),
            };
        }
    };
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut s);
            }
            s
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break Some(st),
            Ok(None) if start.elapsed() > timeout => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().ok();
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => break None,
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    let elapsed = start.elapsed();
    let record = stdout.lines().find_map(record::parse);
    let error = if timed_out {
        Some(format!("timed out after {timeout:?}"))
    } else if record.is_some() && status.is_some_and(|s| s.success()) {
        None
    } else {
        Some(failure_reason(&stderr, status))
    };
    Outcome {
        record: if error.is_none() { record } else { None },
        error,
        elapsed,
    }
}

/// The most telling line of a failed child's stderr: its own "child failed:" note, else the
/// message under Rust's "panicked at", else the last line, else the exit status.
fn failure_reason(stderr: &str, status: Option<std::process::ExitStatus>) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if let Some(i) = lines.iter().position(|l| l.contains("panicked at")) {
        if let Some(msg) = lines.get(i + 1) {
            return format!("panicked: {msg}");
        }
    }
    if let Some(l) = lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("child failed: "))
    {
        return l.to_string();
    }
    match (lines.last(), status) {
        (Some(l), _) => l.to_string(),
        (None, Some(s)) => format!("exited with {s}"),
        (None, None) => "failed".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons() {
        let panic = "\nthread 'main' panicked at benches/src/workloads/spawn.rs:9:81:\nboom\nnote: run with `RUST_BACKTRACE=1`\nchild failed: boom\n";
        assert_eq!(failure_reason(panic, None), "panicked: boom");
        assert_eq!(
            failure_reason("child failed: no OS-thread version\n", None),
            "no OS-thread version"
        );
        assert_eq!(failure_reason("", None), "failed");
    }
}
