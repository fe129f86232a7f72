//! `cargo xtask spec sync`: read an upstream Lumin OpenAPI document, normalize it into our
//! 3.0 form, report how it differs from `openapi.yaml`, and optionally merge its additions.

pub mod command;
pub mod drift;
pub mod merge;
pub mod normalize;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_norway::Value;

pub use drift::Drift;

/// The result of comparing an upstream document with ours.
#[derive(Debug, Clone)]
pub struct Sync {
    /// The report text.
    pub report: String,
    /// The comparison itself.
    pub drift: Drift,
    /// The upstream document after normalization.
    pub upstream: Value,
}

/// Reads `source`: a local file, or an `https://` URL fetched with `curl`.
pub fn read_source(source: &str) -> Result<String, String> {
    if source.starts_with("http://") {
        return Err(format!("{source}: only https URLs are fetched"));
    }
    if source.starts_with("https://") {
        let output = std::process::Command::new("curl")
            .args([
                "--fail",
                "--silent",
                "--show-error",
                "--location",
                "--proto",
                "=https",
            ])
            .args(["--max-time", "60", source])
            .output()
            .map_err(|e| format!("running curl for {source}: {e} (is curl installed?)"))?;
        if !output.status.success() {
            return Err(format!(
                "curl {source}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        String::from_utf8(output.stdout).map_err(|e| format!("{source}: {e}"))
    } else {
        std::fs::read_to_string(source).map_err(|e| format!("{source}: {e}"))
    }
}

/// Parses an OpenAPI document written in YAML or JSON.
///
/// A syntax error names the place as `label:line:column:`, the way compilers do, so that
/// an editor or terminal can jump to it.
pub fn parse(text: &str, label: &str) -> Result<Value, String> {
    serde_norway::from_str(text).map_err(|e| {
        let message = e.to_string();
        match e.location() {
            Some(at) => {
                let (line, column) = (at.line(), at.column());
                let suffix = format!(" at line {line} column {column}");
                let message = message.strip_suffix(&suffix).unwrap_or(&message);
                format!("{label}:{line}:{column}: not valid YAML or JSON: {message}")
            }
            None => format!("{label}: not valid YAML or JSON: {message}"),
        }
    })
}

fn count_operations(doc: &Value) -> usize {
    doc.get("paths")
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .map(|(_, item)| {
            normalize::METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .count()
        })
        .sum()
}

fn version(doc: &Value) -> String {
    doc.get("openapi")
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned()
}

/// Normalizes the upstream document `upstream_text` (named `label` in the report) and
/// compares it with our `ours_text`.
///
/// Fails when either document cannot be read, or when the normalized upstream document
/// still does not load as OpenAPI 3.0 (a rule is missing).
pub fn sync(upstream_text: &str, label: &str, ours_text: &str) -> Result<Sync, String> {
    let mut upstream = parse(upstream_text, label)?;
    let ours = parse(ours_text, "openapi.yaml")?;
    let original_version = version(&upstream);
    let notes = normalize::normalize(&mut upstream);
    serde_norway::from_value::<openapiv3::OpenAPI>(upstream.clone()).map_err(|e| {
        format!("{label}: still not OpenAPI 3.0 after normalizing (a rule is missing): {e}")
    })?;
    let drift = drift::compare(&ours, &upstream);

    let mut report = String::new();
    let _ = writeln!(
        report,
        "Upstream: {label} (OpenAPI {original_version}, {} operations)",
        count_operations(&upstream)
    );
    let _ = writeln!(
        report,
        "Ours: openapi.yaml (OpenAPI {}, {} operations)",
        version(&ours),
        count_operations(&ours)
    );
    let mut by_rule: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for note in &notes {
        by_rule.entry(note.rule).or_default().push(&note.at);
    }
    let _ = writeln!(report, "\nNormalized upstream ({} changes):", notes.len());
    for (rule, places) in &by_rule {
        let _ = writeln!(report, "  {rule}: {}", places.len());
        if places.len() <= 5 {
            for place in places {
                let _ = writeln!(report, "    {place}");
            }
        }
    }
    report.push('\n');
    report.push_str(&drift.render());
    let _ = writeln!(
        report,
        "\n{}",
        if drift.is_empty() {
            "No drift.".to_owned()
        } else {
            format!(
                "Drift: {} operations only upstream, {} only ours, {} changed; {} schemas differ; \
                 --write would take {} additions.",
                drift.only_upstream.len(),
                drift.only_ours.len(),
                drift.changed.len(),
                drift.schemas.len(),
                drift.patches.len()
            )
        }
    );
    Ok(Sync {
        report,
        drift,
        upstream,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      \
                        operationId: get-a\n      responses:\n        '200': {description: ok}\n";

    #[test]
    fn json_31_documents_are_read_and_match() {
        let json = r#"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {"summary": "Get A", "responses": {"200": {"description": "ok"}}}}}}"#;
        let sync = sync(json, "upstream.json", OURS).unwrap();
        assert!(sync.drift.is_empty(), "{}", sync.report);
        assert!(sync.report.ends_with("No drift.\n"), "{}", sync.report);
    }

    #[test]
    fn a_syntax_error_names_line_and_column() {
        let text = "openapi: 3.1.0\ninfo:\n  title: t\n  description: Note: a colon\n";
        let err = parse(text, "up.yaml").unwrap_err();
        assert!(
            err.starts_with("up.yaml:4:20: not valid YAML or JSON: mapping values are not allowed"),
            "{err}"
        );
        assert!(!err.contains(" at line "), "{err}");
    }

    #[test]
    fn a_document_that_cannot_load_is_an_error() {
        let err = sync("openapi: 3.1.0\npaths: 3\n", "bad.yaml", OURS).unwrap_err();
        assert!(err.starts_with("bad.yaml: still not OpenAPI 3.0"), "{err}");
    }
}
