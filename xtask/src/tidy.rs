//! `cargo xtask tidy`: checks on the tracked files that need no build.
//!
//! The second check, that modules depend on each other one way, is in [`crate::layers`].
//! The first keeps a fresh clone self-sufficient: no tracked file other than
//! Markdown may name a path outside the repository. Every occurrence of a parent-directory
//! step (two dots and a slash) is taken with the path around it and resolved from the
//! directory of the file it is in; it must stay in the repository and name a tracked file
//! or a directory holding one. So `include_str!` of the README from `src/lib.rs` passes,
//! while a path that only works with another checkout beside the repository fails, however
//! many steps up it takes. URLs (`scheme://…`) are not file paths and are skipped; so are
//! files that are not UTF-8.

use std::collections::BTreeSet;
use std::process::Command;

use crate::workspace_root;

/// Runs every tidy check on the tracked files; fails listing each problem.
pub fn run() -> Result<(), String> {
    let root = workspace_root();
    let output = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(&root)
        .output()
        .map_err(|e| format!("running git ls-files: {e} (is git installed?)"))?;
    if !output.status.success() {
        return Err(format!(
            "git ls-files: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let files: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .split('\0')
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect();
    let tracked = Tracked::new(&files);
    let mut problems = Vec::new();
    for file in &files {
        if file.ends_with(".md") {
            continue;
        }
        // A tracked file deleted in the work tree is not ours to judge.
        let Ok(bytes) = std::fs::read(root.join(file)) else {
            continue;
        };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        problems.extend(paths_leaving(file, &text, &tracked));
    }
    if !problems.is_empty() {
        return Err(format!(
            "{} path(s) outside the repository; vendor what they name into the repository \
             (see xtask/upstream-specs/) and name it from the workspace root:\n  {}",
            problems.len(),
            problems.join("\n  ")
        ));
    }
    let problems = crate::layers::check(&root, &files);
    if !problems.is_empty() {
        return Err(format!(
            "{} dependency(ies) against the layers of xtask/src/layers.rs:\n  {}",
            problems.len(),
            problems.join("\n  ")
        ));
    }
    println!(
        "tidy: {} tracked files checked, all fine; modules depend one way.",
        files.len()
    );
    Ok(())
}

/// The tracked files and the directories that hold them, relative to the repository root.
pub struct Tracked {
    paths: BTreeSet<String>,
}

impl Tracked {
    /// From the tracked files (`git ls-files`, `/`-separated).
    pub fn new<S: AsRef<str>>(files: &[S]) -> Self {
        let mut paths = BTreeSet::from([String::new()]);
        for file in files {
            let file = file.as_ref();
            paths.insert(file.to_owned());
            let mut dir = file;
            while let Some((parent, _)) = dir.rsplit_once('/') {
                paths.insert(parent.to_owned());
                dir = parent;
            }
        }
        Tracked { paths }
    }

    fn contains(&self, path: &str) -> bool {
        self.paths.contains(path)
    }
}

const PARENT: &str = "../";

fn is_path_char(c: char) -> bool {
    !c.is_whitespace() && !"\"'`()[]{}<>,;|=!*?&#$\\".contains(c)
}

/// The problems with the parent-directory paths in `text`, the contents of the tracked
/// file `file`: one line each, `file:line: <path> <why>`.
pub fn paths_leaving(file: &str, text: &str, tracked: &Tracked) -> Vec<String> {
    let dir: Vec<&str> = match file.rsplit_once('/') {
        Some((dir, _)) => dir.split('/').collect(),
        None => Vec::new(),
    };
    let mut problems = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let mut seen_end = 0;
        for (at, _) in line.match_indices(PARENT) {
            if at < seen_end {
                continue; // part of the path already checked
            }
            let start = line[..at].rfind(|c| !is_path_char(c)).map_or(0, |i| {
                i + line[i..].chars().next().map_or(1, char::len_utf8)
            });
            let end = line[at..]
                .find(|c| !is_path_char(c))
                .map_or(line.len(), |i| at + i);
            seen_end = end;
            let mut path = &line[start..end];
            if path.contains("://") {
                continue;
            }
            // A sentence's full stop is not part of the path.
            if path.ends_with('.') && !path.ends_with("..") {
                path = &path[..path.len() - 1];
            }
            if let Some(why) = leaves(&dir, path, tracked) {
                problems.push(format!("{file}:{}: {path} {why}", number + 1));
            }
        }
    }
    problems
}

/// Why `path`, read from the directory `dir`, is not a tracked path of the repository.
fn leaves(dir: &[&str], path: &str, tracked: &Tracked) -> Option<String> {
    if path.starts_with('/') || path.starts_with('~') {
        return Some("is an absolute path".to_owned());
    }
    let mut at: Vec<&str> = dir.to_vec();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if at.pop().is_none() {
                    return Some("leaves the repository".to_owned());
                }
            }
            name => at.push(name),
        }
    }
    let resolved = at.join("/");
    (!tracked.contains(&resolved)).then(|| {
        format!(
            "resolves to `{}`, which is not in the repository",
            if resolved.is_empty() { "." } else { &resolved }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A parent-directory step, built so that this file does not contain one itself.
    fn up(rest: &str) -> String {
        format!("..{}{rest}", '/')
    }

    fn tracked() -> Tracked {
        Tracked::new(&[
            "README.md",
            "src/lib.rs",
            "xtask/src/lib.rs",
            "xtask/upstream-specs/a.yaml",
            ".ci/run",
        ])
    }

    fn check(file: &str, text: &str) -> Vec<String> {
        paths_leaving(file, text, &tracked())
    }

    /// The repository as it is: CI runs this as a test too.
    #[test]
    fn the_repository_is_tidy() {
        run().unwrap();
    }

    #[test]
    fn paths_inside_the_repository_pass() {
        let readme = format!("#![doc = include_str!(\"{}\")]", up("README.md"));
        assert!(check("src/lib.rs", &readme).is_empty());
        let specs = format!("\"{}\"", up("upstream-specs/a.yaml"));
        assert!(check("xtask/src/lib.rs", &specs).is_empty());
        assert!(check(".ci/run", "cd \"$(dirname \"$0\")/..\"").is_empty());
        assert!(check("src/lib.rs", "use super::x; a..b; 0..=3").is_empty());
        let url = format!("see https://example.com/a/{}", up("b"));
        assert!(check("src/lib.rs", &url).is_empty());
        let sentence = format!("// the crate's readme, {}.", up("README.md"));
        assert!(check("src/lib.rs", &sentence).is_empty());
    }

    #[test]
    fn paths_leaving_the_repository_fail() {
        let shared = up("shared/lumin-api/upstream/openapi.yaml");
        let problems = check("README.yaml", &format!("a: 1\nfrom: \"{shared}\"\n"));
        assert_eq!(
            problems,
            [format!("README.yaml:2: {shared} leaves the repository")]
        );
        // One step up from xtask/src stays inside, but names nothing there.
        let problems = check(
            "xtask/src/lib.rs",
            &format!("const A: &str = \"{shared}\";"),
        );
        assert_eq!(
            problems,
            [format!(
                "xtask/src/lib.rs:1: {shared} resolves to `xtask/shared/lumin-api/upstream/openapi.yaml`, which is not in the repository"
            )]
        );
        let deep = format!("x/{}", up(&up(&up("etc/passwd"))));
        assert_eq!(
            check("src/lib.rs", &deep),
            [format!("src/lib.rs:1: {deep} leaves the repository")]
        );
    }
}
