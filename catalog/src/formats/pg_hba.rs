//! Fields of `pg_hba.conf` lines. PostgreSQL splits a line on whitespace and commas, reads `#` as
//! the start of a comment and a token in double quotes literally (keywords such as `all` lose
//! their meaning), and has no escape for `"` itself (PostgreSQL 15, "The pg_hba.conf File").

use super::Unrepresentable;

/// The words `pg_hba.conf` reads as keywords in the user and database fields.
const KEYWORDS: [&str; 5] = ["all", "sameuser", "samerole", "samegroup", "replication"];

/// `name` (a user or database) as one token matching only that name: as it is when it is a plain
/// lower-case identifier and not a keyword, else in double quotes.
///
/// # Errors
/// A name with `"`, a control character, or nothing.
pub fn name(name: &str) -> Result<String, Unrepresentable> {
    let refuse = |reason| {
        Err(Unrepresentable {
            format: "a pg_hba.conf name",
            reason,
        })
    };
    if name.is_empty() {
        return refuse("an empty name");
    }
    if name.contains('"') {
        return refuse("'\"' (a quoted token cannot contain it)");
    }
    if name.chars().any(char::is_control) {
        return refuse("a line break or control character");
    }
    let plain = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !KEYWORDS.contains(&name);
    Ok(if plain {
        name.to_owned()
    } else {
        format!("\"{name}\"")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_every_name_and_refuses_what_a_token_cannot_hold() {
        assert_eq!(name("replicator").as_deref(), Ok("replicator"));
        assert_eq!(name("Repl-1").as_deref(), Ok("\"Repl-1\""));
        assert_eq!(name("+group").as_deref(), Ok("\"+group\""));
        assert_eq!(name("all").as_deref(), Ok("\"all\""));
        assert_eq!(name("a b,c#d").as_deref(), Ok("\"a b,c#d\""));
        assert!(name("x\"").is_err());
        assert!(name("x\nhost all all 0.0.0.0/0 trust").is_err());
        assert!(name("").is_err());
    }
}
