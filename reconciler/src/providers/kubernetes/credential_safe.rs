//! Client errors as they may be shown. kube's message for a kubeconfig that does not parse quotes
//! the lines around the problem (a token line among them), and an exec plugin's failure carries
//! its command line and its whole output (the credential among them): printed as they are, they
//! put credentials in logs, CI output and the status ConfigMap.

/// `text` (a kube error, with its causes) without what may hold credentials: only the first
/// line is kept, and an exec plugin's command line and output are replaced by what happened.
#[must_use]
pub fn credential_safe(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    if let Some(at) = first.find("auth exec command") {
        let status = first
            .split_once("failed with status ")
            .map(|(_, rest)| rest.split(": Output").next().unwrap_or(rest).trim())
            .map_or_else(String::new, |status| format!(" ({status})"));
        return format!(
            "{}auth exec command failed{status}; its command line and output are not shown, as \
             they may hold credentials: run the plugin by hand to see them",
            &first[..at]
        );
    }
    if let Some(at) = first.find("failed to parse auth exec output") {
        return format!(
            "{}failed to parse auth exec output (not shown: it may hold credentials)",
            &first[..at]
        );
    }
    if text.lines().nth(1).is_some() {
        format!("{first} (the quoted lines are not shown: they may hold credentials)")
    } else {
        first.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::credential_safe;

    #[test]
    fn an_exec_failure_keeps_its_status_and_loses_its_command_and_output() {
        let text = "auth error: auth exec command 'TOKEN=s3cret \"sh\" \"-c\" \"x\"' failed with \
                    status exit status: 3: Output { status: ExitStatus(768), stdout: \"CANARY\" }";
        let safe = credential_safe(text);
        assert_eq!(
            safe,
            "auth error: auth exec command failed (exit status: 3); its command line and output \
             are not shown, as they may hold credentials: run the plugin by hand to see them"
        );
    }

    #[test]
    fn a_parse_error_keeps_its_position_and_loses_the_quoted_lines() {
        let text = "failed to parse kubeconfig YAML: error: line 15 column 16: expected sequence \
                    start\n  --> <input>:15:16\n14 |     token: CANARY\n";
        let safe = credential_safe(text);
        assert!(safe.starts_with("failed to parse kubeconfig YAML: error: line 15 column 16"));
        assert!(!safe.contains("CANARY"), "{safe}");
        let output = "auth error: failed to parse auth exec output: error: line 1 column 1\n1 | {\"token\":\"CANARY\"";
        assert!(!credential_safe(output).contains("CANARY"));
        assert_eq!(credential_safe("connection refused"), "connection refused");
    }
}
