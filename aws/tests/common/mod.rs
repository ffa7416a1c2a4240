//! Shared by the AWS provider tests: SDK interceptors that answer the first attempts of every
//! call with injected errors, the way throttling and server failures arrive from AWS, or make a
//! call refused without effect.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of this module"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
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
        if let Some(error) = usize::try_from(attempt)
            .ok()
            .and_then(|a| self.errors.get(a))
        {
            answer(context, error);
        }
        Ok(())
    }
}

/// Makes the first call refused by EC2 without effect: its request body has `from` replaced by
/// `to` (of the same length) before it is sent, so moto acts on something else, and its answer
/// is replaced by `error` (HTTP status and body).
#[derive(Debug)]
pub struct Refused {
    /// Calls seen so far.
    pub attempts: Arc<AtomicU32>,
    /// What the first request's body has in place of what.
    pub rewrite: (String, String),
    /// The answer to the first call.
    pub error: (u16, String),
}

impl Intercept for Refused {
    fn name(&self) -> &'static str {
        "Refused"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.attempts.load(Ordering::SeqCst) == 0 {
            let request = context.request_mut();
            let body = request
                .body()
                .bytes()
                .map(|b| String::from_utf8_lossy(b).into_owned());
            let (from, to) = &self.rewrite;
            assert_eq!(from.len(), to.len(), "the rewrite keeps the body's length");
            if let Some(body) = body {
                *request.body_mut() = SdkBody::from(body.replace(from.as_str(), to));
            }
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.attempts.fetch_add(1, Ordering::SeqCst) == 0 {
            answer(context, &self.error);
        }
        Ok(())
    }
}

/// Replaces the response of an attempt with `(status, body)`.
fn answer(
    context: &mut BeforeDeserializationInterceptorContextMut<'_>,
    (status, body): &(u16, String),
) {
    *context.response_mut() = Response::new(
        StatusCode::try_from(*status).expect("status"),
        SdkBody::from(body.clone()),
    );
}

/// Keeps the body of every request sent (its form-encoded parameters, for EC2).
#[derive(Debug, Default)]
pub struct Recorder {
    /// The bodies, in order.
    pub bodies: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "Recorder"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(body) = context.request().body().bytes()
            && let Ok(mut bodies) = self.bodies.lock()
        {
            bodies.push(String::from_utf8_lossy(body).into_owned());
        }
        Ok(())
    }
}
