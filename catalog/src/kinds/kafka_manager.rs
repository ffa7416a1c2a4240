//! Kafka Manager, served by kafka-ui (the maintained successor of CMAK): one instance showing
//! the Kafka services its spec names, behind a login form.

use firecamp_schema::spec::ServiceKind;
use firecamp_schema::spec::services::kafka_manager::KafkaManagerSpec;

use super::jvm_heap;
use super::kafka::bootstrap_servers;
use crate::blueprint::{Blueprint, PortPlan, env, secret_env};
use crate::build::probes;
use crate::context::ServiceContext;
use crate::error::RenderError;
use crate::lifecycle::MemberRemoval;

/// Kafka UI keeps no state of its own: an instance can go.
pub(crate) const MEMBER_REMOVAL: MemberRemoval = MemberRemoval::Plain;

/// HTTP port.
pub(crate) const PORT: u16 = 9000;

pub(crate) fn blueprint(
    ctx: &ServiceContext<'_>,
    spec: &KafkaManagerSpec,
) -> Result<Blueprint, RenderError> {
    let mut bp = Blueprint {
        ports: vec![PortPlan::published("http", PORT)],
        readiness: Some(probes::tcp(PORT, 20, 10)),
        liveness: Some(probes::tcp(PORT, 90, 20)),
        env: vec![
            env("SERVER_PORT", PORT.to_string()),
            env("JAVA_OPTS", jvm_heap(&spec.heap_size)),
            env("AUTH_TYPE", "LOGIN_FORM"),
            env("SPRING_SECURITY_USER_NAME", spec.user.clone()),
            secret_env("SPRING_SECURITY_USER_PASSWORD", &spec.password),
            env("DYNAMIC_CONFIG_ENABLED", "false"),
        ],
        ..Blueprint::default()
    };
    for (i, kafka) in spec.kafka.iter().enumerate() {
        let kafka = ctx.referenced(kafka, ServiceKind::Kafka)?;
        bp.env
            .push(env(&format!("KAFKA_CLUSTERS_{i}_NAME"), kafka.name()));
        bp.env.push(env(
            &format!("KAFKA_CLUSTERS_{i}_BOOTSTRAPSERVERS"),
            bootstrap_servers(&kafka),
        ));
    }
    Ok(bp)
}
