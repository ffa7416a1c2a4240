//! Readers of the rendered files' formats, each as the software that reads the file parses it,
//! giving a JSON tree to compare: a YAML parser (saphyr, through the spec loader), serde_json,
//! toml_edit (after Telegraf's substitution of environment variables), and ports of the readers
//! with no Rust crate, cited beside each.

use serde_json::{Value, json};

/// A YAML file's tree (the spec loader: saphyr-parser's YAML 1.2 events).
pub fn yaml(text: &str) -> Option<Value> {
    let limits = firecamp_schema::Limits::default();
    let documents = firecamp_schema::yaml::load_documents(text, &limits).ok()?;
    Some(Value::Array(
        documents.iter().map(|d| d.to_json()).collect(),
    ))
}

/// A JSON file's tree.
pub fn json(text: &str) -> Option<Value> {
    serde_json::from_str(text).ok()
}

/// CouchDB's ini reader (apache/couchdb `src/config/src/config.erl`, `parse_ini_file`): lines
/// split on line breaks; blank lines and lines starting with `;` skipped; `[section]`; `key = value`
/// split at the first `=`, both trimmed; a `;` after whitespace starts a comment; a line that
/// starts with whitespace continues the previous value. Each key is listed as it comes, so a
/// repeated key shows.
pub fn couchdb_ini(text: &str) -> Option<Value> {
    let mut entries: Vec<Value> = Vec::new();
    let mut section = String::new();
    for raw in text.split(['\n', '\r']) {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if raw.starts_with([' ', '\t']) {
            let last = entries.last_mut()?;
            let value = last["value"].as_str()?.to_owned();
            last["value"] = Value::String(format!("{value} {}", strip_comment(line)));
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            continue;
        }
        let (key, value) = line.split_once('=')?;
        entries.push(json!({
            "section": section,
            "key": key.trim(),
            "value": strip_comment(value.trim()),
        }));
    }
    Some(Value::Array(entries))
}

fn strip_comment(value: &str) -> &str {
    value
        .find([' ', '\t'])
        .and_then(|i| value[i..].trim_start().starts_with(';').then_some(i))
        .map_or(value, |i| value[..i].trim_end())
}

/// PostgreSQL's `pg_hba.conf` tokenizer (src/backend/libpq/hba.c, `next_token`; PostgreSQL 15
/// docs, "The pg_hba.conf File"): `#` outside quotes ends the line; tokens are separated by
/// whitespace or commas; a quote inside a token joins it. A token is read as it means: an unquoted
/// keyword (`all`, `replication`, ...) as `keyword:<it>`, an unquoted `+group` or `@file` as
/// `group:`/`file:`, anything else (any quoted token) as the name it matches.
pub fn pg_hba(text: &str) -> Option<Value> {
    let mut lines = Vec::new();
    for line in text.split('\n') {
        let mut tokens: Vec<Value> = Vec::new();
        let mut token = String::new();
        let (mut in_quote, mut quoted, mut started) = (false, false, false);
        for c in line.chars() {
            if !in_quote && c == '#' {
                break;
            }
            if !in_quote && (c.is_whitespace() || c == ',') {
                if started {
                    tokens.push(token_value(&token, quoted));
                    token.clear();
                    (quoted, started) = (false, false);
                }
                continue;
            }
            started = true;
            if c == '"' {
                in_quote = !in_quote;
                quoted = true;
            } else {
                token.push(c);
            }
        }
        if in_quote {
            return None;
        }
        if started {
            tokens.push(token_value(&token, quoted));
        }
        if !tokens.is_empty() {
            lines.push(Value::Array(tokens));
        }
    }
    Some(Value::Array(lines))
}

fn token_value(token: &str, quoted: bool) -> Value {
    const KEYWORDS: [&str; 5] = ["all", "sameuser", "samerole", "samegroup", "replication"];
    Value::String(if quoted {
        token.to_owned()
    } else if KEYWORDS.contains(&token) {
        format!("keyword:{token}")
    } else if let Some(group) = token.strip_prefix('+') {
        format!("group:{group}")
    } else if let Some(file) = token.strip_prefix('@') {
        format!("file:{file}")
    } else {
        token.to_owned()
    })
}

/// Redis's `redis.conf` reader (src/config.c `loadServerConfigFromString`: lines trimmed, `#` and
/// blank lines skipped; src/sds.c `sdssplitargs` for each line's arguments, with its escapes and
/// its rule that a closing quote is followed by a space or the line's end).
pub fn redis_conf(text: &str) -> Option<Value> {
    let mut lines = Vec::new();
    for line in text.split('\n') {
        let line = line.trim_matches([' ', '\t', '\r', '\n']);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let arguments = split_args(line.as_bytes())?;
        let words = arguments
            .into_iter()
            .map(|a| Value::String(String::from_utf8_lossy(&a).into_owned()))
            .collect();
        lines.push(Value::Array(words));
    }
    Some(Value::Array(lines))
}

fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut arguments = Vec::new();
    let mut p = 0;
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    loop {
        while at(p) != 0 && at(p).is_ascii_whitespace() {
            p += 1;
        }
        if at(p) == 0 {
            return Some(arguments);
        }
        let mut current = Vec::new();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = at(p);
            if in_double {
                if c == b'\\'
                    && at(p + 1) == b'x'
                    && at(p + 2).is_ascii_hexdigit()
                    && at(p + 3).is_ascii_hexdigit()
                {
                    let hex = std::str::from_utf8(&line[p + 2..p + 4]).ok()?;
                    current.push(u8::from_str_radix(hex, 16).ok()?);
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    current.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !at(p + 1).is_ascii_whitespace() {
                        return None;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else if in_single {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !at(p + 1).is_ascii_whitespace() {
                        return None;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    other => current.push(other),
                }
            }
            p += 1;
        }
        arguments.push(current);
    }
}

/// Telegraf's reading of `telegraf.conf`: every `${NAME…}` and `$NAME` replaced in the raw text
/// first (Telegraf substitutes environment variables before parsing,
/// <https://docs.influxdata.com/telegraf/v1/configuration/environment-variables/>), here with
/// `<env NAME>`, then the text parsed as TOML by `toml_edit`.
pub fn telegraf_toml(text: &str) -> Option<Value> {
    let mut substituted = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        substituted.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            let end = braced.find('}').map_or(braced.len(), |e| e + 1);
            (&braced[..end.saturating_sub(1)], end + 1)
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        if consumed == 0 {
            substituted.push('$');
        } else {
            substituted.push_str(&format!("<env {name}>"));
        }
        rest = &after[consumed..];
    }
    substituted.push_str(rest);
    let document: toml_edit::DocumentMut = substituted.parse().ok()?;
    Some(toml_table(document.as_table()))
}

fn toml_table(table: &toml_edit::Table) -> Value {
    Value::Object(
        table
            .iter()
            .map(|(key, item)| (key.to_owned(), toml_item(item)))
            .collect(),
    )
}

fn toml_item(item: &toml_edit::Item) -> Value {
    match item {
        toml_edit::Item::None => Value::Null,
        toml_edit::Item::Value(value) => toml_value(value),
        toml_edit::Item::Table(table) => toml_table(table),
        toml_edit::Item::ArrayOfTables(tables) => {
            Value::Array(tables.iter().map(toml_table).collect())
        }
    }
}

fn toml_value(value: &toml_edit::Value) -> Value {
    match value {
        toml_edit::Value::String(s) => json!(s.value()),
        toml_edit::Value::Integer(i) => json!(i.value()),
        toml_edit::Value::Float(f) => json!(f.value()),
        toml_edit::Value::Boolean(b) => json!(b.value()),
        toml_edit::Value::Datetime(d) => json!(d.value().to_string()),
        toml_edit::Value::Array(items) => Value::Array(items.iter().map(toml_value).collect()),
        toml_edit::Value::InlineTable(table) => Value::Object(
            table
                .iter()
                .map(|(key, value)| (key.to_owned(), toml_value(value)))
                .collect(),
        ),
    }
}

/// `tree` with every `marker` inside its strings replaced by `value`.
pub fn substitute(tree: &Value, marker: &str, value: &str) -> Value {
    match tree {
        Value::String(s) => Value::String(s.replace(marker, value)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| substitute(i, marker, value)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.replace(marker, value), substitute(v, marker, value)))
                .collect(),
        ),
        other => other.clone(),
    }
}
