//! Compares a normalized upstream document with ours, operation by operation and schema by
//! schema, after resolving `$ref`s on both sides.
//!
//! What is compared is the shape a client sees: per operation the parameters, request
//! media types, status codes, deprecation and operation id; per schema the fields, whether
//! they are required, their types and (meaningful) formats, enum values and constraints.
//! Names are not compared: our `SignatureRequestSigner` is paired with upstream's inline
//! `SignatureRequest.signers[]` because they sit in the same place of the same operation.
//! References to primitive schemas (`UnixMillis`, `Title`, `Page`) are inlined, so a
//! named timestamp compares as the integer it is; references to object schemas start a
//! schema of their own, reported once however many operations use it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_norway::{Mapping, Value};

use super::normalize::{METHODS, key_text};

/// Where a schema is defined: a component (by name) or inline (by location).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// `#/components/schemas/<name>`.
    Named(String),
    /// An inline schema, by operation and field path.
    Inline(String),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Named(name) | Origin::Inline(name) => f.write_str(name),
        }
    }
}

/// A pair of schemas compared with each other: (ours, upstream).
pub type UnitKey = (Origin, Origin);

/// A location in a document, as the keys leading to it.
pub type Loc = Vec<String>;

/// One difference between the two documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Something upstream has and we do not.
    OnlyUpstream {
        /// Field path or operation part.
        what: String,
        /// A short description of upstream's side.
        detail: String,
    },
    /// Something we have and upstream does not.
    OnlyOurs {
        /// Field path or operation part.
        what: String,
        /// A short description of our side.
        detail: String,
    },
    /// An attribute both have, with different values.
    Differs {
        /// Field path or operation part.
        what: String,
        /// The attribute (`type`, `maxLength`, `required`, …).
        attr: String,
        /// Our value (`-` when we have none).
        ours: String,
        /// Upstream's value (`-` when it has none).
        upstream: String,
    },
    /// Enum values on one side only.
    Enum {
        /// Field path.
        what: String,
        /// Values only we list.
        only_ours: Vec<String>,
        /// Values only upstream lists.
        only_upstream: Vec<String>,
    },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::OnlyUpstream { what, detail } => {
                write!(f, "+ {what}: {detail} (only upstream)")
            }
            Change::OnlyOurs { what, detail } => write!(f, "- {what}: {detail} (only ours)"),
            Change::Differs {
                what,
                attr,
                ours,
                upstream,
            } => write!(f, "~ {what}: {attr} ours {ours}, upstream {upstream}"),
            Change::Enum {
                what,
                only_ours,
                only_upstream,
            } => {
                write!(f, "~ {what}: enum")?;
                if !only_ours.is_empty() {
                    write!(f, " only ours [{}]", only_ours.join(", "))?;
                }
                if !only_upstream.is_empty() {
                    write!(f, " only upstream [{}]", only_upstream.join(", "))?;
                }
                Ok(())
            }
        }
    }
}

/// Something `--write` can take from upstream without touching what we have.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch {
    /// A whole operation (path, method, the operation as upstream has it).
    AddOperation {
        /// The path as upstream writes it.
        path: String,
        /// Lowercase method.
        method: String,
        /// Upstream's operation object.
        op: Value,
    },
    /// A parameter appended to one of our operations.
    AddParameter {
        /// Our operation object.
        at: Loc,
        /// Upstream's parameter (resolved).
        param: Value,
    },
    /// A response (status) added to one of our operations.
    AddResponse {
        /// Our operation object.
        at: Loc,
        /// The status key.
        status: String,
        /// Upstream's response (resolved).
        response: Value,
    },
    /// `deprecated: true` on one of our operations.
    Deprecate {
        /// Our operation object.
        at: Loc,
    },
    /// A property added to one of our object schemas.
    AddProperty {
        /// Our schema object.
        at: Loc,
        /// The property name.
        name: String,
        /// Upstream's property schema.
        schema: Value,
        /// Whether upstream requires it.
        required: bool,
    },
    /// Enum values appended to one of our enums.
    AddEnumValues {
        /// Our schema object.
        at: Loc,
        /// The new values.
        values: Vec<Value>,
    },
    /// A constraint keyword we lack, with upstream's value.
    AddKeyword {
        /// Our schema object.
        at: Loc,
        /// The keyword (`maxLength`, `pattern`, …).
        key: String,
        /// Upstream's value.
        value: Value,
    },
}

/// One operation that differs.
#[derive(Debug, Clone)]
pub struct OperationDrift {
    /// `METHOD path  operation-id` (ours).
    pub title: String,
    /// Operation-level changes.
    pub changes: Vec<Change>,
    /// Titles of the differing schemas this operation uses.
    pub schemas: Vec<String>,
}

/// One pair of schemas that differs.
#[derive(Debug, Clone)]
pub struct SchemaDrift {
    /// Our schema name (or location), and upstream's when it differs.
    pub title: String,
    /// Field-level changes.
    pub changes: Vec<Change>,
}

/// The whole comparison.
#[derive(Debug, Clone, Default)]
pub struct Drift {
    /// Operations in both documents.
    pub in_both: usize,
    /// `METHOD path  id` of operations only upstream has.
    pub only_upstream: Vec<String>,
    /// `METHOD path  id` of operations only we have.
    pub only_ours: Vec<String>,
    /// Operations in both that differ, in our document's order.
    pub changed: Vec<OperationDrift>,
    /// Schemas that differ, by title.
    pub schemas: Vec<SchemaDrift>,
    /// What `--write` would take from upstream.
    pub patches: Vec<Patch>,
}

impl Drift {
    /// Whether the documents differ at all.
    pub fn is_empty(&self) -> bool {
        self.only_upstream.is_empty()
            && self.only_ours.is_empty()
            && self.changed.is_empty()
            && self.schemas.is_empty()
    }

    /// The report text (without the header the caller adds).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Operations: {} in both, {} only upstream, {} only ours, {} changed",
            self.in_both,
            self.only_upstream.len(),
            self.only_ours.len(),
            self.changed.len()
        );
        let _ = writeln!(out, "\nOnly upstream ({}):", self.only_upstream.len());
        for op in &self.only_upstream {
            let _ = writeln!(out, "  + {op}");
        }
        let _ = writeln!(out, "\nOnly ours ({}):", self.only_ours.len());
        for op in &self.only_ours {
            let _ = writeln!(out, "  - {op}");
        }
        let _ = writeln!(out, "\nChanged operations ({}):", self.changed.len());
        for op in &self.changed {
            let _ = writeln!(out, "  {}", op.title);
            for change in &op.changes {
                let _ = writeln!(out, "    {change}");
            }
            if !op.schemas.is_empty() {
                let _ = writeln!(out, "    schemas: {}", op.schemas.join(", "));
            }
        }
        let _ = writeln!(out, "\nChanged schemas ({}):", self.schemas.len());
        for schema in &self.schemas {
            let _ = writeln!(out, "  {}", schema.title);
            for change in &schema.changes {
                let _ = writeln!(out, "    {change}");
            }
        }
        out
    }
}

/// Follows a local `$ref` (`#/a/b/c`) in `doc`.
pub fn pointer<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let path = reference.strip_prefix("#/")?;
    let mut node = doc;
    for part in path.split('/') {
        let part = part.replace("~1", "/").replace("~0", "~");
        node = node.get(part.as_str())?;
    }
    Some(node)
}

fn ref_loc(reference: &str) -> Option<Loc> {
    let path = reference.strip_prefix("#/")?;
    Some(
        path.split('/')
            .map(|p| p.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// A schema with its `$ref`s followed and its `allOf` merged.
#[derive(Debug, Clone)]
struct Node {
    schema: Mapping,
    origin: Origin,
    /// Reached through a reference to a component object schema.
    unit: bool,
    /// Where the schema object is in its document (`None` for merged `allOf`s).
    loc: Option<Loc>,
}

fn resolve(doc: &Value, value: &Value, origin: Origin, loc: Option<Loc>) -> Node {
    let mut value = value;
    let mut origin = origin;
    let mut loc = loc;
    let mut named = false;
    for _ in 0..16 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(target) = pointer(doc, reference) else {
            break;
        };
        if let Some(name) = reference.strip_prefix("#/components/schemas/") {
            origin = Origin::Named(name.to_owned());
            named = true;
        }
        loc = ref_loc(reference);
        value = target;
    }
    let mut schema = value.as_mapping().cloned().unwrap_or_default();
    if let Some(Value::Sequence(parts)) = schema.shift_remove("allOf") {
        loc = None;
        let mut merged = Mapping::new();
        for part in &parts {
            let part = resolve(doc, part, origin.clone(), None);
            merge_into(&mut merged, &part.schema);
        }
        merge_into(&mut merged, &schema);
        schema = merged;
    }
    let unit = named
        && schema
            .get("properties")
            .and_then(Value::as_mapping)
            .is_some_and(|p| !p.is_empty());
    Node {
        schema,
        origin,
        unit,
        loc,
    }
}

/// Merges an `allOf` member into `into`: properties and required lists add up, other
/// keywords are taken when absent.
fn merge_into(into: &mut Mapping, part: &Mapping) {
    for (key, value) in part {
        match (key.as_str(), into.get_mut(key)) {
            (Some("properties"), Some(Value::Mapping(props))) => {
                if let Some(more) = value.as_mapping() {
                    for (k, v) in more {
                        props.insert(k.clone(), v.clone());
                    }
                }
            }
            (Some("required"), Some(Value::Sequence(list))) => {
                for v in value.as_sequence().into_iter().flatten() {
                    if !list.contains(v) {
                        list.push(v.clone());
                    }
                }
            }
            (_, Some(_)) => {}
            (_, None) => {
                into.insert(key.clone(), value.clone());
            }
        }
    }
}

/// A YAML value on one line (as JSON).
pub fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "?".to_owned())
}

const CONSTRAINTS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "nullable",
    "default",
    "readOnly",
    "writeOnly",
    "deprecated",
];

fn type_summary(doc: &Value, schema: &Mapping) -> String {
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Sequence(variants)) = schema.get(key) {
            let parts: Vec<String> = variants
                .iter()
                .map(|v| {
                    let node = resolve(doc, v, Origin::Inline(String::new()), None);
                    if node.unit {
                        node.origin.to_string()
                    } else {
                        let ty = type_summary(doc, &node.schema);
                        match effective_format(&node.schema) {
                            Some(f) => format!("{ty} {f}"),
                            None => ty,
                        }
                    }
                })
                .collect();
            return format!("{key}({})", parts.join(" | "));
        }
    }
    match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(other) => compact(other),
        None => "any".to_owned(),
    }
}

/// The format, when it means something to the client: integer formats that are only
/// documentation (`unix-epoch`) or progenitor's default (`int64`) are left out.
fn effective_format(schema: &Mapping) -> Option<String> {
    let format = schema.get("format")?.as_str()?;
    let ty = schema.get("type").and_then(Value::as_str).unwrap_or("");
    if ty == "integer" && matches!(format, "int64" | "unix-epoch") {
        return None;
    }
    Some(format.to_owned())
}

/// The compared attributes of a schema (enum values apart).
fn facts(doc: &Value, schema: &Mapping) -> BTreeMap<String, String> {
    let mut facts = BTreeMap::new();
    facts.insert("type".to_owned(), type_summary(doc, schema));
    if let Some(format) = effective_format(schema) {
        facts.insert("format".to_owned(), format);
    }
    for key in CONSTRAINTS {
        match schema.get(*key) {
            None | Some(Value::Bool(false)) => {}
            Some(value) => {
                facts.insert((*key).to_owned(), compact(value));
            }
        }
    }
    if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
        facts.insert("additionalProperties".to_owned(), "false".to_owned());
    }
    facts
}

fn enum_values(schema: &Mapping) -> Option<Vec<Value>> {
    schema.get("enum").and_then(Value::as_sequence).cloned()
}

fn short(doc: &Value, schema: &Mapping, node_unit: Option<&Origin>) -> String {
    if let Some(origin) = node_unit {
        return origin.to_string();
    }
    let mut text = type_summary(doc, schema);
    if let Some(f) = effective_format(schema) {
        text = format!("{text} {f}");
    }
    if let Some(values) = enum_values(schema) {
        let values: Vec<String> = values.iter().map(scalar_text).collect();
        text = format!("{text} [{}]", values.join(", "));
    }
    text
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => compact(other),
    }
}

fn path_join(base: &str, part: &str) -> String {
    if base.is_empty() {
        part.to_owned()
    } else if part.starts_with('[') || part.starts_with('{') {
        format!("{base}{part}")
    } else {
        format!("{base}.{part}")
    }
}

fn required_names(schema: &Mapping) -> BTreeSet<String> {
    schema
        .get("required")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// The state of one comparison run.
struct Comparer<'a> {
    ours: &'a Value,
    upstream: &'a Value,
    units: BTreeMap<UnitKey, Vec<Change>>,
    /// Unit to the units its fields lead to.
    edges: BTreeMap<UnitKey, BTreeSet<UnitKey>>,
    queue: Vec<(UnitKey, Node, Node)>,
    patches: Vec<Patch>,
}

impl Comparer<'_> {
    fn unit(&mut self, ours: Node, upstream: Node) -> UnitKey {
        let key = (ours.origin.clone(), upstream.origin.clone());
        if !self.units.contains_key(&key) {
            self.units.insert(key.clone(), Vec::new());
            self.queue.push((key.clone(), ours, upstream));
        }
        key
    }

    fn run_queue(&mut self) {
        while let Some((key, ours, upstream)) = self.queue.pop() {
            let mut changes = Vec::new();
            self.walk(&key, "", &ours, &upstream, &mut changes);
            self.units.insert(key, changes);
        }
    }

    fn walk(
        &mut self,
        unit: &UnitKey,
        path: &str,
        ours: &Node,
        upstream: &Node,
        changes: &mut Vec<Change>,
    ) {
        let what = if path.is_empty() { "(root)" } else { path };
        let ours_facts = facts(self.ours, &ours.schema);
        let up_facts = facts(self.upstream, &upstream.schema);
        let keys: BTreeSet<&String> = ours_facts.keys().chain(up_facts.keys()).collect();
        for attr in keys {
            let (o, u) = (ours_facts.get(attr), up_facts.get(attr));
            if o == u {
                continue;
            }
            // A one-of of ours against a plain type upstream is one difference, not two.
            if attr == "format" && ours_facts.get("type") != up_facts.get("type") {
                continue;
            }
            changes.push(Change::Differs {
                what: what.to_owned(),
                attr: attr.clone(),
                ours: o.cloned().unwrap_or_else(|| "-".to_owned()),
                upstream: u.cloned().unwrap_or_else(|| "-".to_owned()),
            });
            if let (None, Some(_), Some(loc)) = (o, u, &ours.loc)
                && attr != "type"
                && attr != "format"
                && attr != "nullable"
                && attr != "default"
                && let Some(value) = upstream.schema.get(attr.as_str())
            {
                self.patches.push(Patch::AddKeyword {
                    at: loc.clone(),
                    key: attr.clone(),
                    value: value.clone(),
                });
            }
        }
        match (enum_values(&ours.schema), enum_values(&upstream.schema)) {
            (Some(o), Some(u)) => {
                let only_ours: Vec<String> = o
                    .iter()
                    .filter(|v| !u.contains(v))
                    .map(scalar_text)
                    .collect();
                let new: Vec<Value> = u.iter().filter(|v| !o.contains(v)).cloned().collect();
                if !only_ours.is_empty() || !new.is_empty() {
                    changes.push(Change::Enum {
                        what: what.to_owned(),
                        only_ours,
                        only_upstream: new.iter().map(scalar_text).collect(),
                    });
                    if let (false, Some(loc)) = (new.is_empty(), &ours.loc) {
                        self.patches.push(Patch::AddEnumValues {
                            at: loc.clone(),
                            values: new,
                        });
                    }
                }
            }
            (Some(o), None) => changes.push(Change::Differs {
                what: what.to_owned(),
                attr: "enum".to_owned(),
                ours: format!(
                    "[{}]",
                    o.iter().map(scalar_text).collect::<Vec<_>>().join(", ")
                ),
                upstream: "-".to_owned(),
            }),
            (None, Some(u)) => changes.push(Change::Differs {
                what: what.to_owned(),
                attr: "enum".to_owned(),
                ours: "-".to_owned(),
                upstream: format!(
                    "[{}]",
                    u.iter().map(scalar_text).collect::<Vec<_>>().join(", ")
                ),
            }),
            (None, None) => {}
        }
        if !path.is_empty() && (ours.unit || upstream.unit) {
            let child = self.unit(ours.clone(), upstream.clone());
            self.edges.entry(unit.clone()).or_default().insert(child);
            return;
        }
        self.walk_properties(unit, path, ours, upstream, changes);
        for (key, suffix) in [("items", "[]"), ("additionalProperties", "{}")] {
            let o = ours.schema.get(key).filter(|v| v.is_mapping());
            let u = upstream.schema.get(key).filter(|v| v.is_mapping());
            let child_path = path_join(path, suffix);
            match (o, u) {
                (Some(o), Some(u)) => {
                    let o = self.child(true, ours, key, o, &child_path, unit);
                    let u = self.child(false, upstream, key, u, &child_path, unit);
                    self.walk(unit, &child_path, &o, &u, changes);
                }
                (Some(o), None) => {
                    let o = self.child(true, ours, key, o, &child_path, unit);
                    changes.push(Change::OnlyOurs {
                        what: child_path,
                        detail: short(self.ours, &o.schema, o.unit.then_some(&o.origin)),
                    });
                }
                (None, Some(u)) => {
                    let u = self.child(false, upstream, key, u, &child_path, unit);
                    changes.push(Change::OnlyUpstream {
                        what: child_path,
                        detail: short(self.upstream, &u.schema, u.unit.then_some(&u.origin)),
                    });
                }
                (None, None) => {}
            }
        }
    }

    fn child(
        &self,
        ours_side: bool,
        parent: &Node,
        key: &str,
        raw: &Value,
        path: &str,
        unit: &UnitKey,
    ) -> Node {
        let (doc, unit_origin) = if ours_side {
            (self.ours, &unit.0)
        } else {
            (self.upstream, &unit.1)
        };
        let loc = parent.loc.as_ref().map(|l| {
            let mut l = l.clone();
            l.extend(key.split('/').map(str::to_owned));
            l
        });
        resolve(
            doc,
            raw,
            Origin::Inline(path_join(&unit_origin.to_string(), path)),
            loc,
        )
    }

    fn walk_properties(
        &mut self,
        unit: &UnitKey,
        path: &str,
        ours: &Node,
        upstream: &Node,
        changes: &mut Vec<Change>,
    ) {
        let empty = Mapping::new();
        let o_props = ours
            .schema
            .get("properties")
            .and_then(Value::as_mapping)
            .unwrap_or(&empty);
        let u_props = upstream
            .schema
            .get("properties")
            .and_then(Value::as_mapping)
            .unwrap_or(&empty);
        let o_req = required_names(&ours.schema);
        let u_req = required_names(&upstream.schema);
        let names: BTreeSet<String> = o_props.keys().chain(u_props.keys()).map(key_text).collect();
        for name in names {
            let child_path = path_join(path, &name);
            let key = format!("properties/{name}");
            match (o_props.get(name.as_str()), u_props.get(name.as_str())) {
                (Some(o), Some(u)) => {
                    let o = self.child(true, ours, &key, o, &child_path, unit);
                    let u = self.child(false, upstream, &key, u, &child_path, unit);
                    let (o_r, u_r) = (o_req.contains(&name), u_req.contains(&name));
                    if o_r != u_r {
                        changes.push(Change::Differs {
                            what: child_path.clone(),
                            attr: "required".to_owned(),
                            ours: yes_no(o_r),
                            upstream: yes_no(u_r),
                        });
                    }
                    self.walk(unit, &child_path, &o, &u, changes);
                }
                (Some(o), None) => {
                    let o = self.child(true, ours, &key, o, &child_path, unit);
                    changes.push(Change::OnlyOurs {
                        what: child_path,
                        detail: with_required(
                            short(self.ours, &o.schema, o.unit.then_some(&o.origin)),
                            o_req.contains(&name),
                        ),
                    });
                }
                (None, Some(u_raw)) => {
                    let u = self.child(false, upstream, &key, u_raw, &child_path, unit);
                    let omitted = omitted_on_purpose(&ours.schema, &name);
                    let mut detail = with_required(
                        short(self.upstream, &u.schema, u.unit.then_some(&u.origin)),
                        u_req.contains(&name),
                    );
                    if omitted {
                        detail.push_str(", left out on purpose by x-lumin-upstream-omit");
                    }
                    changes.push(Change::OnlyUpstream {
                        what: child_path,
                        detail,
                    });
                    if omitted {
                        continue;
                    }
                    if let Some(loc) = &ours.loc
                        && ours.schema.contains_key("properties")
                    {
                        self.patches.push(Patch::AddProperty {
                            at: loc.clone(),
                            name: name.clone(),
                            schema: u_raw.clone(),
                            required: u_req.contains(&name),
                        });
                    }
                }
                (None, None) => {}
            }
        }
    }
}

/// Whether our schema lists `name` in `x-lumin-upstream-omit`: a field upstream declares
/// that we leave out on purpose (such as multipart-only fields in a JSON body), so that
/// `--write` does not bring it back.
fn omitted_on_purpose(schema: &Mapping, name: &str) -> bool {
    schema
        .get("x-lumin-upstream-omit")
        .and_then(Value::as_sequence)
        .is_some_and(|list| list.iter().any(|v| v.as_str() == Some(name)))
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

fn with_required(text: String, required: bool) -> String {
    if required {
        format!("{text}, required")
    } else {
        text
    }
}

/// An operation of a document, with the parameters of its path item.
struct Op<'a> {
    path: String,
    method: &'static str,
    op: &'a Mapping,
    path_params: Vec<Value>,
    loc: Loc,
}

impl Op<'_> {
    fn id(&self) -> String {
        self.op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or("-")
            .to_owned()
    }

    fn title(&self) -> String {
        format!(
            "{} {}  {}",
            self.method.to_ascii_uppercase(),
            self.path,
            self.id()
        )
    }
}

/// `/a/{id}/b` and `/a/{other}/b` are the same path.
fn path_shape(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

fn operations(doc: &Value) -> Vec<Op<'_>> {
    let mut ops = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_mapping) else {
        return ops;
    };
    for (path, item) in paths {
        let path = key_text(path);
        let Some(item) = item.as_mapping() else {
            continue;
        };
        let path_params = item
            .get("parameters")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        for method in METHODS {
            if let Some(op) = item.get(method).and_then(Value::as_mapping) {
                ops.push(Op {
                    path: path.clone(),
                    method,
                    op,
                    path_params: path_params.clone(),
                    loc: vec!["paths".to_owned(), path.clone(), method.to_owned()],
                });
            }
        }
    }
    ops
}

fn deref<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    let mut value = value;
    for _ in 0..16 {
        match value
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| pointer(doc, r))
        {
            Some(target) => value = target,
            None => break,
        }
    }
    value
}

/// Parameters of an operation by `in name`, resolved; the operation's own override the
/// path item's.
fn parameters(doc: &Value, op: &Op<'_>) -> BTreeMap<String, Value> {
    let own = op
        .op
        .get("parameters")
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default();
    let mut params = BTreeMap::new();
    for param in op.path_params.iter().chain(own.iter()) {
        let param = deref(doc, param);
        let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
        let place = param.get("in").and_then(Value::as_str).unwrap_or("?");
        params.insert(format!("{place} {name}"), param.clone());
    }
    params
}

fn media_types(doc: &Value, holder: Option<&Value>) -> BTreeMap<String, Value> {
    let Some(holder) = holder else {
        return BTreeMap::new();
    };
    let holder = deref(doc, holder);
    holder
        .get("content")
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .map(|(media, body)| {
            (
                key_text(media),
                body.get("schema").cloned().unwrap_or(Value::Null),
            )
        })
        .collect()
}

fn responses(op: &Op<'_>) -> Vec<(String, Value)> {
    op.op
        .get("responses")
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .map(|(status, response)| (key_text(status), response.clone()))
        .collect()
}

/// Compares two normalized documents.
pub fn compare(ours: &Value, upstream: &Value) -> Drift {
    let mut comparer = Comparer {
        ours,
        upstream,
        units: BTreeMap::new(),
        edges: BTreeMap::new(),
        queue: Vec::new(),
        patches: Vec::new(),
    };
    let our_ops = operations(ours);
    let up_ops = operations(upstream);
    let key = |op: &Op<'_>| (op.method, path_shape(&op.path));
    let up_by_key: BTreeMap<_, &Op<'_>> = up_ops.iter().map(|op| (key(op), op)).collect();
    let our_keys: BTreeSet<_> = our_ops.iter().map(key).collect();
    let mut drift = Drift::default();
    // Operation-level changes and the units each operation starts.
    let mut per_op: Vec<(String, Vec<Change>, Vec<UnitKey>)> = Vec::new();
    for op in &our_ops {
        let Some(up) = up_by_key.get(&key(op)) else {
            drift.only_ours.push(op.title());
            continue;
        };
        drift.in_both += 1;
        let (changes, roots) = compare_operation(&mut comparer, op, up);
        per_op.push((op.title(), changes, roots));
    }
    for op in &up_ops {
        if !our_keys.contains(&key(op)) {
            drift.only_upstream.push(op.title());
            comparer.patches.push(Patch::AddOperation {
                path: op.path.clone(),
                method: op.method.to_owned(),
                op: Value::Mapping(op.op.clone()),
            });
        }
    }
    comparer.run_queue();
    let title = |key: &UnitKey| -> String {
        if key.0 == key.1 {
            key.0.to_string()
        } else {
            format!("{} (upstream: {})", key.0, key.1)
        }
    };
    for (key, changes) in &comparer.units {
        if !changes.is_empty() {
            drift.schemas.push(SchemaDrift {
                title: title(key),
                changes: changes.clone(),
            });
        }
    }
    drift.schemas.sort_by(|a, b| a.title.cmp(&b.title));
    for (op_title, changes, roots) in per_op {
        let mut seen = BTreeSet::new();
        let mut stack = roots;
        while let Some(unit) = stack.pop() {
            if seen.insert(unit.clone()) {
                stack.extend(comparer.edges.get(&unit).into_iter().flatten().cloned());
            }
        }
        let mut schemas: Vec<String> = seen
            .iter()
            .filter(|u| comparer.units.get(*u).is_some_and(|c| !c.is_empty()))
            .map(title)
            .collect();
        schemas.sort();
        if !changes.is_empty() || !schemas.is_empty() {
            drift.changed.push(OperationDrift {
                title: op_title,
                changes,
                schemas,
            });
        }
    }
    drift.patches = comparer.patches;
    drift
}

fn param_summary(doc: &Value, param: &Value) -> (BTreeMap<String, String>, Option<Vec<Value>>) {
    let schema = param.get("schema").cloned().unwrap_or(Value::Null);
    let node = resolve(doc, &schema, Origin::Inline(String::new()), None);
    let mut facts = facts(doc, &node.schema);
    let required = param
        .get("required")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    facts.insert("required".to_owned(), yes_no(required));
    if param.get("deprecated").and_then(Value::as_bool) == Some(true) {
        facts.insert("deprecated".to_owned(), "true".to_owned());
    }
    (facts, enum_values(&node.schema))
}

fn compare_operation(
    c: &mut Comparer<'_>,
    ours: &Op<'_>,
    up: &Op<'_>,
) -> (Vec<Change>, Vec<UnitKey>) {
    let mut changes = Vec::new();
    let mut roots = Vec::new();
    let (o_id, u_id) = (ours.id(), up.id());
    if o_id != u_id {
        changes.push(Change::Differs {
            what: "operationId".to_owned(),
            attr: "value".to_owned(),
            ours: o_id,
            upstream: u_id,
        });
    }
    let deprecated = |op: &Op<'_>| {
        op.op
            .get("deprecated")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    if deprecated(ours) != deprecated(up) {
        changes.push(Change::Differs {
            what: "deprecated".to_owned(),
            attr: "value".to_owned(),
            ours: deprecated(ours).to_string(),
            upstream: deprecated(up).to_string(),
        });
        if deprecated(up) {
            c.patches.push(Patch::Deprecate {
                at: ours.loc.clone(),
            });
        }
    }
    // Parameters.
    let o_params = parameters(c.ours, ours);
    let u_params = parameters(c.upstream, up);
    let names: BTreeSet<&String> = o_params.keys().chain(u_params.keys()).collect();
    for name in names {
        let what = format!("parameter {name}");
        match (o_params.get(name), u_params.get(name)) {
            (Some(o), Some(u)) => {
                let (of, oe) = param_summary(c.ours, o);
                let (uf, ue) = param_summary(c.upstream, u);
                let attrs: BTreeSet<&String> = of.keys().chain(uf.keys()).collect();
                for attr in attrs {
                    if of.get(attr) != uf.get(attr) {
                        changes.push(Change::Differs {
                            what: what.clone(),
                            attr: attr.clone(),
                            ours: of.get(attr).cloned().unwrap_or_else(|| "-".to_owned()),
                            upstream: uf.get(attr).cloned().unwrap_or_else(|| "-".to_owned()),
                        });
                    }
                }
                let text = |v: &Option<Vec<Value>>| {
                    v.as_ref().map_or_else(
                        || "-".to_owned(),
                        |v| {
                            format!(
                                "[{}]",
                                v.iter().map(scalar_text).collect::<Vec<_>>().join(", ")
                            )
                        },
                    )
                };
                if oe != ue {
                    changes.push(Change::Differs {
                        what: what.clone(),
                        attr: "enum".to_owned(),
                        ours: text(&oe),
                        upstream: text(&ue),
                    });
                }
            }
            (Some(o), None) => {
                let (of, _) = param_summary(c.ours, o);
                changes.push(Change::OnlyOurs {
                    what,
                    detail: param_detail(&of),
                });
            }
            (None, Some(u)) => {
                let (uf, _) = param_summary(c.upstream, u);
                changes.push(Change::OnlyUpstream {
                    what,
                    detail: param_detail(&uf),
                });
                c.patches.push(Patch::AddParameter {
                    at: ours.loc.clone(),
                    param: u.clone(),
                });
            }
            (None, None) => {}
        }
    }
    // Request body.
    let o_body = ours.op.get("requestBody");
    let u_body = up.op.get("requestBody");
    let body_required = |doc: &Value, body: Option<&Value>| {
        body.map(|b| deref(doc, b))
            .and_then(|b| b.get("required"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    if o_body.is_some()
        && u_body.is_some()
        && body_required(c.ours, o_body) != body_required(c.upstream, u_body)
    {
        changes.push(Change::Differs {
            what: "request body".to_owned(),
            attr: "required".to_owned(),
            ours: yes_no(body_required(c.ours, o_body)),
            upstream: yes_no(body_required(c.upstream, u_body)),
        });
    }
    let o_media = media_types(c.ours, o_body);
    let u_media = media_types(c.upstream, u_body);
    let label = format!("{} {}", ours.method.to_ascii_uppercase(), ours.path);
    let local = |holder: Option<&Value>, mut loc: Loc| {
        holder.filter(|h| h.get("$ref").is_none()).map(|_| {
            loc.push("content".to_owned());
            loc
        })
    };
    let body_loc = local(
        o_body,
        [ours.loc.clone(), vec!["requestBody".to_owned()]].concat(),
    );
    compare_bodies(
        c,
        (&format!("{label} request"), "request"),
        body_loc,
        &o_media,
        &u_media,
        &mut changes,
        &mut roots,
    );
    // Responses.
    let o_resp = responses(ours);
    let u_resp = responses(up);
    for (status, response) in &o_resp {
        if !u_resp.iter().any(|(s, _)| s == status) {
            changes.push(Change::OnlyOurs {
                what: format!("response {status}"),
                detail: media_list(&media_types(c.ours, Some(response))),
            });
        }
    }
    for (status, response) in &u_resp {
        let Some((_, ours_response)) = o_resp.iter().find(|(s, _)| s == status) else {
            changes.push(Change::OnlyUpstream {
                what: format!("response {status}"),
                detail: media_list(&media_types(c.upstream, Some(response))),
            });
            c.patches.push(Patch::AddResponse {
                at: ours.loc.clone(),
                status: status.clone(),
                response: deref(c.upstream, response).clone(),
            });
            continue;
        };
        let o_media = media_types(c.ours, Some(ours_response));
        let u_media = media_types(c.upstream, Some(response));
        let loc = local(
            Some(ours_response),
            [
                ours.loc.clone(),
                vec!["responses".to_owned(), status.clone()],
            ]
            .concat(),
        );
        compare_bodies(
            c,
            (&format!("{label} {status}"), &format!("response {status}")),
            loc,
            &o_media,
            &u_media,
            &mut changes,
            &mut roots,
        );
    }
    (changes, roots)
}

fn media_list(media: &BTreeMap<String, Value>) -> String {
    if media.is_empty() {
        "no body".to_owned()
    } else {
        media.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

fn param_detail(facts: &BTreeMap<String, String>) -> String {
    facts
        .iter()
        .map(|(k, v)| {
            if k == "type" {
                v.clone()
            } else {
                format!("{k} {v}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn compare_bodies(
    c: &mut Comparer<'_>,
    (label, what): (&str, &str),
    content_loc: Option<Loc>,
    ours: &BTreeMap<String, Value>,
    upstream: &BTreeMap<String, Value>,
    changes: &mut Vec<Change>,
    roots: &mut Vec<UnitKey>,
) {
    let names: BTreeSet<&String> = ours.keys().chain(upstream.keys()).collect();
    for media in names {
        match (ours.get(media), upstream.get(media)) {
            (Some(o), Some(u)) => {
                let origin = Origin::Inline(format!("{label} {media}"));
                let loc = content_loc.as_ref().map(|l| {
                    let mut l = l.clone();
                    l.extend([media.clone(), "schema".to_owned()]);
                    l
                });
                let o = resolve(c.ours, o, origin.clone(), loc);
                let u = resolve(c.upstream, u, origin, None);
                roots.push(c.unit(o, u));
            }
            (Some(_), None) => changes.push(Change::OnlyOurs {
                what: format!("{what} {media}"),
                detail: "media type".to_owned(),
            }),
            (None, Some(_)) => changes.push(Change::OnlyUpstream {
                what: format!("{what} {media}"),
                detail: "media type".to_owned(),
            }),
            (None, None) => {}
        }
    }
}
