//! `cargo xtask check`: everything CI checks, in one command.
//!
//! Every step runs even when an earlier one fails; the summary names, for each failure,
//! the command that fixes it.

use std::process::Command;

use crate::{VENDORED_UPSTREAM, spec, workspace_root};

/// One step: what it runs, and how to fix its failure.
pub struct Step {
    /// The command as a maintainer would type it.
    pub command: &'static str,
    /// Environment variables it sets.
    pub env: &'static [(&'static str, &'static str)],
    /// Environment variables it clears (so an example runs offline).
    pub unset: &'static [&'static str],
    /// The cargo arguments.
    pub args: &'static [&'static str],
    /// What to do when it fails.
    pub fix: &'static str,
}

/// The steps of `.ci/run` that prepare the machine rather than check the code (installing
/// components and system packages); `cargo xtask check` leaves them to the maintainer.
pub const CI_SETUP_STEPS: &[&str] = &["toolchain", "native-tls build dependencies"];

/// The cargo steps of CI (`.ci/run`), in its order; a test keeps the two in step.
pub const STEPS: &[Step] = &[
    Step {
        command: "cargo xtask tidy",
        env: &[],
        unset: &[],
        args: &["xtask", "tidy"],
        fix: "vendor what the listed paths name into the repository and name it from the \
              workspace root (see xtask/upstream-specs/README.md)",
    },
    Step {
        command: "cargo fmt --all --check",
        env: &[],
        unset: &[],
        args: &["fmt", "--all", "--check"],
        fix: "run `cargo fmt --all`",
    },
    Step {
        command: "cargo clippy --workspace --all-targets -- -D warnings",
        env: &[],
        unset: &[],
        args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        fix: "fix the lints above (`cargo clippy --fix --workspace --all-targets --allow-dirty` \
              fixes some of them)",
    },
    Step {
        command: "RUSTDOCFLAGS=-Dwarnings cargo doc --no-deps --workspace",
        env: &[("RUSTDOCFLAGS", "-Dwarnings")],
        unset: &[],
        args: &["doc", "--no-deps", "--workspace"],
        fix: "fix the rustdoc warnings above (broken links, missing docs)",
    },
    Step {
        command: "cargo test --workspace",
        env: &[],
        unset: &[],
        args: &["test", "--workspace"],
        fix: "fix the failing tests above; if a snapshot changed on purpose (openapi.yaml or the \
              generator), review it with `cargo insta review` (install: `cargo install \
              cargo-insta`), or accept all with `INSTA_UPDATE=always cargo test -p xtask` and \
              read `git diff xtask/tests/snapshots`",
    },
    Step {
        command: "cargo run --example quickstart",
        env: &[],
        unset: &["LUMIN_API_KEY"],
        args: &["run", "--example", "quickstart"],
        fix: "the quickstart's local stand-in and the client disagree: see the error above",
    },
    Step {
        command: "cargo run --example oauth",
        env: &[],
        unset: &["LUMIN_CLIENT_ID"],
        args: &["run", "--example", "oauth"],
        fix: "the oauth example's local stand-in and the oauth module disagree: see the error above",
    },
    Step {
        command: "cargo run --example webhook_receiver",
        env: &[],
        unset: &["LUMIN_WEBHOOK_SERVE"],
        args: &["run", "--example", "webhook_receiver"],
        fix: "the webhook receiver example failed: see the error above",
    },
    Step {
        command: "cargo run --example transfer",
        env: &[],
        unset: &[],
        args: &["run", "--example", "transfer"],
        fix: "the transfer example's local stand-in and the files module disagree: see the error above",
    },
    Step {
        command: "cargo run --example resume_session",
        env: &[],
        unset: &["LUMIN_TOKEN_FILE"],
        args: &["run", "--example", "resume_session"],
        fix: "the resume_session example's stand-in token endpoint and the file token store \
              disagree: see the error above",
    },
    Step {
        command: "cargo bench --profile dev --bench compare -- --quick",
        env: &[],
        unset: &[],
        args: &[
            "bench",
            "--profile",
            "dev",
            "--bench",
            "compare",
            "--",
            "--quick",
        ],
        fix: "the benchmark no longer runs: see the error above (benches/compare.rs)",
    },
    Step {
        command: "cargo check --no-default-features --features native-tls",
        env: &[],
        unset: &[],
        args: &["check", "--no-default-features", "--features", "native-tls"],
        fix: "the crate does not build with native-tls alone: see the error above (it needs \
              OpenSSL's headers and pkg-config: `apt-get install libssl-dev pkg-config`, \
              which .ci/run does)",
    },
    Step {
        command: "cargo check --features rustls-aws-lc",
        env: &[],
        unset: &[],
        args: &["check", "--features", "rustls-aws-lc"],
        fix: "the crate does not build with rustls-aws-lc: see the error above",
    },
    Step {
        command: "cargo package --workspace",
        env: &[],
        unset: &[],
        args: &["package", "--workspace"],
        fix: "the crates do not package or their packaged copies do not build: see the error \
              above (a missing file is an `include` in Cargo.toml; uncommitted changes must \
              be committed first, as CI packages a clean clone)",
    },
];

impl Step {
    /// The step as a shell line, the way `.ci/run` writes it.
    pub fn shell_line(&self) -> String {
        let mut words: Vec<String> = Vec::new();
        if !self.unset.is_empty() {
            words.push("env".to_owned());
            words.extend(self.unset.iter().map(|name| format!("-u {name}")));
        }
        words.extend(
            self.env
                .iter()
                .map(|(name, value)| format!("{name}={value}")),
        );
        words.push("cargo".to_owned());
        words.extend(self.args.iter().map(|arg| (*arg).to_owned()));
        words.join(" ")
    }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// `cargo package --workspace` unpacks the packaged `lumin-codegen` into cargo's registry
/// cache, in a directory named after this checkout's path, and reuses an unpacking an
/// earlier run left there, so the packaged `lumin` would build with a stale codegen. Removes
/// those unpackings (local registries only, whose directories start with `-`), as `.ci/run`
/// does before the same step.
fn forget_packaged_codegen() {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".cargo"))
        });
    let Some(registry) = cargo_home.map(|home| home.join("registry")) else {
        return;
    };
    for kind in ["src", "cache"] {
        let Ok(indexes) = std::fs::read_dir(registry.join(kind)) else {
            continue;
        };
        for index in indexes.flatten() {
            if !index.file_name().to_string_lossy().starts_with('-') {
                continue;
            }
            let Ok(entries) = std::fs::read_dir(index.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                if entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with("lumin-codegen-")
                {
                    let path = entry.path();
                    let _ = if path.is_dir() {
                        std::fs::remove_dir_all(&path)
                    } else {
                        std::fs::remove_file(&path)
                    };
                }
            }
        }
    }
}

/// Runs every step and the spec sync report; fails naming the fix of each failed step.
pub fn run() -> Result<(), String> {
    let root = workspace_root();
    forget_packaged_codegen();
    let mut failures = Vec::new();
    for step in STEPS {
        println!("\n==> {}", step.command);
        let mut command = Command::new(cargo());
        command
            .args(step.args)
            .envs(step.env.iter().copied())
            .current_dir(&root);
        for name in step.unset {
            command.env_remove(name);
        }
        let status = command.status();
        match status {
            Ok(status) if status.success() => {}
            Ok(_) => failures.push(format!("`{}` failed: {}", step.command, step.fix)),
            Err(e) => failures.push(format!("`{}` could not run: {e}", step.command)),
        }
    }
    // Drift from the vendored snapshot is expected (it is older than the docs); what must
    // hold is that it still reads and normalizes.
    println!("\n==> cargo xtask spec sync --from {VENDORED_UPSTREAM}");
    let upstream = std::fs::read_to_string(root.join(VENDORED_UPSTREAM))
        .map_err(|e| format!("{VENDORED_UPSTREAM}: {e}"))?;
    let ours = std::fs::read_to_string(root.join("openapi.yaml"))
        .map_err(|e| format!("openapi.yaml: {e}"))?;
    match spec::sync(&upstream, VENDORED_UPSTREAM, &ours) {
        Ok(sync) => println!("{}", sync.report.lines().last().unwrap_or_default()),
        Err(e) => failures.push(format!(
            "spec sync failed: {e}; fix openapi.yaml, or add a normalization rule in \
             xtask/src/spec/normalize.rs"
        )),
    }
    if failures.is_empty() {
        println!("\nAll checks passed.");
        Ok(())
    } else {
        Err(format!(
            "{} check(s) failed:\n  - {}",
            failures.len(),
            failures.join("\n  - ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `.ci/run` announces each cargo step with `step "<command>"` and runs it on the next
    /// line; `cargo xtask check` must run the same steps, in the same order. The setup
    /// steps are the exception, and must be there too.
    #[test]
    fn steps_match_ci_run() {
        let script = std::fs::read_to_string(workspace_root().join(".ci/run")).unwrap();
        let lines: Vec<&str> = script.lines().map(str::trim).collect();
        let ci: Vec<(String, String)> = lines
            .iter()
            .enumerate()
            .filter_map(|(i, line)| {
                let label = line.strip_prefix("step \"")?.strip_suffix('"')?;
                (!CI_SETUP_STEPS.contains(&label)).then(|| {
                    (
                        label.to_owned(),
                        lines.get(i + 1).unwrap_or(&"").to_string(),
                    )
                })
            })
            .collect();
        let ours: Vec<(String, String)> = STEPS
            .iter()
            .map(|step| (step.command.to_owned(), step.shell_line()))
            .collect();
        assert_eq!(ci, ours);
        for setup in CI_SETUP_STEPS {
            assert!(
                lines.contains(&format!("step \"{setup}\"").as_str()),
                "no step \"{setup}\" in .ci/run"
            );
        }
    }
}
