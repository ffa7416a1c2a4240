//! The programs a POSIX shell script runs: the first word of each simple command, without the
//! shell's own keywords and builtins. Enough for the scripts firecamp renders (no aliases, no
//! programs named by variables); a word it cannot read as a program name is returned as it is,
//! so a check against an image's programs fails on it rather than skipping it.

use std::collections::{BTreeMap, BTreeSet};

/// Reserved words and special builtins of the POSIX shell (XCU 2.4, 2.14) and the regular
/// builtins dash and busybox ash have, which need no program in the image.
const SHELL_OWN: &[&str] = &[
    "!", "{", "}", "[", "[[", ".", ":", "alias", "break", "case", "cd", "command", "continue",
    "do", "done", "echo", "elif", "else", "esac", "eval", "exec", "exit", "export", "false", "fi",
    "for", "getopts", "if", "in", "kill", "local", "printf", "pwd", "read", "readonly", "return",
    "set", "shift", "test", "then", "times", "trap", "true", "type", "ulimit", "umask", "unset",
    "until", "wait", "while",
];

/// Words that run the rest of their command as a program: `exec prog`, `command prog`.
const PREFIXES: &[&str] = &[
    "exec", "command", "!", "then", "do", "else", "elif", "if", "while", "until", "{",
];

/// The programs `script` runs, by the name it calls them (`/opt/kafka/bin/kafka-storage.sh`,
/// `curl`). A program named by a `for` variable (`for ipt in iptables-nft iptables-legacy`) is
/// each of the loop's words; one named by a positional parameter (`"$1"`, a function's argument)
/// is not followed.
pub fn programs(script: &str) -> BTreeSet<String> {
    let chars: Vec<char> = script.chars().collect();
    let mut lexer = Lexer {
        chars: &chars,
        at: 0,
        commands: Vec::new(),
        heredocs: Vec::new(),
    };
    lexer.list(None);
    let mut loops: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut functions = BTreeSet::new();
    for command in &lexer.commands {
        if let [first, variable, word_in, values @ ..] = command.as_slice()
            && first == "for"
            && word_in == "in"
        {
            loops.insert(format!("${variable}"), values.to_vec());
        }
        if let Some(name) = command.first().and_then(|w| w.strip_suffix("()")) {
            functions.insert(name.to_owned());
        }
    }
    let mut found = BTreeSet::new();
    for command in &lexer.commands {
        let Some(program) = program_of(command) else {
            continue;
        };
        match loops.get(&program) {
            Some(values) => found.extend(values.iter().cloned()),
            None => {
                found.insert(program);
            }
        }
    }
    found.retain(|p| !functions.contains(p));
    found
}

/// Splits a script into simple commands (lists of words, quotes removed), command
/// substitutions included as commands of their own.
struct Lexer<'a> {
    chars: &'a [char],
    at: usize,
    commands: Vec<Vec<String>>,
    /// Here-document delimiters whose bodies start at the next newline.
    heredocs: Vec<String>,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    /// Commands up to `end` (`)` of `$(`, a backquote) or the end of the script.
    fn list(&mut self, end: Option<char>) {
        let mut command: Vec<String> = Vec::new();
        let mut word = String::new();
        let mut expect_pattern = false;
        let mut case_depth = 0usize;
        let finish_word = |command: &mut Vec<String>, word: &mut String| {
            if !word.is_empty() {
                command.push(std::mem::take(word));
            }
        };
        while let Some(c) = self.peek(0) {
            self.at += 1;
            match c {
                _ if Some(c) == end => break,
                ' ' | '\t' => finish_word(&mut command, &mut word),
                '\\' => match self.peek(0) {
                    Some('\n') => self.at += 1,
                    Some(next) => {
                        word.push(next);
                        self.at += 1;
                    }
                    None => {}
                },
                '#' if word.is_empty() => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.at += 1;
                    }
                }
                '\'' => {
                    while let Some(q) = self.peek(0) {
                        self.at += 1;
                        if q == '\'' {
                            break;
                        }
                        word.push(q);
                    }
                    word.push_str("''");
                }
                '"' => self.double_quoted(&mut word),
                '$' if self.peek(0) == Some('(') => self.substitution(&mut word),
                '`' => {
                    self.list(Some('`'));
                    word.push_str("$()");
                }
                '&' | '>' | '<'
                    if word.ends_with(['>', '<'])
                        || (c != '&' && word.chars().all(|d| d.is_ascii_digit())) =>
                {
                    word.push(c);
                    if c == '<' && self.peek(0) == Some('<') {
                        self.at += 1;
                        self.heredoc_delimiter();
                    }
                }
                '|' if expect_pattern => finish_word(&mut command, &mut word),
                '\n' | ';' | '|' | '&' | '(' | ')' => {
                    finish_word(&mut command, &mut word);
                    if c == ')' && expect_pattern {
                        command.clear();
                        expect_pattern = false;
                    }
                    if c == ';' && self.peek(0) == Some(';') {
                        self.at += 1;
                        expect_pattern = case_depth > 0;
                    }
                    match command.first().map(String::as_str) {
                        Some("case") => {
                            case_depth += 1;
                            expect_pattern = true;
                        }
                        Some("esac") => case_depth = case_depth.saturating_sub(1),
                        _ => {}
                    }
                    if c == '(' && command.len() == 1 && self.peek(0) == Some(')') {
                        // A function definition: `name() {`.
                        self.at += 1;
                        command[0].push_str("()");
                    }
                    if !command.is_empty() {
                        self.commands.push(std::mem::take(&mut command));
                    }
                    if c == '\n' {
                        self.heredoc_bodies();
                    }
                }
                _ => word.push(c),
            }
        }
        finish_word(&mut command, &mut word);
        if !command.is_empty() {
            self.commands.push(command);
        }
    }

    fn double_quoted(&mut self, word: &mut String) {
        while let Some(c) = self.peek(0) {
            self.at += 1;
            match c {
                '"' => break,
                '\\' => {
                    if let Some(next) = self.peek(0) {
                        word.push(next);
                        self.at += 1;
                    }
                }
                '$' if self.peek(0) == Some('(') => self.substitution(word),
                '`' => {
                    self.list(Some('`'));
                    word.push_str("$()");
                }
                _ => word.push(c),
            }
        }
        word.push_str("\"\"");
    }

    /// `$(…)` (the `$` read): its commands; `$((…))` is arithmetic and runs none.
    fn substitution(&mut self, word: &mut String) {
        self.at += 1;
        if self.peek(0) == Some('(') {
            let mut depth = 1;
            self.at += 1;
            while let Some(c) = self.peek(0) {
                self.at += 1;
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            self.at += 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
        } else {
            self.list(Some(')'));
        }
        word.push_str("$()");
    }

    /// The delimiter of `<<WORD`, `<<-WORD`, `<<'WORD'` (the `<<` read).
    fn heredoc_delimiter(&mut self) {
        if self.peek(0) == Some('-') {
            self.at += 1;
        }
        while self.peek(0) == Some(' ') {
            self.at += 1;
        }
        let mut delimiter = String::new();
        while let Some(c) = self.peek(0) {
            if c.is_whitespace() || matches!(c, ';' | '|' | '&' | ')') {
                break;
            }
            self.at += 1;
            if c != '\'' && c != '"' {
                delimiter.push(c);
            }
        }
        self.heredocs.push(delimiter);
    }

    /// Skips the bodies of the pending here-documents (the newline that ends their line read).
    fn heredoc_bodies(&mut self) {
        for delimiter in std::mem::take(&mut self.heredocs) {
            loop {
                let start = self.at;
                while self.peek(0).is_some_and(|c| c != '\n') {
                    self.at += 1;
                }
                let line: String = self.chars[start..self.at].iter().collect();
                if self.peek(0).is_some() {
                    self.at += 1;
                }
                if line.trim_start_matches('\t') == delimiter || self.peek(0).is_none() {
                    break;
                }
            }
        }
    }
}

/// The program a simple command runs, if it runs one.
fn program_of(command: &[String]) -> Option<String> {
    let mut words = command.iter().map(String::as_str).peekable();
    while let Some(word) = words.peek() {
        let assignment = word.split_once('=').is_some_and(|(name, _)| {
            !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        });
        let redirection =
            word.starts_with(['>', '<']) || word.starts_with("2>") || word.starts_with("1>");
        if assignment || redirection || PREFIXES.contains(word) {
            words.next();
        } else {
            break;
        }
    }
    let first = *words.peek()?;
    let position = command.iter().position(|w| w == first)?;
    // `command -v prog` asks whether a program exists; it runs none.
    if position > 0 && command[position - 1] == "command" && first == "-v" {
        return None;
    }
    if first == "for" || first.ends_with("()") {
        return None;
    }
    let word = first.replace("\"\"", "").replace("''", "");
    let positional =
        word.len() == 2 && word.starts_with('$') && word.ends_with(|c: char| c.is_ascii_digit());
    if word.is_empty() || positional || SHELL_OWN.contains(&word.as_str()) {
        return None;
    }
    Some(word)
}
