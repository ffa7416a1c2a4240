//! Errors as people read them: an error and its causes on one line (the loop's logs, `/readyz`
//! and the command line all print them so).

/// An error and its causes, on one line.
#[must_use]
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}
