//! Shared by the AWS provider tests: an SDK interceptor that answers the first attempts of every
//! call with injected errors, the way throttling and server failures arrive from AWS.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;

/// Replaces the responses of the first attempts with `errors` (HTTP status and body), in turn.
#[derive(Debug)]
pub struct Flaky {
    /// Attempts seen so far.
    pub attempts: Arc<AtomicU32>,
    /// The injected answers, one per attempt.
    pub errors: Vec<(u16, String)>,
}

impl Intercept for Flaky {
    fn name(&self) -> &'static str {
        "Flaky"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempt = self.attempts.fetch_add(1, Ordering::SeqCst);
        if let Some((status, body)) = usize::try_from(attempt)
            .ok()
            .and_then(|a| self.errors.get(a))
        {
            *context.response_mut() = Response::new(
                StatusCode::try_from(*status).expect("status"),
                SdkBody::from(body.clone()),
            );
        }
        Ok(())
    }
}
