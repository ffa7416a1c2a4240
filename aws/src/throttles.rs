//! An SDK interceptor that counts the answers asking to slow down, by operation: HTTP 429, EC2's
//! `RequestLimitExceeded` (HTTP 503) and Route53's `Throttling` / `PriorRequestNotComplete` (HTTP
//! 400). Each retried attempt counts, so the count shows how hard AWS pushed back.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::calls::CallCounter;

/// Error codes AWS uses for throttling.
const THROTTLE_CODES: [&str; 4] = [
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "PriorRequestNotComplete",
];

/// Counts throttled attempts of one provider's client into a [`CallCounter`].
#[derive(Debug, Clone)]
pub struct ThrottleCounter {
    provider: &'static str,
    counter: CallCounter,
}

impl ThrottleCounter {
    /// Counts `provider`'s throttled attempts into `counter`.
    #[must_use]
    pub const fn new(provider: &'static str, counter: CallCounter) -> Self {
        Self { provider, counter }
    }
}

impl Intercept for ThrottleCounter {
    fn name(&self) -> &'static str {
        "ThrottleCounter"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        config: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(response) = context.response() else {
            return Ok(());
        };
        let status = response.status().as_u16();
        let body = response.body().bytes().unwrap_or_default();
        if is_throttle(status, body) {
            let operation = config.load::<Metadata>().map_or("unknown", Metadata::name);
            self.counter.count_throttle(self.provider, operation);
        }
        Ok(())
    }
}

/// True when an answer asks the caller to slow down.
fn is_throttle(status: u16, body: &[u8]) -> bool {
    if status == 429 {
        return true;
    }
    if status < 400 {
        return false;
    }
    let body = String::from_utf8_lossy(body);
    THROTTLE_CODES
        .iter()
        .any(|code| body.contains(&format!("<Code>{code}</Code>")))
}

#[cfg(test)]
mod tests {
    use super::is_throttle;

    #[test]
    fn throttles_are_told_apart_from_other_errors() {
        let error = |code: &str| {
            format!("<ErrorResponse><Error><Code>{code}</Code></Error></ErrorResponse>")
        };
        assert!(is_throttle(429, b""));
        assert!(is_throttle(503, error("RequestLimitExceeded").as_bytes()));
        assert!(is_throttle(400, error("Throttling").as_bytes()));
        assert!(is_throttle(
            400,
            error("PriorRequestNotComplete").as_bytes()
        ));
        assert!(!is_throttle(500, error("InternalError").as_bytes()));
        assert!(!is_throttle(400, error("InvalidChangeBatch").as_bytes()));
        assert!(
            !is_throttle(200, error("Throttling").as_bytes()),
            "a success is never a throttle"
        );
    }
}
