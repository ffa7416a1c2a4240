//! The Java `.properties` writer against the JVM's own reader: hostile keys and values written by
//! `formats::properties::line` are read back by `java.util.Properties.load` (run with the JDK on
//! the machine, a single-file program in `tests/java/`) as exactly those keys and values, and
//! nothing else.

use std::collections::BTreeMap;
use std::process::Command;

use firecamp_catalog::formats::properties;

/// Pieces a `.properties` reader treats as syntax, and characters it reads in other ways.
const PIECES: &[&str] = &[
    "\n",
    "\r\n",
    "\r",
    "\u{c}",
    "\t",
    " ",
    "=",
    ":",
    "#",
    "!",
    "\\",
    "\\n",
    "\\u0041",
    "\\u",
    "key=value",
    "authenticator=AllowAllAuthenticator",
    "\u{e9}",
    "\u{85}",
    "\u{2028}",
    "\u{1F600}",
    "\u{0}",
    "\u{7f}",
    "plain",
];

/// Every piece alone, every ordered pair, and longer mixes.
fn hostile() -> Vec<String> {
    let mut values: Vec<String> = PIECES.iter().map(|p| (*p).to_owned()).collect();
    for a in PIECES {
        for b in PIECES {
            values.push(format!("{a}{b}"));
        }
    }
    values.push(PIECES.concat());
    values.push(" leading and trailing ".to_owned());
    values.push(String::new());
    values
}

/// What the JVM reads from `text`: key → value.
fn java_reads(text: &str) -> BTreeMap<String, String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("hostile.properties");
    std::fs::write(&file, text).expect("write");
    let program = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/java/LoadProperties.java"
    );
    let output = Command::new("java")
        .arg(program)
        .arg(&file)
        .output()
        .expect("java (the JDK is on every machine of this project's kind)");
    assert!(
        output.status.success(),
        "java failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("hex")
        .lines()
        .map(|line| {
            let (key, value) = line.split_once(' ').expect("key value");
            (utf16_hex(key), utf16_hex(value))
        })
        .collect()
}

fn utf16_hex(text: &str) -> String {
    let digits = text.strip_prefix('x').expect("x prefix");
    let units: Vec<u16> = (0..digits.len())
        .step_by(4)
        .map(|i| u16::from_str_radix(&digits[i..i + 4], 16).expect("hex unit"))
        .collect();
    String::from_utf16(&units).expect("UTF-16")
}

#[test]
fn the_jvm_reads_back_exactly_the_keys_and_values_written() {
    let values = hostile();
    let mut text = String::from("# written by formats::properties::line\n");
    let mut expected = BTreeMap::new();
    for (i, value) in values.iter().enumerate() {
        let key = format!("value.{i:04}");
        text.push_str(&properties::line(&key, value));
        expected.insert(key, value.clone());
        // The same piece as a key, made unique by a prefix.
        let key = format!("key.{i:04}.{value}");
        text.push_str(&properties::line(&key, "v"));
        expected.insert(key, "v".to_owned());
    }
    assert!(text.is_ascii(), "written as ISO 8859-1 can hold it");
    let read = java_reads(&text);
    assert_eq!(read.len(), expected.len(), "no entry added or lost");
    for (key, value) in &expected {
        assert_eq!(read.get(key), Some(value), "{key:?}");
    }
}
