//! Checks a YAML tree against the generated JSON Schema and reports every mismatch with its
//! position: wrong types, unknown fields (with suggestions), missing fields, enum values, ranges,
//! and credentials written in plain text. Only the keywords the generator emits are interpreted;
//! `pattern`s are left to the semantic rules, which give clearer messages.

use serde_json::{Map, Value as Json};

use crate::diagnostic::Pos;
use crate::path::FieldPath;
use crate::suggest::closest;
use crate::yaml::{Node, Value};

use super::keywords::{
    enum_values, format_maximum, is_scalar, truncate, type_hint, type_matches, type_names,
    unknown_field_hint,
};

/// One structural mismatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub pos: Pos,
    pub path: FieldPath,
    pub message: String,
    pub hint: String,
    /// A field the user probably meant (for a misspelt key), whose default must not be judged.
    pub meant: Option<FieldPath>,
}

/// Checks `node` against `schema`; `root` holds the `definitions` that `$ref`s point into.
pub(crate) fn check<'a>(
    node: &Node,
    schema: &'a Json,
    root: &'a Json,
    path: &FieldPath,
) -> Vec<Finding> {
    let mut walker = Walker {
        root,
        findings: Vec::new(),
    };
    walker.walk(node, schema, path);
    walker.findings
}

struct Walker<'a> {
    root: &'a Json,
    findings: Vec<Finding>,
}

impl<'a> Walker<'a> {
    fn report(
        &mut self,
        pos: Pos,
        path: &FieldPath,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        let finding = Finding {
            pos,
            path: path.clone(),
            message: message.into(),
            hint: hint.into(),
            meant: None,
        };
        self.findings.push(finding);
    }

    fn resolve(&self, schema: &'a Map<String, Json>) -> &'a Map<String, Json> {
        let mut current = schema;
        for _ in 0..32 {
            let Some(Json::String(reference)) = current.get("$ref") else {
                break;
            };
            let name = reference.trim_start_matches("#/definitions/");
            match self.root["definitions"].get(name) {
                Some(Json::Object(target)) => current = target,
                _ => break,
            }
        }
        current
    }

    fn walk(&mut self, node: &Node, schema: &'a Json, path: &FieldPath) {
        let schema = match schema {
            Json::Object(map) => self.resolve(map),
            Json::Bool(false) => {
                return self.report(node.pos, path, "is not allowed here", "remove the field");
            }
            _ => return,
        };
        if schema.get("x-firecamp-secret") == Some(&Json::Bool(true))
            && is_scalar(node)
            && !matches!(node.value, Value::Null)
        {
            return self.plaintext_secret(node, path, schema);
        }
        if let Some(Json::Array(all)) = schema.get("allOf") {
            let before = self.findings.len();
            for sub in all {
                self.walk(node, sub, path);
            }
            if self.findings.len() > before {
                return;
            }
        }
        if let Some(Json::Array(branches)) = schema.get("anyOf").or_else(|| schema.get("oneOf")) {
            return self.walk_alternatives(node, branches, path);
        }
        if let Some(types) = schema.get("type")
            && !type_matches(types, &node.value)
        {
            let yaml_11_boolean = matches!(&node.value, Value::String(text)
                if matches!(text.to_ascii_lowercase().as_str(), "yes" | "no" | "on" | "off" | "y" | "n"));
            let expected = type_names(types);
            let hint = if yaml_11_boolean && expected.contains("a boolean") {
                "YAML 1.2 reads yes/no/on/off as text: write true or false".to_owned()
            } else if path.to_string() == "metadata.name" && matches!(node.value, Value::Int(_)) {
                "a name starts with a lower-case letter: write one such as svc-1".to_owned()
            } else if let Value::Float(number) = node.value
                && expected.contains("an integer")
                && !expected.contains("a number")
            {
                return self.report(
                    node.pos,
                    path,
                    if number.fract() == 0.0 {
                        format!("expected an integer, found {number:e}, larger than any integer firecamp reads")
                    } else {
                        format!("expected an integer, found {number}, which has a fraction")
                    },
                    "write a whole number, e.g. 3",
                );
            } else {
                type_hint(types, &node.value)
            };
            let message = format!("expected {expected}, found {}", node.value.type_name());
            return self.report(node.pos, path, message, hint);
        }
        if let Some(Json::Array(allowed)) = schema.get("enum") {
            return self.check_enum(node, allowed, path);
        }
        if let Some(expected) = schema.get("const")
            && node.to_json() != *expected
        {
            let hint = format!(
                "write {}: {}",
                path,
                expected
                    .as_str()
                    .map_or_else(|| expected.to_string(), str::to_owned)
            );
            return self.report(node.pos, path, format!("must be {expected}"), hint);
        }
        match &node.value {
            Value::Map(_) => self.walk_map(node, schema, path),
            Value::Seq(items) => self.walk_seq(items, schema, node.pos, path),
            Value::Int(_) | Value::Float(_) => self.check_number(node, schema, path),
            Value::String(text) => self.check_string(node.pos, text, schema, path),
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn walk_alternatives(&mut self, node: &Node, branches: &'a [Json], path: &FieldPath) {
        if let Some(values) = enum_values(branches) {
            return self.check_enum(node, &values, path);
        }
        let is_null_branch = |b: &&Json| b.get("type") == Some(&Json::String("null".into()));
        if matches!(node.value, Value::Null) && branches.iter().any(|b| is_null_branch(&b)) {
            return;
        }
        let others: Vec<&'a Json> = branches.iter().filter(|b| !is_null_branch(b)).collect();
        if let [only] = others.as_slice() {
            return self.walk(node, only, path);
        }
        let mut best: Option<Vec<Finding>> = None;
        for branch in others {
            let findings = check(node, branch, self.root, path);
            if findings.is_empty() {
                return;
            }
            if best.as_ref().is_none_or(|b| findings.len() < b.len()) {
                best = Some(findings);
            }
        }
        self.findings.extend(best.unwrap_or_default());
    }

    fn walk_map(&mut self, node: &Node, schema: &'a Map<String, Json>, path: &FieldPath) {
        let Value::Map(entries) = &node.value else {
            return;
        };
        static EMPTY: std::sync::OnceLock<Map<String, Json>> = std::sync::OnceLock::new();
        let properties = schema
            .get("properties")
            .and_then(Json::as_object)
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new));
        for entry in entries {
            let field_path = path.key(&entry.key);
            if let Some(property) = properties.get(&entry.key) {
                self.walk(&entry.value, property, &field_path);
                continue;
            }
            match schema.get("additionalProperties") {
                Some(Json::Bool(false)) => {
                    let known = properties.keys().map(String::as_str);
                    let meant = closest(&entry.key, known.clone()).map(|m| path.key(m));
                    let hint = unknown_field_hint(&entry.key, known);
                    let message = format!("unknown field \"{}\"", entry.key);
                    self.report(entry.key_pos, &field_path, message, hint);
                    if let Some(last) = self.findings.last_mut() {
                        last.meant = meant;
                    }
                }
                Some(extra @ Json::Object(_)) => self.walk(&entry.value, extra, &field_path),
                _ => {}
            }
        }
        for required in schema
            .get("required")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = required.as_str() else {
                continue;
            };
            if node.entry(name).is_none() {
                let message = format!("missing required field \"{name}\"");
                let described = properties
                    .get(name)
                    .and_then(|p| p.get("description"))
                    .and_then(Json::as_str);
                let hint = described.map_or_else(
                    || format!("add {name}"),
                    |d| {
                        let what = d.lines().next().unwrap_or(d).trim_end_matches('.');
                        format!("add {name}: {what}")
                    },
                );
                self.report(node.pos, &path.key(name), message, hint);
            }
        }
    }

    fn walk_seq(
        &mut self,
        items: &[Node],
        schema: &'a Map<String, Json>,
        pos: Pos,
        path: &FieldPath,
    ) {
        if let Some(min) = schema.get("minItems").and_then(Json::as_u64)
            && (items.len() as u64) < min
        {
            self.report(
                pos,
                path,
                format!("needs at least {min} item(s)"),
                "add items, or leave the field out for its default",
            );
        }
        if let Some(max) = schema.get("maxItems").and_then(Json::as_u64)
            && items.len() as u64 > max
        {
            self.report(
                pos,
                path,
                format!("has more than {max} items"),
                format!("keep {max} or fewer"),
            );
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.walk(item, item_schema, &path.index(i));
            }
        }
    }

    fn check_number(&mut self, node: &Node, schema: &Map<String, Json>, path: &FieldPath) {
        let value = match node.value {
            #[expect(clippy::cast_precision_loss, reason = "range checks on spec numbers")]
            Value::Int(i) => i as f64,
            Value::Float(f) => f,
            _ => return,
        };
        let format_max = schema
            .get("format")
            .and_then(Json::as_str)
            .and_then(format_maximum);
        let maximum = schema.get("maximum").and_then(Json::as_f64).or(format_max);
        let minimum = schema.get("minimum").and_then(Json::as_f64);
        let range = match (minimum, maximum) {
            (Some(min), Some(max)) => format!("write a value from {min} to {max}"),
            (Some(min), None) => format!("write {min} or more"),
            (None, Some(max)) => format!("write {max} or less"),
            (None, None) => String::new(),
        };
        if let Some(min) = minimum.filter(|m| value < *m) {
            self.report(node.pos, path, format!("must be at least {min}"), range);
        } else if let Some(max) = maximum.filter(|m| value > *m) {
            self.report(node.pos, path, format!("must be at most {max}"), range);
        }
    }

    fn check_string(&mut self, pos: Pos, text: &str, schema: &Map<String, Json>, path: &FieldPath) {
        let length = text.chars().count() as u64;
        if let Some(min) = schema
            .get("minLength")
            .and_then(Json::as_u64)
            .filter(|m| length < *m)
        {
            self.report(
                pos,
                path,
                format!("must be at least {min} characters long"),
                "write a longer value, or leave the field out",
            );
        }
        if let Some(max) = schema
            .get("maxLength")
            .and_then(Json::as_u64)
            .filter(|m| length > *m)
        {
            self.report(
                pos,
                path,
                format!("must be at most {max} characters long"),
                format!("shorten it to {max} characters"),
            );
        }
    }

    fn check_enum(&mut self, node: &Node, allowed: &[Json], path: &FieldPath) {
        let value = node.to_json();
        if allowed.contains(&value) {
            return;
        }
        let names: Vec<String> = allowed
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        let shown = match &node.value {
            Value::String(s) => format!("\"{}\"", truncate(s, 40)),
            other => other.type_name().to_owned(),
        };
        let hint = node
            .as_str()
            .and_then(|s| closest(s, names.iter().map(String::as_str)))
            .map_or_else(
                || "write one of the values listed".to_owned(),
                |c| format!("did you mean \"{c}\"?"),
            );
        self.report(
            node.pos,
            path,
            format!("{shown} is not one of: {}", names.join(", ")),
            hint,
        );
    }

    fn plaintext_secret(&mut self, node: &Node, path: &FieldPath, schema: &Map<String, Json>) {
        let takes_key = schema
            .get("properties")
            .and_then(|p| p.get("key"))
            .is_some();
        let example = if takes_key {
            "{secretName: <secret>, key: <key>}"
        } else {
            "{secretName: <secret>}"
        };
        self.report(
            node.pos,
            path,
            "credentials must not be written in a spec",
            format!("put the value in a Kubernetes Secret and reference it: {example}"),
        );
    }
}
