//! `--write`: brings upstream's additions into our `openapi.yaml`.
//!
//! Only additions are taken (see [`Patch`]): new operations, parameters, statuses, fields,
//! enum values and constraints we lack. Nothing of ours is changed or removed; where both
//! sides have a value and disagree, ours stays and the report keeps showing it.
//!
//! The file is patched as text, so its comments, key order and flow lists stay as they
//! are and `git diff openapi.yaml` shows only what was added. The result is then checked:
//! it must parse, load as OpenAPI 3.0, keep every value of the original, and leave no
//! addition untaken when compared with upstream again.

use std::collections::BTreeSet;

use serde_norway::{Mapping, Value};

use super::drift::{Loc, Patch, compare, pointer};

/// The merged document.
#[derive(Debug, Clone)]
pub struct Merged {
    /// The new text of `openapi.yaml`.
    pub text: String,
    /// One line per addition taken.
    pub applied: Vec<String>,
}

/// Applies `patches` (from comparing our `ours` text with the normalized `upstream`) to
/// our document's text, and checks the result.
pub fn apply(ours: &str, patches: &[Patch], upstream: &Value) -> Result<Merged, String> {
    let original: Value = serde_norway::from_str(ours).map_err(|e| format!("openapi.yaml: {e}"))?;
    let mut lines: Vec<String> = ours.lines().map(str::to_owned).collect();
    let mut applied = Vec::new();
    let mut refs = BTreeSet::new();
    for patch in patches {
        let line = apply_one(&mut lines, patch, &mut refs)?;
        applied.push(line);
    }
    // Schemas the additions refer to and we lack, with what they refer to in turn.
    let mut copied = BTreeSet::new();
    while let Some(name) = refs.pop_first() {
        if copied.contains(&name)
            || original["components"]["schemas"]
                .get(name.as_str())
                .is_some()
        {
            continue;
        }
        let schema = pointer(upstream, &format!("#/components/schemas/{name}"))
            .ok_or_else(|| format!("upstream refers to a schema it lacks: {name}"))?
            .clone();
        collect_refs(&schema, &mut refs);
        insert_entry(&mut lines, &loc(&["components", "schemas"]), &name, &schema)?;
        applied.push(format!("schema {name} (used by an addition)"));
        copied.insert(name);
    }
    let mut text = lines.join("\n");
    if ours.ends_with('\n') {
        text.push('\n');
    }
    verify(&original, &text, upstream)?;
    Ok(Merged { text, applied })
}

fn loc(parts: &[&str]) -> Loc {
    parts.iter().map(|p| (*p).to_owned()).collect()
}

fn apply_one(
    lines: &mut Vec<String>,
    patch: &Patch,
    refs: &mut BTreeSet<String>,
) -> Result<String, String> {
    match patch {
        Patch::AddOperation { path, method, op } => {
            collect_refs(op, refs);
            let paths = loc(&["paths"]);
            if find(lines, &[paths.clone(), vec![path.clone()]].concat()).is_some() {
                insert_entry(lines, &[paths, vec![path.clone()]].concat(), method, op)?;
            } else {
                let mut item = Mapping::new();
                item.insert(Value::from(method.as_str()), op.clone());
                insert_entry(lines, &paths, path, &Value::Mapping(item))?;
            }
            Ok(format!("operation {} {path}", method.to_ascii_uppercase()))
        }
        Patch::AddParameter { at, param } => {
            collect_refs(param, refs);
            append_item(lines, at, "parameters", param)?;
            Ok(format!(
                "parameter {} {} of {}",
                param["in"].as_str().unwrap_or("?"),
                param["name"].as_str().unwrap_or("?"),
                at.join(" ")
            ))
        }
        Patch::AddResponse {
            at,
            status,
            response,
        } => {
            collect_refs(response, refs);
            insert_entry(
                lines,
                &[at.clone(), vec!["responses".to_owned()]].concat(),
                status,
                response,
            )?;
            Ok(format!("response {status} of {}", at.join(" ")))
        }
        Patch::Deprecate { at } => {
            insert_entry(lines, at, "deprecated", &Value::Bool(true))?;
            Ok(format!("deprecated: true on {}", at.join(" ")))
        }
        Patch::AddProperty {
            at,
            name,
            schema,
            required,
        } => {
            collect_refs(schema, refs);
            insert_entry(
                lines,
                &[at.clone(), vec!["properties".to_owned()]].concat(),
                name,
                schema,
            )?;
            if *required {
                append_item(lines, at, "required", &Value::from(name.as_str()))?;
            }
            Ok(format!("field {name} of {}", at.join(".")))
        }
        Patch::AddEnumValues { at, values } => {
            for value in values {
                append_item(lines, at, "enum", value)?;
            }
            let values: Vec<String> = values.iter().map(flow).collect();
            Ok(format!(
                "enum values [{}] of {}",
                values.join(", "),
                at.join(".")
            ))
        }
        Patch::AddKeyword { at, key, value } => {
            insert_entry(lines, at, key, value)?;
            Ok(format!("{key}: {} on {}", flow(value), at.join(".")))
        }
    }
}

fn collect_refs(value: &Value, refs: &mut BTreeSet<String>) {
    match value {
        Value::Mapping(map) => {
            for (key, v) in map {
                if key.as_str() == Some("$ref") {
                    if let Some(name) = v
                        .as_str()
                        .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    {
                        refs.insert(name.split('/').next().unwrap_or(name).to_owned());
                    }
                } else {
                    collect_refs(v, refs);
                }
            }
        }
        Value::Sequence(list) => list.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

/// A block of lines holding the value of one mapping key.
#[derive(Debug, Clone, Copy)]
struct Block {
    /// The line of `key:`.
    key_line: usize,
    /// The indentation of the key.
    indent: usize,
    /// One past the last line that belongs to the value (comments and blank lines after
    /// it belong to what follows).
    end: usize,
    /// The indentation of the value's entries, when it is a block.
    child_indent: Option<usize>,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim_start();
    !t.is_empty() && !t.starts_with('#')
}

fn key_of(line: &str) -> Option<String> {
    let t = line
        .trim_start()
        .strip_prefix("- ")
        .unwrap_or(line.trim_start());
    let (key, _) = if let Some(rest) = t.strip_prefix('"') {
        let end = rest.find('"')?;
        (rest[..end].to_owned(), &rest[end + 1..])
    } else if let Some(rest) = t.strip_prefix('\'') {
        let end = rest.find('\'')?;
        (rest[..end].to_owned(), &rest[end + 1..])
    } else {
        let end = t.find(": ").or_else(|| t.strip_suffix(':').map(str::len))?;
        (t[..end].to_owned(), &t[end..])
    };
    Some(key)
}

/// Finds the block of the value at `loc` (a path of mapping keys).
fn find(lines: &[String], loc: &[String]) -> Option<Block> {
    let (mut start, mut end, mut indent) = (0, lines.len(), 0);
    let mut block = None;
    for key in loc {
        let key_line = (start..end).find(|&i| {
            let line = &lines[i];
            is_content(line)
                && indent_of(line) == indent
                && key_of(line).as_deref() == Some(key.as_str())
        })?;
        let mut last = key_line;
        for (i, line) in lines.iter().enumerate().take(end).skip(key_line + 1) {
            if !is_content(line) {
                continue;
            }
            if indent_of(line) <= indent {
                break;
            }
            last = i;
        }
        let child_indent = (key_line + 1..=last)
            .find(|&i| is_content(&lines[i]))
            .map(|i| indent_of(&lines[i]));
        block = Some(Block {
            key_line,
            indent,
            end: last + 1,
            child_indent,
        });
        start = key_line + 1;
        end = last + 1;
        indent = child_indent.unwrap_or(indent + 2);
    }
    block
}

/// YAML text of `value` as the value of `key`, indented by `indent`.
fn entry_text(key: &str, value: &Value, indent: usize) -> Result<Vec<String>, String> {
    let mut map = Mapping::new();
    map.insert(Value::from(key), value.clone());
    let text = serde_norway::to_string(&Value::Mapping(map)).map_err(|e| e.to_string())?;
    Ok(text
        .lines()
        .map(|l| format!("{}{l}", " ".repeat(indent)))
        .collect())
}

/// A scalar in flow style (`a`, `"1.1"`, `3`).
fn flow(value: &Value) -> String {
    serde_norway::to_string(value)
        .unwrap_or_default()
        .trim_end()
        .to_owned()
}

/// Adds `key: value` to the mapping at `at`.
fn insert_entry(
    lines: &mut Vec<String>,
    at: &[String],
    key: &str,
    value: &Value,
) -> Result<(), String> {
    let block = find(lines, at).ok_or_else(|| format!("openapi.yaml has no {}", at.join(" ")))?;
    let rest = lines[block.key_line].trim_end().to_owned();
    if rest.ends_with("{}") {
        // An empty flow mapping: write the entry as a block instead.
        let open = rest.len() - 2;
        lines[block.key_line] = rest[..open].trim_end().to_owned();
    } else if !rest.ends_with(':') {
        return Err(format!(
            "{} is not a block mapping in openapi.yaml",
            at.join(" ")
        ));
    }
    let indent = block.child_indent.unwrap_or(block.indent + 2);
    let new = entry_text(key, value, indent)?;
    lines.splice(block.end..block.end, new);
    Ok(())
}

/// Appends `item` to the list under `key` in the mapping at `at`, creating the list.
fn append_item(
    lines: &mut Vec<String>,
    at: &[String],
    key: &str,
    item: &Value,
) -> Result<(), String> {
    let list_loc = [at.to_vec(), vec![key.to_owned()]].concat();
    let Some(block) = find(lines, &list_loc) else {
        return insert_entry(lines, at, key, &Value::Sequence(vec![item.clone()]));
    };
    let line = lines[block.key_line].clone();
    let trimmed = line.trim_end();
    if let Some(open) = trimmed.find(": [") {
        if trimmed.ends_with(']') {
            let inner = trimmed[open + 3..trimmed.len() - 1].trim();
            let sep = if inner.is_empty() { "" } else { ", " };
            lines[block.key_line] = format!("{}: [{inner}{sep}{}]", &trimmed[..open], flow(item));
            return Ok(());
        }
        return Err(format!(
            "{} is a multi-line flow list in openapi.yaml",
            list_loc.join(" ")
        ));
    }
    let indent = block.child_indent.unwrap_or(block.indent + 2);
    let text =
        serde_norway::to_string(&Value::Sequence(vec![item.clone()])).map_err(|e| e.to_string())?;
    let new: Vec<String> = text
        .lines()
        .map(|l| format!("{}{l}", " ".repeat(indent)))
        .collect();
    lines.splice(block.end..block.end, new);
    Ok(())
}

/// Whether everything in `old` is still in `new` (maps may gain keys, lists may gain items
/// at the end).
fn keeps(old: &Value, new: &Value) -> bool {
    match (old, new) {
        (Value::Mapping(o), Value::Mapping(n)) => o
            .iter()
            .all(|(k, v)| n.get(k).is_some_and(|nv| keeps(v, nv))),
        (Value::Sequence(o), Value::Sequence(n)) => {
            o.len() <= n.len() && o.iter().zip(n).all(|(a, b)| keeps(a, b))
        }
        (o, n) => o == n,
    }
}

fn verify(original: &Value, text: &str, upstream: &Value) -> Result<(), String> {
    let merged: Value = serde_norway::from_str(text)
        .map_err(|e| format!("--write produced YAML that does not parse (nothing written): {e}"))?;
    serde_norway::from_value::<openapiv3::OpenAPI>(merged.clone()).map_err(|e| {
        format!("--write produced an invalid OpenAPI document (nothing written): {e}")
    })?;
    if !keeps(original, &merged) {
        return Err(
            "--write would have changed or lost something of ours (nothing written)".to_owned(),
        );
    }
    let left = compare(&merged, upstream).patches;
    if !left.is_empty() {
        let keys: Vec<String> = left.iter().map(|p| format!("{p:?}")).collect();
        return Err(format!(
            "--write left additions untaken (nothing written): {}",
            keys.join("; ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::sync;

    const OURS: &str = "\
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /a:
    get:
      operationId: get-a
      responses:
        \"200\":
          description: ok
          content:
            application/json:
              schema:
                $ref: \"#/components/schemas/A\"
components:
  schemas:
    # ---- kept comment
    A:
      type: object
      required: [id]
      x-lumin-note: ours
      properties:
        id:
          type: string
        kind:
          type: string
          enum: [x, y]
    # ---- trailing comment
";

    const UPSTREAM: &str = "\
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /a:
    get:
      summary: Get A
      deprecated: true
      parameters:
        - {name: page, in: query, schema: {type: integer, minimum: 1}}
      responses:
        \"200\":
          description: ok
          content:
            application/json:
              schema:
                $ref: \"#/components/schemas/A\"
  /b:
    post:
      summary: Post B
      responses:
        \"200\":
          description: ok
          content:
            application/json:
              schema: {$ref: \"#/components/schemas/B\"}
components:
  schemas:
    A:
      type: object
      required: [id, name]
      properties:
        id: {type: string, maxLength: 10}
        name: {type: string}
        kind: {type: string, enum: [x, z]}
    B:
      type: object
      properties:
        a: {$ref: \"#/components/schemas/A\"}
";

    #[test]
    fn write_takes_additions_and_keeps_ours() {
        let s = sync(UPSTREAM, "upstream.yaml", OURS).unwrap();
        let merged = apply(OURS, &s.drift.patches, &s.upstream).unwrap();
        let doc: Value = serde_norway::from_str(&merged.text).unwrap();
        let a = &doc["components"]["schemas"]["A"];
        assert_eq!(a["x-lumin-note"], "ours");
        assert_eq!(a["properties"]["name"]["type"], "string");
        assert_eq!(a["properties"]["id"]["maxLength"], 10);
        assert_eq!(
            serde_norway::to_string(&a["required"]).unwrap(),
            "- id\n- name\n"
        );
        assert_eq!(
            serde_norway::to_string(&a["properties"]["kind"]["enum"]).unwrap(),
            "- x\n- y\n- z\n"
        );
        assert_eq!(doc["paths"]["/a"]["get"]["deprecated"], true);
        assert_eq!(doc["paths"]["/a"]["get"]["parameters"][0]["name"], "page");
        assert_eq!(doc["paths"]["/b"]["post"]["operationId"], "post-b");
        assert_eq!(doc["components"]["schemas"]["B"]["type"], "object");
        // Comments and flow lists stay as they were.
        assert!(merged.text.contains("    # ---- kept comment\n"));
        assert!(merged.text.contains("      required: [id, name]\n"));
        assert!(merged.text.contains("          enum: [x, y, z]\n"));
        assert!(merged.text.ends_with("    # ---- trailing comment\n"));
        // A second run has nothing left to take.
        let again = sync(UPSTREAM, "upstream.yaml", &merged.text).unwrap();
        assert!(again.drift.patches.is_empty());
        assert_eq!(merged.applied.len(), 7, "{:#?}", merged.applied);
    }

    #[test]
    fn omitted_fields_are_not_taken() {
        let ours = OURS.replace("x-lumin-note: ours", "x-lumin-upstream-omit: [name]");
        let s = sync(UPSTREAM, "upstream.yaml", &ours).unwrap();
        assert!(
            s.report
                .contains("+ name: string, required, left out on purpose by x-lumin-upstream-omit (only upstream)"),
            "{}",
            s.report
        );
        let merged = apply(&ours, &s.drift.patches, &s.upstream).unwrap();
        let doc: Value = serde_norway::from_str(&merged.text).unwrap();
        assert!(
            doc["components"]["schemas"]["A"]["properties"]
                .get("name")
                .is_none()
        );
    }
}
