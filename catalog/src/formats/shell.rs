//! POSIX shell words.

/// `value` as one shell word: in single quotes, each `'` written as `'\''` (POSIX sh, 2.2.2:
/// single quotes keep every character but `'` literal).
#[must_use]
pub fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:,@%+=".contains(&b));
    if plain {
        return value.to_owned();
    }
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `values` as shell words separated by spaces.
#[must_use]
pub fn words<S: AsRef<str>>(values: &[S]) -> String {
    values
        .iter()
        .map(|v| quote(v.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `sh` reads back from `echo <word>`... run for real.
    fn echoed(word: &str) -> String {
        let output = std::process::Command::new("sh")
            .args(["-c", &format!("printf '%s' {word}")])
            .output()
            .expect("sh runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    #[test]
    fn sh_reads_back_every_value_as_one_word() {
        for value in [
            "plain",
            "",
            "it's",
            "$(touch /tmp/x)",
            "`id`",
            "a b\nc",
            "\\'\"",
            "*",
            "-n",
            "x; rm -rf /",
        ] {
            assert_eq!(echoed(&quote(value)), value, "{value:?}");
        }
        assert_eq!(echoed(&words(&["a b", "c"])), "a bc");
    }
}
