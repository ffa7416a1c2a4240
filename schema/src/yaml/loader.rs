//! Builds spanned YAML trees from parser events, within [`Limits`].

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::node::{Entry, Node, Value};
use super::scalar::resolve_plain;
use crate::diagnostic::Pos;
use crate::limits::Limits;
use crate::path::FieldPath;

/// Why a file could not be loaded as YAML. Loading stops at the first such error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LoadError {
    /// Where the problem is.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The field being read when the problem was found, when inside a document.
    pub field: Option<FieldPath>,
}

impl LoadError {
    fn new(pos: Pos, message: impl Into<String>) -> Self {
        Self {
            pos,
            message: message.into(),
            hint: None,
            field: None,
        }
    }

    fn at_field(mut self, field: FieldPath) -> Self {
        self.field = Some(field);
        self
    }

    fn hint(mut self, hint: &str) -> Self {
        self.hint = Some(hint.to_owned());
        self
    }
}

/// What to do about a syntax error the parser reports at `line` (1-based) and `column`
/// (0-based), where a plain reading of its message would mislead: a tab where the parser wants a
/// space (YAML 1.2 allows a tab as separation after `:` in a flow mapping, but saphyr does not,
/// and no YAML allows tabs in indentation).
fn syntax_hint(text: &str, line: usize, column: usize, info: &str) -> &'static str {
    let row = line
        .checked_sub(1)
        .and_then(|l| text.lines().nth(l))
        .unwrap_or_default();
    let near: String = row.chars().skip(column.saturating_sub(1)).take(3).collect();
    if near.contains('\t') || info.contains("tabs") {
        "replace the tab with spaces; firecamp reads only spaces as YAML separation"
    } else if info.contains("quoted scalar") {
        "close the quote, or escape the quote character inside the value"
    } else if info.contains("flow mapping") || info.contains("flow sequence") {
        "separate the entries with ',' and close every '{' with '}' and every '[' with ']'"
    } else if info.contains("did not find expected key") || info.contains("block") {
        "check the indentation: keys of one mapping start in the same column"
    } else if info.contains("mapping values are not allowed") {
        "quote the value: a ': ' inside a plain value starts a new mapping"
    } else {
        "check the quotes, brackets and indentation here and on the line before"
    }
}

/// Parses every document of a YAML stream. Empty documents come back as `Null` nodes.
///
/// # Errors
/// Syntax errors, duplicate keys, unsupported tags or complex keys, and any limit exceeded
/// (nesting depth, nodes after alias expansion, number of documents).
pub fn load_documents(text: &str, limits: &Limits) -> Result<Vec<Node>, LoadError> {
    load_counted(text, limits).map(|(documents, _)| documents)
}

/// [`load_documents`], with the number of nodes the documents hold after alias expansion (what
/// the node limits count).
///
/// # Errors
/// As [`load_documents`].
pub fn load_counted(text: &str, limits: &Limits) -> Result<(Vec<Node>, usize), LoadError> {
    let mut builder = Builder {
        limits,
        documents: Vec::new(),
        doc: DocumentState::default(),
        file_nodes: 0,
    };
    for event in Parser::new_from_str(text) {
        let step =
            match event {
                Ok((event, span)) => builder.handle(event, span),
                Err(e) => {
                    let m = e.marker();
                    let pos = Pos::new(m.line(), m.col() + 1);
                    Err(if e.info().contains("recursion limit") {
                        builder.too_deep(pos)
                    } else {
                        LoadError::new(pos, format!("invalid YAML: {}", e.info()))
                            .hint(syntax_hint(text, m.line(), m.col(), e.info()))
                    })
                }
            };
        match step {
            Ok(true) => break,
            Ok(false) => {}
            Err(mut error) => {
                let field = error.field.take().unwrap_or_else(|| builder.current_path());
                error.field = (!field.is_root()).then_some(field);
                return Err(error);
            }
        }
    }
    let nodes = builder.file_nodes.saturating_add(builder.doc.nodes);
    Ok((builder.documents, nodes))
}

fn pos_of(span: Span) -> Pos {
    Pos::new(span.start.line(), span.start.col() + 1)
}

#[derive(Default)]
struct DocumentState {
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Anchored>,
    nodes: usize,
}

struct Anchored {
    node: Node,
    size: usize,
    depth: usize,
}

enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        /// Each key's line, to find a duplicate without a scan.
        lines: HashMap<String, usize>,
        merges: Vec<Node>,
        key: Option<Key>,
        pos: Pos,
        anchor: usize,
    },
}

struct Key {
    text: String,
    pos: Pos,
    merge: bool,
}

struct Builder<'l> {
    limits: &'l Limits,
    documents: Vec<Node>,
    doc: DocumentState,
    /// Nodes of the documents of this file finished so far.
    file_nodes: usize,
}

impl Builder<'_> {
    /// Handles one event; returns true at the end of the stream.
    fn handle(&mut self, event: Event<'_>, span: Span) -> Result<bool, LoadError> {
        let pos = pos_of(span);
        let is_sequence = matches!(event, Event::SequenceStart(..));
        match event {
            Event::StreamEnd => return Ok(true),
            Event::StreamStart | Event::Nothing => {}
            Event::DocumentStart(_) => {
                if self.documents.len() >= self.limits.max_documents_per_file {
                    return Err(LoadError::new(
                        pos,
                        format!(
                            "more than {} YAML documents in one file",
                            self.limits.max_documents_per_file
                        ),
                    )
                    .hint("split the specs over several files"));
                }
                self.file_nodes = self.file_nodes.saturating_add(self.doc.nodes);
                self.doc = DocumentState::default();
            }
            Event::DocumentEnd => {
                let root = self.doc.root.take().unwrap_or(Node {
                    value: Value::Null,
                    pos,
                });
                self.documents.push(root);
            }
            Event::Scalar(text, style, anchor, tag) => {
                if self.expecting_key() {
                    self.count(pos, 1)?;
                    let merge = style == ScalarStyle::Plain && text == "<<";
                    self.set_key(Key {
                        text: text.into_owned(),
                        pos,
                        merge,
                    });
                } else {
                    self.count(pos, 1)?;
                    let value = scalar_value(&text, style, tag.as_deref(), pos)?;
                    self.complete(Node { value, pos }, anchor)?;
                }
            }
            Event::Alias(id) => {
                if self.expecting_key() {
                    return Err(
                        LoadError::new(pos, "aliases cannot be used as mapping keys")
                            .hint("write the key as plain text"),
                    );
                }
                let (size, depth) = self
                    .doc
                    .anchors
                    .get(&id)
                    .map(|a| (a.size, a.depth))
                    .ok_or_else(|| {
                        LoadError::new(pos, "alias refers to an unknown anchor")
                            .hint("define the anchor (&name) before the alias (*name) that uses it")
                    })?;
                if self.doc.stack.len() + depth > self.limits.max_depth {
                    return Err(self.too_deep(pos));
                }
                self.count(pos, size)?;
                let mut node = self.doc.anchors[&id].node.clone();
                node.pos = pos;
                self.complete(node, 0)?;
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                if self.expecting_key() {
                    return Err(LoadError::new(
                        pos,
                        "mapping keys must be plain strings, not collections",
                    )
                    .hint("write the key as plain text"));
                }
                let collection = if is_sequence { "seq" } else { "map" };
                if let Some(tag) = tag
                    .as_deref()
                    .filter(|t| !t.is_yaml_core_schema() || t.suffix != collection)
                {
                    return Err(unsupported_tag(tag, pos));
                }
                if self.doc.stack.len() >= self.limits.max_depth {
                    return Err(self.too_deep(pos));
                }
                self.count(pos, 1)?;
                let frame = if is_sequence {
                    Frame::Seq {
                        items: Vec::new(),
                        pos,
                        anchor,
                    }
                } else {
                    Frame::Map {
                        entries: Vec::new(),
                        lines: HashMap::new(),
                        merges: Vec::new(),
                        key: None,
                        pos,
                        anchor,
                    }
                };
                self.doc.stack.push(frame);
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self.doc.stack.pop().ok_or_else(|| {
                    LoadError::new(pos, "unbalanced YAML")
                        .hint("check the brackets and indentation")
                })?;
                let (node, anchor) = match frame {
                    Frame::Seq { items, pos, anchor } => (
                        Node {
                            value: Value::Seq(items),
                            pos,
                        },
                        anchor,
                    ),
                    Frame::Map {
                        entries,
                        merges,
                        pos,
                        anchor,
                        ..
                    } => {
                        let entries = self.apply_merges(entries, merges, pos)?;
                        (
                            Node {
                                value: Value::Map(entries),
                                pos,
                            },
                            anchor,
                        )
                    }
                };
                self.complete(node, anchor)?;
            }
        }
        Ok(false)
    }

    /// The path of the node being read: the keys and indices of the open collections, and the
    /// pending key of the innermost mapping.
    fn current_path(&self) -> FieldPath {
        let mut path = FieldPath::root();
        for frame in &self.doc.stack {
            path = match frame {
                Frame::Seq { items, .. } => path.index(items.len()),
                Frame::Map { key: Some(key), .. } => path.key(&key.text),
                Frame::Map { key: None, .. } => path,
            };
        }
        path
    }

    fn expecting_key(&self) -> bool {
        matches!(self.doc.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn set_key(&mut self, new_key: Key) {
        if let Some(Frame::Map { key, .. }) = self.doc.stack.last_mut() {
            *key = Some(new_key);
        }
    }

    fn count(&mut self, pos: Pos, nodes: usize) -> Result<(), LoadError> {
        self.doc.nodes = self.doc.nodes.saturating_add(nodes);
        if self.file_nodes.saturating_add(self.doc.nodes) > self.limits.max_nodes_per_file {
            return Err(LoadError::new(
                pos,
                format!(
                    "YAML documents of this file expand to more than {} nodes together (aliases \
                     included): the limit per file, or what the files read before it left of the \
                     spec set's {}",
                    self.limits.max_nodes_per_file, self.limits.max_nodes_per_set
                ),
            )
            .hint("a spec file is never this large; check for anchors and aliases that multiply (a YAML bomb), or split the file"));
        }
        if self.doc.nodes > self.limits.max_nodes_per_document {
            return Err(LoadError::new(
                pos,
                format!(
                    "YAML document expands to more than {} nodes (aliases included)",
                    self.limits.max_nodes_per_document
                ),
            )
            .hint("a spec is never this large; check for anchors and aliases that multiply (a YAML bomb)"));
        }
        Ok(())
    }

    fn too_deep(&self, pos: Pos) -> LoadError {
        LoadError::new(
            pos,
            format!("YAML nesting deeper than {} levels", self.limits.max_depth),
        )
        .hint("spec documents are only a few levels deep; check the indentation and brackets")
    }

    /// Records anchors, then attaches a finished node to its parent or makes it the root.
    fn complete(&mut self, node: Node, anchor: usize) -> Result<(), LoadError> {
        let path = self.current_path();
        if anchor != 0 {
            let (size, depth) = node.size_and_depth();
            self.doc.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    size,
                    depth,
                },
            );
        }
        match self.doc.stack.last_mut() {
            None => self.doc.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                lines,
                merges,
                key,
                ..
            }) => {
                let Some(key) = key.take() else {
                    return Err(LoadError::new(node.pos, "mapping key missing")
                        .hint("write each entry as key: value"));
                };
                if key.merge {
                    merges.push(node);
                } else if let Some(first) = lines.get(&key.text) {
                    return Err(LoadError::new(
                        key.pos,
                        format!(
                            "duplicate key \"{}\" (first defined at line {first})",
                            key.text.escape_debug()
                        ),
                    )
                    .hint("each key may appear once per mapping; remove one of them")
                    .at_field(path));
                } else {
                    lines.insert(key.text.clone(), key.pos.line);
                    entries.push(Entry {
                        key: key.text,
                        key_pos: key.pos,
                        value: node,
                    });
                }
            }
        }
        Ok(())
    }

    /// Applies `<<` merge keys: explicit keys win, then earlier merge sources over later ones.
    fn apply_merges(
        &mut self,
        mut entries: Vec<Entry>,
        merges: Vec<Node>,
        pos: Pos,
    ) -> Result<Vec<Entry>, LoadError> {
        let mut sources = Vec::new();
        for merge in merges {
            match merge.value {
                Value::Map(map) => sources.push(map),
                Value::Seq(items) => {
                    for item in items {
                        match item.value {
                            Value::Map(map) => sources.push(map),
                            _ => return Err(bad_merge(item.pos)),
                        }
                    }
                }
                _ => return Err(bad_merge(merge.pos)),
            }
        }
        for source in sources {
            for entry in source {
                if !entries.iter().any(|e| e.key == entry.key) {
                    let (size, _) = entry.value.size_and_depth();
                    self.count(pos, size + 1)?;
                    entries.push(entry);
                }
            }
        }
        Ok(entries)
    }
}

fn bad_merge(pos: Pos) -> LoadError {
    LoadError::new(
        pos,
        "the merge key `<<` takes a mapping or a sequence of mappings",
    )
    .hint("write <<: *anchor, where the anchor names a mapping")
}

fn unsupported_tag(tag: &Tag, pos: Pos) -> LoadError {
    LoadError::new(pos, format!("unsupported YAML tag `{tag}`"))
        .hint("remove the tag; specs use plain YAML")
}

fn scalar_value(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    pos: Pos,
) -> Result<Value, LoadError> {
    if let Some(tag) = tag {
        if !tag.is_yaml_core_schema() {
            return Err(unsupported_tag(tag, pos));
        }
        // The core schema's scalar types (YAML 1.2.2, 10.3); `!!binary`, `!!timestamp` and the
        // like are not JSON types, and a spec never needs them.
        let resolved = resolve_plain(text);
        let fits = match tag.suffix.as_str() {
            "str" => return Ok(Value::String(text.to_owned())),
            "int" => matches!(resolved, Value::Int(_)),
            "float" => matches!(resolved, Value::Float(_) | Value::Int(_)),
            "bool" => matches!(resolved, Value::Bool(_)),
            "null" => matches!(resolved, Value::Null),
            _ => return Err(unsupported_tag(tag, pos)),
        };
        if !fits {
            return Err(LoadError::new(
                pos,
                format!(
                    "`{tag}` on \"{}\", which is not of that type",
                    text.escape_debug()
                ),
            )
            .hint("remove the tag, or write a value of its type"));
        }
        return Ok(match resolved {
            Value::Int(i) if tag.suffix == "float" => Value::Float(i as f64),
            other => other,
        });
    }
    Ok(if style == ScalarStyle::Plain {
        resolve_plain(text)
    } else {
        Value::String(text.to_owned())
    })
}

#[cfg(test)]
#[path = "loader_tests.rs"]
mod tests;
