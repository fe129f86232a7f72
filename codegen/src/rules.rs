//! The request-body rules of an operation, read from its JSON body schema.
//!
//! The walk starts at the body schema and follows `$ref`s, properties and array items
//! (not into the schemas in [`REPLACEMENTS`](crate::REPLACEMENTS): their handwritten types
//! check themselves). At each object schema it takes:
//!
//! - `minItems` (above 0) of an array property;
//! - `x-lumin-exclusive: [f, …]`: at most one of the fields is given;
//! - `x-lumin-required-one-of: [f, …]`: at least one is given;
//! - `x-lumin-required-if: [{when: {f: value, …}, then: f | [f, …]}]`: when every `when`
//!   field has its value, the `then` field (or one of the alternatives) is given;
//! - `x-lumin-includes: [{field: f, values: [v, …]}]`: the array `f`, when given, holds
//!   every listed value.
//!
//! Each rule keeps the path of the schema it was declared on (`signers[].verification`),
//! so the client applies it to every object found there.

use std::collections::BTreeSet;
use std::fmt;

use indexmap::IndexMap;
use openapiv3::{ReferenceOr, Schema, SchemaKind, Type};
use serde_json::Value;

/// One rule on a request body, as the spec states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleFacts {
    /// Where the rule was declared: a path from the body root (`""` for the root,
    /// `location`, `signers[].verification.payload`).
    pub at: String,
    /// What it checks, with field paths relative to `at`.
    pub check: CheckFacts,
}

/// What one rule checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckFacts {
    /// `x-lumin-exclusive`: at most one of these fields is given.
    AtMostOne(Vec<String>),
    /// `x-lumin-required-one-of`: at least one of these fields is given.
    AtLeastOne(Vec<String>),
    /// `minItems`: the array field, when present, has at least `min` items.
    MinItems {
        /// The array field.
        field: String,
        /// Fewest items.
        min: u64,
    },
    /// `x-lumin-required-if`: when every `when` field equals its value, one of `then` is
    /// given.
    RequiredIf {
        /// Field and the value (as text) it must have for the rule to apply.
        when: Vec<(String, String)>,
        /// Alternatives, one of which must be given.
        then: Vec<String>,
    },
    /// `x-lumin-includes`: the array field, when given, holds every value.
    Includes {
        /// The array field.
        field: String,
        /// Values it must hold.
        values: Vec<String>,
    },
}

impl fmt::Display for RuleFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |field: &str| join(&self.at, field);
        let list = |fields: &[String]| fields.iter().map(|f| at(f)).collect::<Vec<_>>().join(", ");
        match &self.check {
            CheckFacts::AtMostOne(fields) => write!(f, "at most one of {}", list(fields)),
            CheckFacts::AtLeastOne(fields) => write!(f, "at least one of {}", list(fields)),
            CheckFacts::MinItems { field, min } => {
                write!(f, "{} has at least {min} item(s)", at(field))
            }
            CheckFacts::RequiredIf { when, then } => {
                let when: Vec<String> = when
                    .iter()
                    .map(|(k, v)| format!("{} = {v}", at(k)))
                    .collect();
                write!(f, "{} required when {}", list(then), when.join(" and "))
            }
            CheckFacts::Includes { field, values } => {
                write!(f, "{} includes {}", at(field), values.join(", "))
            }
        }
    }
}

/// `prefix.field`, or `field` at the root.
pub(crate) fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

type Schemas = IndexMap<String, ReferenceOr<Schema>>;

/// The rules of a body schema, or what is wrong with one of its extensions.
pub(crate) fn body_rules(
    schema: &ReferenceOr<Schema>,
    schemas: &Schemas,
) -> Result<Vec<RuleFacts>, String> {
    let mut rules = Vec::new();
    walk(schema, "", schemas, &mut BTreeSet::new(), &mut rules)?;
    Ok(rules)
}

fn replaced(name: &str) -> bool {
    crate::REPLACEMENTS
        .iter()
        .any(|(schema, _, _)| *schema == name)
}

fn walk(
    schema: &ReferenceOr<Schema>,
    at: &str,
    schemas: &Schemas,
    seen: &mut BTreeSet<String>,
    rules: &mut Vec<RuleFacts>,
) -> Result<(), String> {
    let schema = match schema {
        ReferenceOr::Item(schema) => schema,
        ReferenceOr::Reference { reference } => {
            let Some(name) = reference.strip_prefix("#/components/schemas/") else {
                return Ok(());
            };
            if replaced(name) || !seen.insert(name.to_owned()) {
                return Ok(());
            }
            let result = match schemas.get(name).and_then(ReferenceOr::as_item) {
                Some(target) => walk(&ReferenceOr::Item(target.clone()), at, schemas, seen, rules),
                None => Ok(()),
            };
            seen.remove(name);
            return result;
        }
    };
    let extensions = &schema.schema_data.extensions;
    let mut push = |check| {
        rules.push(RuleFacts {
            at: at.to_owned(),
            check,
        })
    };
    if let Some(value) = extensions.get("x-lumin-exclusive") {
        push(CheckFacts::AtMostOne(strings(value, "x-lumin-exclusive")?));
    }
    if let Some(value) = extensions.get("x-lumin-required-one-of") {
        push(CheckFacts::AtLeastOne(strings(
            value,
            "x-lumin-required-one-of",
        )?));
    }
    if let Some(value) = extensions.get("x-lumin-required-if") {
        for rule in list(value, "x-lumin-required-if")? {
            push(required_if(rule)?);
        }
    }
    if let Some(value) = extensions.get("x-lumin-includes") {
        for rule in list(value, "x-lumin-includes")? {
            push(includes(rule)?);
        }
    }
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            for (name, property) in &object.properties {
                let property = property.clone().unbox();
                let path = join(at, name);
                if let Some(min) = min_items(&property, schemas)
                    && min > 0
                {
                    rules.push(RuleFacts {
                        at: at.to_owned(),
                        check: CheckFacts::MinItems {
                            field: name.clone(),
                            min,
                        },
                    });
                }
                walk(&property, &path, schemas, seen, rules)?;
            }
        }
        SchemaKind::Type(Type::Array(array)) => {
            if let Some(items) = &array.items {
                walk(
                    &items.clone().unbox(),
                    &format!("{at}[]"),
                    schemas,
                    seen,
                    rules,
                )?;
            }
        }
        SchemaKind::AllOf { all_of } => {
            for part in all_of {
                walk(part, at, schemas, seen, rules)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// `minItems` of an array schema that is not a replaced one.
fn min_items(schema: &ReferenceOr<Schema>, schemas: &Schemas) -> Option<u64> {
    let schema = match schema {
        ReferenceOr::Item(schema) => schema,
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/schemas/")?;
            if replaced(name) {
                return None;
            }
            schemas.get(name)?.as_item()?
        }
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::Array(array)) => array.min_items.map(|n| n as u64),
        _ => None,
    }
}

fn strings(value: &Value, what: &str) -> Result<Vec<String>, String> {
    let list: Vec<String> = serde_json::from_value(value.clone())
        .map_err(|e| format!("`{what}` must be a list of field names: {e}"))?;
    if list.is_empty() {
        return Err(format!("`{what}` must name at least one field"));
    }
    Ok(list)
}

fn list<'a>(value: &'a Value, what: &str) -> Result<&'a Vec<Value>, String> {
    value
        .as_array()
        .ok_or_else(|| format!("`{what}` must be a list of rules"))
}

fn required_if(rule: &Value) -> Result<CheckFacts, String> {
    const WHAT: &str = "x-lumin-required-if";
    let when = rule
        .get("when")
        .and_then(Value::as_object)
        .filter(|when| !when.is_empty())
        .ok_or_else(|| format!("`{WHAT}` needs `when: {{field: value}}`"))?;
    let when = when
        .iter()
        .map(|(field, value)| match value {
            Value::String(text) => Ok((field.clone(), text.clone())),
            Value::Bool(_) | Value::Number(_) => Ok((field.clone(), value.to_string())),
            _ => Err(format!("`{WHAT}`: the value of `{field}` must be a scalar")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let then = match rule.get("then") {
        Some(Value::String(field)) => vec![field.clone()],
        Some(list @ Value::Array(_)) => strings(list, WHAT)?,
        _ => {
            return Err(format!(
                "`{WHAT}` needs `then: field` or `then: [field, …]`"
            ));
        }
    };
    Ok(CheckFacts::RequiredIf { when, then })
}

fn includes(rule: &Value) -> Result<CheckFacts, String> {
    const WHAT: &str = "x-lumin-includes";
    let field = rule
        .get("field")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("`{WHAT}` needs `field`"))?
        .to_owned();
    let values = strings(
        rule.get("values")
            .ok_or_else(|| format!("`{WHAT}` needs `values`"))?,
        WHAT,
    )?;
    Ok(CheckFacts::Includes { field, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules_of(yaml: &str) -> Result<Vec<String>, String> {
        let spec: openapiv3::OpenAPI = serde_norway::from_str(yaml).unwrap();
        let schemas = spec.components.unwrap().schemas;
        let body = ReferenceOr::Reference {
            reference: "#/components/schemas/Body".to_owned(),
        };
        Ok(body_rules(&body, &schemas)?
            .iter()
            .map(ToString::to_string)
            .collect())
    }

    const HEAD: &str = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n";

    #[test]
    fn rules_are_collected_with_their_paths() {
        let yaml = format!(
            "{HEAD}components:\n  schemas:\n    Body:\n      type: object\n      \
             x-lumin-required-one-of: [a, b]\n      \
             x-lumin-required-if:\n        - when: {{kind: x}}\n          then: items[].g\n      \
             properties:\n        items:\n          type: array\n          minItems: 1\n          \
             items: {{$ref: '#/components/schemas/Item'}}\n        \
             nested: {{$ref: '#/components/schemas/Body'}}\n    \
             Item:\n      type: object\n      x-lumin-includes:\n        - field: tags\n          \
             values: [p, q]\n      x-lumin-exclusive: [c, d]\n"
        );
        assert_eq!(
            rules_of(&yaml).unwrap(),
            [
                "at least one of a, b",
                "items[].g required when kind = x",
                "items has at least 1 item(s)",
                "at most one of items[].c, items[].d",
                "items[].tags includes p, q",
            ]
        );
    }

    #[test]
    fn malformed_extensions_are_refused() {
        for bad in [
            "x-lumin-required-one-of: []",
            "x-lumin-required-if: [{then: a}]",
            "x-lumin-required-if: [{when: {a: x}}]",
            "x-lumin-includes: [{field: a}]",
            "x-lumin-exclusive: a",
        ] {
            let yaml = format!(
                "{HEAD}components:\n  schemas:\n    Body:\n      type: object\n      {bad}\n"
            );
            assert!(rules_of(&yaml).is_err(), "{bad}");
        }
    }
}
