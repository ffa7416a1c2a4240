//! Turns one YAML document into a typed spec, or into diagnostics.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::structural;
use crate::diagnostic::{Diagnostic, Pos};
use crate::json_schema::{self, CLUSTER_KIND};
use crate::path::{FieldPath, Segment};
use crate::spec::kind::SpecDeError;
use crate::spec::{ClusterSpec, Metadata, Service, ServiceKind, Source};
use crate::suggest::closest;
use crate::yaml::{Node, Value};

/// A document's typed content.
#[derive(Debug, Clone)]
pub(crate) enum Typed {
    Cluster(Metadata, ClusterSpec),
    Service(Metadata, Service),
}

/// What became of one document.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub source: Source,
    pub node: Node,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub typed: Option<Typed>,
    pub diagnostics: Vec<Diagnostic>,
    /// Fields left out of `typed` because they are structurally wrong; rules about them are
    /// not run, so a wrong field reports one problem, not a chain of follow-on ones.
    pub pruned: Vec<FieldPath>,
}

/// Builds a diagnostic for a field of a document in `file`.
pub(crate) fn diagnostic(
    file: &Path,
    pos: Pos,
    path: &FieldPath,
    message: String,
    hint: String,
) -> Diagnostic {
    let diagnostic = Diagnostic::new(file, message).at(pos).hint(Some(hint));
    if path.is_root() {
        diagnostic
    } else {
        diagnostic.field(path.to_string())
    }
}

/// Checks one document (structure first; typed only when the structure is right).
pub(crate) fn parse(file: &Path, node: Node) -> Outcome {
    let source = Source {
        file: file.to_owned(),
        pos: node.pos,
    };
    let name = node
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(Node::as_str)
        .map(str::to_owned);
    let kind = node.get("kind").and_then(Node::as_str).map(str::to_owned);
    let mut outcome = Outcome {
        source,
        node,
        kind,
        name,
        typed: None,
        diagnostics: Vec::new(),
        pruned: Vec::new(),
    };
    if !matches!(outcome.node.value, Value::Map(_)) {
        let message = format!(
            "a spec document must be a mapping, found {}",
            outcome.node.value.type_name()
        );
        let hint = "start the document with apiVersion, kind, metadata and spec".to_owned();
        outcome.diagnostics.push(diagnostic(
            file,
            outcome.node.pos,
            &FieldPath::root(),
            message,
            hint,
        ));
        return outcome;
    }
    let Some(kind) = check_kind(file, &outcome.node, &mut outcome.diagnostics) else {
        return outcome;
    };
    let root = json_schema::combined();
    let schema = &root["definitions"][json_schema::document_definition(kind)];
    let findings = structural::check(&outcome.node, schema, root, &FieldPath::root());
    if !findings.is_empty() {
        outcome.pruned = findings
            .iter()
            .flat_map(|f| std::iter::once(f.path.clone()).chain(f.meant.clone()))
            .collect();
        outcome.diagnostics.extend(
            findings
                .into_iter()
                .map(|f| diagnostic(file, f.pos, &f.path, f.message, f.hint)),
        );
        let mut pruned = outcome.node.clone();
        for path in &outcome.pruned {
            prune(&mut pruned, path.segments());
        }
        outcome.typed = typed(kind, &pruned).ok();
        return outcome;
    }
    match typed(kind, &outcome.node) {
        Ok(typed) => outcome.typed = Some(typed),
        Err((path, message)) => {
            let pos = outcome.node.locate(&path, false);
            outcome.diagnostics.push(diagnostic(
                file,
                pos,
                &path,
                message,
                "check the field against the JSON Schema in schema/json/".to_owned(),
            ));
        }
    }
    outcome
}

/// Removes the field at `path` (for a sequence item: the whole sequence) from `node`.
fn prune(node: &mut Node, path: &[Segment]) {
    match path {
        [Segment::Key(key)] | [Segment::Key(key), Segment::Index(_), ..] => {
            if let Value::Map(entries) = &mut node.value {
                entries.retain(|e| &e.key != key);
            }
        }
        [Segment::Key(key), rest @ ..] => {
            if let Value::Map(entries) = &mut node.value
                && let Some(entry) = entries.iter_mut().find(|e| &e.key == key)
            {
                prune(&mut entry.value, rest);
            }
        }
        _ => {}
    }
}

fn check_kind<'k>(file: &Path, node: &Node, out: &mut Vec<Diagnostic>) -> Option<&'k str> {
    let kinds = json_schema::document_kinds();
    let root = FieldPath::root();
    let Some(entry) = node.entry("kind") else {
        let hint = format!("add kind: one of {}", kinds.join(", "));
        out.push(diagnostic(
            file,
            node.pos,
            &root.key("kind"),
            "missing required field \"kind\"".to_owned(),
            hint,
        ));
        return None;
    };
    let Some(text) = entry.value.as_str() else {
        let message = format!("expected a string, found {}", entry.value.value.type_name());
        out.push(diagnostic(
            file,
            entry.value.pos,
            &root.key("kind"),
            message,
            format!("write kind: one of {}", kinds.join(", ")),
        ));
        return None;
    };
    if let Some(kind) = kinds.iter().find(|k| **k == text) {
        return Some(kind);
    }
    let hint = match closest(text, kinds.iter().copied()) {
        Some(suggestion) => format!("did you mean \"{suggestion}\"?"),
        None => format!(
            "firecamp reads {} documents of kind {}; keep other manifests out of the spec folder",
            crate::spec::API_VERSION,
            kinds.join(", ")
        ),
    };
    let shown: String = text.chars().take(40).collect();
    out.push(diagnostic(
        file,
        entry.value.pos,
        &root.key("kind"),
        format!("unknown kind \"{shown}\""),
        hint,
    ));
    None
}

fn typed(kind: &str, node: &Node) -> Result<Typed, (FieldPath, String)> {
    let metadata: Metadata = deserialize(node, "metadata")?;
    let spec = node
        .get("spec")
        .map_or(serde_json::Value::Null, Node::to_json);
    if kind == CLUSTER_KIND {
        let spec: ClusterSpec =
            serde_path_to_error::deserialize(spec).map_err(|e| de_error(&e, "spec"))?;
        return Ok(Typed::Cluster(metadata, spec));
    }
    let service_kind = ServiceKind::from_name(kind)
        .ok_or_else(|| (FieldPath::parse("kind"), "unknown kind".to_owned()))?;
    let service = Service::from_json(service_kind, spec).map_err(|e| de_error(&e, "spec"))?;
    Ok(Typed::Service(metadata, service))
}

fn deserialize<T: DeserializeOwned>(node: &Node, field: &str) -> Result<T, (FieldPath, String)> {
    let value = node
        .get(field)
        .map_or(serde_json::Value::Null, Node::to_json);
    serde_path_to_error::deserialize(value).map_err(|e| de_error(&e, field))
}

fn de_error(error: &SpecDeError, field: &str) -> (FieldPath, String) {
    let inner = error.path().to_string();
    let path = if inner == "." {
        FieldPath::parse(field)
    } else {
        FieldPath::parse(&format!("{field}.{inner}"))
    };
    (path, redact_values(&error.inner().to_string()))
}

/// Removes quoted values from a deserializer message, so a value that should have been a Secret
/// reference is never printed.
fn redact_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quoted = false;
    for c in message.chars() {
        match (c, quoted) {
            ('"', false) => {
                quoted = true;
                out.push_str("a value");
            }
            ('"', true) => quoted = false,
            (_, false) => out.push(c),
            (_, true) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact_values;

    #[test]
    fn deserializer_messages_never_carry_values() {
        let message = r#"invalid type: string "hunter2", expected struct SecretRef"#;
        assert_eq!(
            redact_values(message),
            "invalid type: string a value, expected struct SecretRef"
        );
    }
}
