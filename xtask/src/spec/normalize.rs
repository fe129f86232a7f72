//! Turns an upstream Lumin OpenAPI document (3.0 or 3.1) into the OpenAPI 3.0 form our
//! `openapi.yaml` uses and progenitor accepts.
//!
//! Each rule is one function. Schema rules take one schema object and say whether they
//! changed it; [`normalize`] applies them to every schema of the document (and only to
//! schemas: a property called `const` or an example holding `type: binary` is left alone).
//! Document rules take the whole document.

use serde_norway::{Mapping, Value};

/// One change a rule made, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The rule's function name.
    pub rule: &'static str,
    /// Where in the document (dotted path).
    pub at: String,
}

/// The HTTP methods of a path item, in the order the report uses.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A schema rule: changes one schema object in place and says whether it did.
pub type SchemaRule = fn(&mut Mapping) -> bool;

/// The schema rules, in the order they run on each schema.
pub const SCHEMA_RULES: &[(&str, SchemaRule)] = &[
    ("nullable_from_type_array", nullable_from_type_array),
    ("example_from_examples", example_from_examples),
    ("exclusive_bounds_to_flags", exclusive_bounds_to_flags),
    ("const_to_enum", const_to_enum),
    ("binary_type_to_string", binary_type_to_string),
    ("content_media_to_format", content_media_to_format),
    ("object_type_from_properties", object_type_from_properties),
];

/// Applies every rule to `doc` and lists what changed.
pub fn normalize(doc: &mut Value) -> Vec<Note> {
    let mut notes = Vec::new();
    let mut note = |rule: &'static str, at: String| notes.push(Note { rule, at });
    if openapi_version_to_30(doc) {
        note("openapi_version_to_30", "openapi".to_owned());
    }
    for at in drop_31_only_fields(doc) {
        note("drop_31_only_fields", at);
    }
    for at in quote_status_codes(doc) {
        note("quote_status_codes", at);
    }
    for at in uppercase_status_ranges(doc) {
        note("uppercase_status_ranges", at);
    }
    for_each_schema(doc, &mut |at, schema| {
        for (rule, apply) in SCHEMA_RULES {
            if apply(schema) {
                note(rule, at.to_owned());
            }
        }
    });
    for at in derive_operation_ids(doc) {
        note("derive_operation_ids", at);
    }
    notes
}

/// `openapi: 3.1.x` becomes `openapi: 3.0.3`.
pub fn openapi_version_to_30(doc: &mut Value) -> bool {
    let Some(version) = doc.get_mut("openapi") else {
        return false;
    };
    let is_31 = version.as_str().is_some_and(|v| v.starts_with("3.1"));
    if is_31 {
        *version = Value::from("3.0.3");
    }
    is_31
}

/// Removes what only 3.1 has at the top level (`webhooks`, `jsonSchemaDialect`,
/// `info.summary`, `info.license.identifier`); returns where.
pub fn drop_31_only_fields(doc: &mut Value) -> Vec<String> {
    let mut dropped = Vec::new();
    if let Some(map) = doc.as_mapping_mut() {
        for key in ["webhooks", "jsonSchemaDialect"] {
            if map.shift_remove(key).is_some() {
                dropped.push(key.to_owned());
            }
        }
    }
    if let Some(info) = doc.get_mut("info").and_then(Value::as_mapping_mut) {
        if info.shift_remove("summary").is_some() {
            dropped.push("info.summary".to_owned());
        }
        if let Some(license) = info.get_mut("license").and_then(Value::as_mapping_mut)
            && license.shift_remove("identifier").is_some()
        {
            dropped.push("info.license.identifier".to_owned());
        }
    }
    dropped
}

/// Rewrites the keys of every operation's `responses` with `rewrite`, keeping their order;
/// returns the locations of the keys it changed.
fn rewrite_status_keys(doc: &mut Value, rewrite: fn(&Value) -> Option<String>) -> Vec<String> {
    let mut changed = Vec::new();
    for_each_operation(doc, &mut |at, op| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_mapping_mut) else {
            return;
        };
        if !responses.keys().any(|k| rewrite(k).is_some()) {
            return;
        }
        let old = std::mem::take(responses);
        for (key, value) in old {
            match rewrite(&key) {
                Some(new) => {
                    changed.push(format!("{at}.responses.{}", key_text(&key)));
                    responses.insert(Value::from(new), value);
                }
                None => {
                    responses.insert(key, value);
                }
            }
        }
    });
    changed
}

/// Status codes written as YAML numbers (`200:`) become strings (`"200":`).
pub fn quote_status_codes(doc: &mut Value) -> Vec<String> {
    rewrite_status_keys(doc, |key| match key {
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// Lowercase status ranges (`4xx`) become the uppercase form 3.0 defines (`4XX`).
pub fn uppercase_status_ranges(doc: &mut Value) -> Vec<String> {
    rewrite_status_keys(doc, |key| {
        let text = key.as_str()?;
        let is_range = text.len() == 3
            && text.as_bytes()[0].is_ascii_digit()
            && text[1..].eq_ignore_ascii_case("xx");
        (is_range && text != text.to_ascii_uppercase()).then(|| text.to_ascii_uppercase())
    })
}

/// Operations without an `operationId` get one: the kebab case of their summary (our
/// spec's rule), else of the method and path. Returns `METHOD path -> id` for each.
pub fn derive_operation_ids(doc: &mut Value) -> Vec<String> {
    let mut derived = Vec::new();
    for_each_operation(doc, &mut |at, op| {
        if op.get("operationId").is_some() {
            return;
        }
        let id = match op.get("summary").and_then(Value::as_str) {
            Some(summary) if !kebab_case(summary).is_empty() => kebab_case(summary),
            _ => kebab_case(at),
        };
        derived.push(format!("{at} -> {id}"));
        op.insert(Value::from("operationId"), Value::from(id));
    });
    derived
}

/// `Get Signature Request` → `get-signature-request`: lowercase words joined by `-`.
pub fn kebab_case(text: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    out
}

/// `type: [string, "null"]` becomes `type: string` with `nullable: true`; several
/// non-null types become a `oneOf` of one schema per type.
pub fn nullable_from_type_array(schema: &mut Mapping) -> bool {
    let Some(Value::Sequence(types)) = schema.get("type").cloned() else {
        return false;
    };
    let nullable = types.iter().any(|t| t.as_str() == Some("null"));
    let rest: Vec<Value> = types
        .into_iter()
        .filter(|t| t.as_str() != Some("null"))
        .collect();
    schema.shift_remove("type");
    match rest.len() {
        0 => {}
        1 => {
            schema.insert(Value::from("type"), rest[0].clone());
        }
        _ => {
            let variants = rest
                .into_iter()
                .map(|t| {
                    let mut variant = Mapping::new();
                    variant.insert(Value::from("type"), t);
                    Value::Mapping(variant)
                })
                .collect();
            schema.insert(Value::from("oneOf"), Value::Sequence(variants));
        }
    }
    if nullable {
        schema.insert(Value::from("nullable"), Value::Bool(true));
    }
    true
}

/// A schema's `examples` list (3.1) becomes its first entry as `example` (3.0).
pub fn example_from_examples(schema: &mut Mapping) -> bool {
    let Some(Value::Sequence(examples)) = schema.get("examples") else {
        return false;
    };
    let first = examples.first().cloned();
    schema.shift_remove("examples");
    if let Some(first) = first
        && !schema.contains_key("example")
    {
        schema.insert(Value::from("example"), first);
    }
    true
}

/// Numeric `exclusiveMinimum: n` (3.1) becomes `minimum: n` with `exclusiveMinimum: true`
/// (3.0); the same for the maximum.
pub fn exclusive_bounds_to_flags(schema: &mut Mapping) -> bool {
    let mut changed = false;
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(Value::Number(n)) = schema.get(exclusive).cloned() {
            schema.insert(Value::from(bound), Value::Number(n));
            schema.insert(Value::from(exclusive), Value::Bool(true));
            changed = true;
        }
    }
    changed
}

/// `const: v` (3.1) becomes `enum: [v]`.
pub fn const_to_enum(schema: &mut Mapping) -> bool {
    let Some(value) = schema.shift_remove("const") else {
        return false;
    };
    schema.insert(Value::from("enum"), Value::Sequence(vec![value]));
    true
}

/// The invalid `type: binary` (and Swagger 2's `type: file`) becomes `type: string` with
/// `format: binary`.
pub fn binary_type_to_string(schema: &mut Mapping) -> bool {
    let invalid = matches!(
        schema.get("type").and_then(Value::as_str),
        Some("binary" | "file")
    );
    if invalid {
        schema.insert(Value::from("type"), Value::from("string"));
        schema.insert(Value::from("format"), Value::from("binary"));
    }
    invalid
}

/// A 3.1 string schema with `contentEncoding: base64` becomes `format: byte`; one with a
/// non-JSON `contentMediaType` becomes `format: binary`.
pub fn content_media_to_format(schema: &mut Mapping) -> bool {
    let encoding = schema.shift_remove("contentEncoding");
    let media = schema.shift_remove("contentMediaType");
    if encoding.is_none() && media.is_none() {
        return false;
    }
    let format = if encoding.as_ref().and_then(Value::as_str) == Some("base64") {
        "byte"
    } else {
        "binary"
    };
    if !schema.contains_key("format") {
        schema.insert(Value::from("format"), Value::from(format));
    }
    if !schema.contains_key("type") {
        schema.insert(Value::from("type"), Value::from("string"));
    }
    true
}

/// A schema with `properties` but no `type` (nor a composition) gets `type: object`.
pub fn object_type_from_properties(schema: &mut Mapping) -> bool {
    let untyped = schema.contains_key("properties")
        && !["type", "allOf", "oneOf", "anyOf", "$ref"]
            .iter()
            .any(|k| schema.contains_key(*k));
    if untyped {
        schema.insert(Value::from("type"), Value::from("object"));
    }
    untyped
}

/// The text of a mapping key (strings as is, numbers written out).
pub fn key_text(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        other => serde_norway::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// Calls `f` with `METHOD path` and each operation object of the document.
pub fn for_each_operation(doc: &mut Value, f: &mut dyn FnMut(&str, &mut Mapping)) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_mapping_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let path = key_text(path);
        let Some(item) = item.as_mapping_mut() else {
            continue;
        };
        for method in METHODS {
            if let Some(op) = item.get_mut(method).and_then(Value::as_mapping_mut) {
                f(&format!("{} {path}", method.to_ascii_uppercase()), op);
            }
        }
    }
}

/// Calls `f` with the location and object of every schema in the document: components,
/// parameters, request and response bodies, headers, and every schema nested in those.
pub fn for_each_schema(doc: &mut Value, f: &mut dyn FnMut(&str, &mut Mapping)) {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_mapping_mut) {
        for (path, item) in paths.iter_mut() {
            let path = key_text(path);
            let Some(item) = item.as_mapping_mut() else {
                continue;
            };
            if let Some(params) = item.get_mut("parameters") {
                visit_parameters(&format!("{path}.parameters"), params, f);
            }
            for method in METHODS {
                let Some(op) = item.get_mut(method) else {
                    continue;
                };
                let at = format!("{} {path}", method.to_ascii_uppercase());
                if let Some(params) = op.get_mut("parameters") {
                    visit_parameters(&format!("{at}.parameters"), params, f);
                }
                if let Some(body) = op.get_mut("requestBody") {
                    visit_content(&format!("{at}.requestBody"), body, f);
                }
                if let Some(responses) = op.get_mut("responses").and_then(Value::as_mapping_mut) {
                    for (status, response) in responses.iter_mut() {
                        let at = format!("{at}.responses.{}", key_text(status));
                        visit_response(&at, response, f);
                    }
                }
            }
        }
    }
    let Some(components) = doc.get_mut("components").and_then(Value::as_mapping_mut) else {
        return;
    };
    for (kind, entries) in components.iter_mut() {
        let kind = key_text(kind);
        let Some(entries) = entries.as_mapping_mut() else {
            continue;
        };
        for (name, entry) in entries.iter_mut() {
            let at = format!("components.{kind}.{}", key_text(name));
            match kind.as_str() {
                "schemas" => visit_schema(&at, entry, f),
                "parameters" | "headers" => {
                    if let Some(schema) = entry.get_mut("schema") {
                        visit_schema(&format!("{at}.schema"), schema, f);
                    }
                }
                "requestBodies" => visit_content(&at, entry, f),
                "responses" => visit_response(&at, entry, f),
                _ => {}
            }
        }
    }
}

fn visit_parameters(at: &str, params: &mut Value, f: &mut dyn FnMut(&str, &mut Mapping)) {
    let Some(params) = params.as_sequence_mut() else {
        return;
    };
    for (i, param) in params.iter_mut().enumerate() {
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| i.to_string(), str::to_owned);
        if let Some(schema) = param.get_mut("schema") {
            visit_schema(&format!("{at}.{name}.schema"), schema, f);
        }
    }
}

fn visit_content(at: &str, holder: &mut Value, f: &mut dyn FnMut(&str, &mut Mapping)) {
    let Some(content) = holder.get_mut("content").and_then(Value::as_mapping_mut) else {
        return;
    };
    for (media, body) in content.iter_mut() {
        if let Some(schema) = body.get_mut("schema") {
            visit_schema(
                &format!("{at}.content.{}.schema", key_text(media)),
                schema,
                f,
            );
        }
    }
}

fn visit_response(at: &str, response: &mut Value, f: &mut dyn FnMut(&str, &mut Mapping)) {
    visit_content(at, response, f);
    if let Some(headers) = response.get_mut("headers").and_then(Value::as_mapping_mut) {
        for (name, header) in headers.iter_mut() {
            if let Some(schema) = header.get_mut("schema") {
                visit_schema(
                    &format!("{at}.headers.{}.schema", key_text(name)),
                    schema,
                    f,
                );
            }
        }
    }
}

/// Visits `schema`, then every schema nested in it (after `f` ran, so that schemas a rule
/// creates are visited too).
fn visit_schema(at: &str, schema: &mut Value, f: &mut dyn FnMut(&str, &mut Mapping)) {
    let Some(map) = schema.as_mapping_mut() else {
        return;
    };
    f(at, map);
    for key in ["properties", "patternProperties"] {
        if let Some(props) = map.get_mut(key).and_then(Value::as_mapping_mut) {
            for (name, prop) in props.iter_mut() {
                visit_schema(&format!("{at}.{key}.{}", key_text(name)), prop, f);
            }
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        match map.get_mut(key) {
            Some(Value::Sequence(items)) => {
                for (i, item) in items.iter_mut().enumerate() {
                    visit_schema(&format!("{at}.{key}.{i}"), item, f);
                }
            }
            Some(item) => visit_schema(&format!("{at}.{key}"), item, f),
            None => {}
        }
    }
    for key in ["allOf", "oneOf", "anyOf", "prefixItems"] {
        if let Some(list) = map.get_mut(key).and_then(Value::as_sequence_mut) {
            for (i, item) in list.iter_mut().enumerate() {
                visit_schema(&format!("{at}.{key}.{i}"), item, f);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_norway::from_str(text).unwrap()
    }

    fn schema(text: &str) -> Mapping {
        yaml(text).as_mapping().unwrap().clone()
    }

    #[test]
    fn version_31_becomes_303_and_30_stays() {
        let mut doc = yaml("openapi: 3.1.0");
        assert!(openapi_version_to_30(&mut doc));
        assert_eq!(doc, yaml("openapi: 3.0.3"));
        let mut doc = yaml("openapi: 3.0.1");
        assert!(!openapi_version_to_30(&mut doc));
        assert_eq!(doc, yaml("openapi: 3.0.1"));
    }

    #[test]
    fn fields_only_31_has_are_dropped() {
        let mut doc = yaml(
            "openapi: 3.1.0\njsonSchemaDialect: x\nwebhooks: {}\n\
             info: {title: t, summary: s, license: {name: MIT, identifier: MIT}}",
        );
        assert_eq!(
            drop_31_only_fields(&mut doc),
            [
                "webhooks",
                "jsonSchemaDialect",
                "info.summary",
                "info.license.identifier"
            ]
        );
        assert_eq!(
            doc,
            yaml("openapi: 3.1.0\ninfo: {title: t, license: {name: MIT}}")
        );
    }

    #[test]
    fn type_arrays_with_null_become_nullable() {
        let mut s = schema("type: [string, 'null']\nmaxLength: 3");
        assert!(nullable_from_type_array(&mut s));
        assert_eq!(s, schema("maxLength: 3\ntype: string\nnullable: true"));
        let mut s = schema("type: [integer, string]");
        assert!(nullable_from_type_array(&mut s));
        assert_eq!(s, schema("oneOf: [{type: integer}, {type: string}]"));
        let mut s = schema("type: string");
        assert!(!nullable_from_type_array(&mut s));
    }

    #[test]
    fn examples_list_becomes_example() {
        let mut s = schema("type: integer\nexamples: [3, 4]");
        assert!(example_from_examples(&mut s));
        assert_eq!(s, schema("type: integer\nexample: 3"));
        // A media type's `examples` is a map of Example objects, valid in 3.0.
        let mut s = schema("examples: {a: {value: 1}}");
        assert!(!example_from_examples(&mut s));
    }

    #[test]
    fn numeric_exclusive_bounds_become_flags() {
        let mut s = schema("type: integer\nexclusiveMinimum: 0\nexclusiveMaximum: 10");
        assert!(exclusive_bounds_to_flags(&mut s));
        assert_eq!(
            s,
            schema(
                "type: integer\nexclusiveMinimum: true\nexclusiveMaximum: true\n\
                 minimum: 0\nmaximum: 10"
            )
        );
        let mut s = schema("minimum: 0\nexclusiveMinimum: true");
        assert!(!exclusive_bounds_to_flags(&mut s));
    }

    #[test]
    fn const_becomes_single_value_enum() {
        let mut s = schema("type: string\nconst: template");
        assert!(const_to_enum(&mut s));
        assert_eq!(s, schema("type: string\nenum: [template]"));
    }

    #[test]
    fn binary_type_becomes_string_binary() {
        let mut s = schema("type: binary");
        assert!(binary_type_to_string(&mut s));
        assert_eq!(s, schema("type: string\nformat: binary"));
        let mut s = schema("type: string\nformat: binary");
        assert!(!binary_type_to_string(&mut s));
    }

    #[test]
    fn content_media_type_becomes_format() {
        let mut s = schema("type: string\ncontentMediaType: application/pdf");
        assert!(content_media_to_format(&mut s));
        assert_eq!(s, schema("type: string\nformat: binary"));
        let mut s = schema("type: string\ncontentEncoding: base64");
        assert!(content_media_to_format(&mut s));
        assert_eq!(s, schema("type: string\nformat: byte"));
    }

    #[test]
    fn properties_without_type_make_an_object() {
        let mut s = schema("properties: {a: {type: string}}");
        assert!(object_type_from_properties(&mut s));
        assert_eq!(s, schema("properties: {a: {type: string}}\ntype: object"));
        let mut s = schema("allOf: [{properties: {}}]\nproperties: {}");
        assert!(!object_type_from_properties(&mut s));
    }

    #[test]
    fn status_ranges_are_uppercased_in_place() {
        let mut doc = yaml(
            "paths:\n  /a:\n    get:\n      responses:\n        '200': {description: ok}\n        \
             4xx: {description: no}\n        default: {description: d}",
        );
        assert_eq!(uppercase_status_ranges(&mut doc), ["GET /a.responses.4xx"]);
        let keys: Vec<String> = doc["paths"]["/a"]["get"]["responses"]
            .as_mapping()
            .unwrap()
            .keys()
            .map(key_text)
            .collect();
        assert_eq!(keys, ["200", "4XX", "default"]);
    }

    #[test]
    fn numeric_status_codes_are_quoted() {
        let mut doc =
            yaml("paths:\n  /a:\n    get:\n      responses:\n        200: {description: ok}");
        assert_eq!(quote_status_codes(&mut doc), ["GET /a.responses.200"]);
        assert!(doc["paths"]["/a"]["get"]["responses"].get("200").is_some());
    }

    #[test]
    fn operation_ids_come_from_the_summary() {
        let mut doc = yaml(
            "paths:\n  /sr/{id}:\n    get: {summary: Get Signature Request}\n    \
             post: {summary: 'Send, from Template', operationId: kept}\n  /x/{id}/file:\n    get: {}",
        );
        assert_eq!(
            derive_operation_ids(&mut doc),
            [
                "GET /sr/{id} -> get-signature-request",
                "GET /x/{id}/file -> get-x-id-file"
            ]
        );
        assert_eq!(
            doc["paths"]["/sr/{id}"]["get"]["operationId"],
            "get-signature-request"
        );
        assert_eq!(doc["paths"]["/sr/{id}"]["post"]["operationId"], "kept");
        assert_eq!(
            kebab_case("Download File as File URL"),
            "download-file-as-file-url"
        );
    }

    #[test]
    fn schema_rules_reach_nested_schemas_only() {
        let mut doc = yaml(
            "openapi: 3.1.0\npaths:\n  /a:\n    post:\n      requestBody:\n        content:\n          \
             application/json:\n            schema:\n              type: object\n              \
             properties:\n                const: {type: string}\n                files:\n                  \
             type: array\n                  items: {type: binary}\n            \
             example: {type: binary}\n      responses: {}\n",
        );
        let notes = normalize(&mut doc);
        let rules: Vec<_> = notes.iter().map(|n| (n.rule, n.at.as_str())).collect();
        assert_eq!(
            rules,
            [
                ("openapi_version_to_30", "openapi"),
                (
                    "binary_type_to_string",
                    "POST /a.requestBody.content.application/json.schema.properties.files.items"
                ),
                ("derive_operation_ids", "POST /a -> post-a"),
            ]
        );
        let media = &doc["paths"]["/a"]["post"]["requestBody"]["content"]["application/json"];
        assert_eq!(media["example"]["type"], "binary");
        assert_eq!(media["schema"]["properties"]["const"]["type"], "string");
    }
}
