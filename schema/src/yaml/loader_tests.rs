//! Tests of the YAML loader.
use super::*;

fn load(text: &str) -> Result<Vec<Node>, LoadError> {
    load_documents(text, &Limits::default())
}

#[test]
fn keeps_positions_of_keys_and_values() {
    let docs = load("a: 1\nb:\n  c: [x, 'y']\n").expect("valid YAML");
    let b = docs[0].entry("b").expect("b");
    assert_eq!(b.key_pos, Pos::new(2, 1));
    let c = b.value.entry("c").expect("c");
    assert_eq!(c.key_pos, Pos::new(3, 3));
    let Value::Seq(items) = &c.value.value else {
        panic!("sequence expected")
    };
    assert_eq!(items[1].pos, Pos::new(3, 10));
    assert_eq!(items[1].value, Value::String("y".into()));
}

#[test]
fn splits_documents_and_keeps_empty_ones_as_null() {
    let docs = load("a: 1\n---\n---\nb: 2\n").expect("valid YAML");
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[1].value, Value::Null);
}

#[test]
fn rejects_duplicate_keys_with_both_lines() {
    let err = load("a: 1\nb: 2\na: 3\n").expect_err("duplicate");
    assert_eq!(err.pos, Pos::new(3, 1));
    assert!(
        err.message.contains("first defined at line 1"),
        "{}",
        err.message
    );
}

#[test]
fn merges_keys_with_explicit_keys_winning() {
    let docs = load("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n").expect("valid YAML");
    let m = docs[0].get("m").expect("m");
    assert_eq!(m.get("x").map(|n| &n.value), Some(&Value::Int(1)));
    assert_eq!(m.get("y").map(|n| &n.value), Some(&Value::Int(3)));
}

#[test]
fn stops_alias_bombs() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = i - 1;
        text.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
    }
    let err = load(&text).expect_err("bomb");
    assert!(
        err.message.contains("more than 100000 nodes"),
        "{}",
        err.message
    );
}

#[test]
fn stops_deep_nesting_in_flow_and_block_style() {
    let flow = "[".repeat(100_000);
    let err = load(&flow).expect_err("deep");
    assert!(
        err.message.contains("nesting deeper than 64"),
        "{}",
        err.message
    );
    let block: String = (0..100)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    assert!(
        load(&block)
            .expect_err("deep")
            .message
            .contains("nesting deeper than 64")
    );
}

#[test]
fn rejects_custom_tags_and_complex_keys() {
    assert!(
        load("a: !Ref x\n")
            .expect_err("tag")
            .message
            .contains("unsupported YAML tag")
    );
    assert!(
        load("? [a]\n: 1\n")
            .expect_err("key")
            .message
            .contains("plain strings")
    );
}

#[test]
fn quoted_and_str_tagged_scalars_stay_strings() {
    let docs = load("a: '1'\nb: !!str true\nc: 1\n").expect("valid YAML");
    assert_eq!(
        docs[0].get("a").map(|n| &n.value),
        Some(&Value::String("1".into()))
    );
    assert_eq!(
        docs[0].get("b").map(|n| &n.value),
        Some(&Value::String("true".into()))
    );
    assert_eq!(docs[0].get("c").map(|n| &n.value), Some(&Value::Int(1)));
}

#[test]
fn core_tags_that_are_not_json_types_are_refused_and_typed_tags_are_honoured() {
    for text in [
        "a: !!binary aGVsbG8=\n",
        "a: !!python/object:os.system x\n",
        "a: !!python/object/apply:os.system [ls]\n",
        "a: !!timestamp 2001-12-14\n",
        "a: !!set {x: null}\n",
        "a: !!map [x]\n",
        "a: !!seq {x: 1}\n",
    ] {
        let error = load(text).expect_err(text);
        assert!(
            error.message.contains("unsupported YAML tag"),
            "{text}: {}",
            error.message
        );
    }
    let docs = load("a: !!int \"3\"\nb: !!float 2\nc: !!bool 'true'\nd: !!map {x: 1}\n")
        .expect("typed tags");
    assert_eq!(docs[0].get("a").map(|n| &n.value), Some(&Value::Int(3)));
    assert_eq!(docs[0].get("b").map(|n| &n.value), Some(&Value::Float(2.0)));
    assert_eq!(docs[0].get("c").map(|n| &n.value), Some(&Value::Bool(true)));
    let error = load("a: !!int abc\n").expect_err("not an int");
    assert!(
        error.message.contains("not of that type"),
        "{}",
        error.message
    );
}
