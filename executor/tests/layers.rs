//! The executor's layers point one way (see the design note in `src/lib.rs`): a module may use
//! the layers below it, never one above. This test reads the sources and fails naming every
//! file whose code (comments aside) reaches a layer it may not use, so an arrow pointing back
//! up cannot come in unnoticed.

use std::path::{Path, PathBuf};

/// Each folder or file of `src/` below the top, with the modules it must not name.
const RULES: &[(&str, &[&str])] = &[
    ("scheduler", &["runtime", "leak", "net", "hyper"]),
    (
        "task",
        &[
            "runtime",
            "scheduler",
            "time",
            "io",
            "blocking",
            "leak",
            "net",
        ],
    ),
    (
        "time",
        &["runtime", "scheduler", "io", "blocking", "leak", "net"],
    ),
    (
        "io",
        &["runtime", "scheduler", "time", "blocking", "leak", "net"],
    ),
    (
        "blocking.rs",
        &["runtime", "scheduler", "time", "io", "leak", "net"],
    ),
    (
        "coop.rs",
        &["runtime", "scheduler", "task", "time", "io", "blocking"],
    ),
    (
        "clock.rs",
        &["runtime", "scheduler", "task", "time", "io", "blocking"],
    ),
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    for entry in std::fs::read_dir(path).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The lines of `source` that are code, not comments.
fn code_lines(source: &str) -> impl Iterator<Item = (usize, &str)> {
    source
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or(l)))
}

/// The forbidden references in one file: `crate::<module>` paths, and `use super::...` /
/// `super::<module>` reaching a forbidden sibling from a folder's top-level file.
fn violations(file: &Path, forbidden: &[&str]) -> Vec<String> {
    let source = std::fs::read_to_string(file).unwrap();
    let mut found = Vec::new();
    for (line_no, line) in code_lines(&source) {
        for module in forbidden {
            for prefix in ["crate::", "$crate::"] {
                let pattern = format!("{prefix}{module}");
                let mut rest = line;
                while let Some(at) = rest.find(&pattern) {
                    let after = &rest[at + pattern.len()..];
                    if after.starts_with("::") || after.starts_with(';') || after.starts_with(',') {
                        found.push(format!(
                            "{}:{line_no}: `{}` names `crate::{module}`",
                            file.display(),
                            line.trim()
                        ));
                    }
                    rest = after;
                }
            }
            // `use crate::{runtime, ...}` groups.
            if line.contains("crate::{") && line.contains(&format!("{module}::"))
                || line.contains("crate::{") && line.contains(&format!("{{{module},"))
            {
                found.push(format!(
                    "{}:{line_no}: `{}` names `crate::{module}`",
                    file.display(),
                    line.trim()
                ));
            }
        }
    }
    found
}

#[test]
fn executor_layers_point_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    for (layer, forbidden) in RULES {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "no sources under src/{layer}");
        for file in files {
            all.extend(violations(&file, forbidden));
        }
    }
    assert!(
        all.is_empty(),
        "imports point back up the executor's layers (see the design note in src/lib.rs):\n{}",
        all.join("\n")
    );
}

#[test]
fn the_check_sees_an_upward_import() {
    let dir = std::env::temp_dir().join(format!("gmp-layers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("upward.rs");
    std::fs::write(
        &file,
        "// crate::runtime in a comment is fine\nuse crate::runtime::context;\n\
         fn f() { crate::scheduler::Shared::spawn(); }\nuse crate::{loom, runtime::Handle};\n",
    )
    .unwrap();
    let found = violations(&file, &["runtime", "scheduler"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found[0].contains("upward.rs:2"), "{found:#?}");
}
