//! The `cargo xtask spec sync` command: arguments, output and exit code.
//!
//! The exit code is the contract for scripts and CI:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | no drift: upstream and `openapi.yaml` agree |
//! | 1 | drift: the report (always printed) shows the differences |
//! | 2 | no answer: wrong arguments, an input that cannot be read or parsed (a YAML or JSON syntax error names `file:line:column`), or a `--write` that cannot be done |

use std::process::ExitCode;

use super::{merge, read_source, sync};
use crate::{PUBLISHED_SPEC_URL, workspace_root};

/// How `spec sync` ended; [`Exit::code`] is the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Exit 0: no drift.
    NoDrift,
    /// Exit 1: drift (after `--write`: drift that remains).
    Drift,
    /// Exit 2: the comparison could not be made; the message is on stderr.
    Error,
}

impl Exit {
    /// The process exit code: 0, 1 or 2.
    pub fn code(self) -> u8 {
        match self {
            Exit::NoDrift => 0,
            Exit::Drift => 1,
            Exit::Error => 2,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// The parsed arguments of `spec sync`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args<'a> {
    /// `--from`: a file or an https URL; Lumin's published spec when absent.
    pub from: &'a str,
    /// `--write`: take upstream's additions into `openapi.yaml`.
    pub write: bool,
}

/// Parses the arguments after `spec sync`.
pub fn parse_args<'a>(args: &[&'a str]) -> Result<Args<'a>, String> {
    let mut from = None;
    let mut check = false;
    let mut write = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match *arg {
            "--from" => {
                from = Some(
                    *args
                        .next()
                        .ok_or("spec sync: --from needs a file or an https URL")?,
                )
            }
            "--check" => check = true,
            "--write" => write = true,
            other => return Err(format!("spec sync: unknown argument {other}")),
        }
    }
    if check && write {
        return Err(
            "spec sync: --check only reports and --write changes openapi.yaml; give one".to_owned(),
        );
    }
    Ok(Args {
        from: from.unwrap_or(PUBLISHED_SPEC_URL),
        write,
    })
}

/// Runs `spec sync` with the arguments after `spec sync`: prints the report on stdout and
/// any error on stderr, and says how it ended.
pub fn run(args: &[&str]) -> Exit {
    match run_inner(args) {
        Ok(exit) => exit,
        Err(message) => {
            eprintln!("error: {message}");
            Exit::Error
        }
    }
}

fn run_inner(args: &[&str]) -> Result<Exit, String> {
    let Args { from, write } = parse_args(args)?;
    let ours_path = workspace_root().join("openapi.yaml");
    let ours_text =
        std::fs::read_to_string(&ours_path).map_err(|e| format!("{}: {e}", ours_path.display()))?;
    let upstream_text = read_source(from)?;
    let synced = sync(&upstream_text, from, &ours_text)?;
    print!("{}", synced.report);
    if !write {
        return Ok(if synced.drift.is_empty() {
            Exit::NoDrift
        } else {
            Exit::Drift
        });
    }
    let merged = merge::apply(&ours_text, &synced.drift.patches, &synced.upstream)?;
    if merged.text == ours_text {
        println!("\n--write: nothing to take; openapi.yaml is unchanged.");
    } else {
        std::fs::write(&ours_path, &merged.text)
            .map_err(|e| format!("{}: {e}", ours_path.display()))?;
        println!(
            "\n--write: took {} additions into openapi.yaml:",
            merged.applied.len()
        );
        for line in &merged.applied {
            println!("  {line}");
        }
        println!(
            "Review with `git diff openapi.yaml`, then `cargo insta review` for the generated surface."
        );
    }
    let after = sync(&upstream_text, from, &merged.text)?;
    Ok(if after.drift.is_empty() {
        println!("No drift remains.");
        Exit::NoDrift
    } else {
        println!(
            "Drift remains where openapi.yaml differs on purpose or needs a hand edit \
             (run again without --write to see it)."
        );
        Exit::Drift
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_defaults_to_the_published_spec() {
        let args = parse_args(&[]).unwrap();
        assert_eq!(args.from, PUBLISHED_SPEC_URL);
        assert!(!args.write);
        assert_eq!(parse_args(&["--check"]).unwrap(), args);
    }

    #[test]
    fn arguments() {
        let args = parse_args(&["--from", "up.yaml", "--write"]).unwrap();
        assert_eq!(
            args,
            Args {
                from: "up.yaml",
                write: true
            }
        );
        assert!(parse_args(&["--from"]).is_err());
        assert!(parse_args(&["--check", "--write"]).is_err());
        assert!(parse_args(&["--frmo", "x"]).is_err());
    }

    #[test]
    fn exit_codes() {
        assert_eq!(
            [Exit::NoDrift, Exit::Drift, Exit::Error].map(Exit::code),
            [0, 1, 2]
        );
    }
}
