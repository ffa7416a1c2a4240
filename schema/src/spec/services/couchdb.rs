//! CouchDB: a single node or a cluster of 3 or more.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::problem::Problems;
use crate::spec::common::{StorageSpec, WorkloadSpec};
use crate::spec::kind::ServiceKind;
use crate::spec::patterns;
use crate::spec::secret::{SecretRef, TlsSecretRef};
use crate::spec::service::{Context, RoleGroup, ServiceSpec, common_fields};
use crate::spec::text_rules::{check_name, check_origin, check_token};

/// `spec` of a `CouchDB` document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct CouchDbSpec {
    /// Common fields.
    #[serde(flatten)]
    pub workload: WorkloadSpec,
    /// Volume fields.
    #[serde(flatten)]
    pub storage: StorageSpec,
    /// Admin user (default `admin`).
    #[serde(default = "admin")]
    #[schemars(pattern(patterns::NAME))]
    pub admin_user: String,
    /// Admin password.
    pub admin_password: SecretRef,
    /// Erlang cookie shared by the nodes of a cluster.
    pub cookie: SecretRef,
    /// Cross-origin resource sharing; off when unset.
    pub cors: Option<CorsSpec>,
    /// Serve HTTPS on 6984 with this certificate.
    pub tls: Option<TlsSecretRef>,
}

/// CouchDB CORS settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct CorsSpec {
    /// Allow credentials (default false).
    #[serde(default)]
    pub credentials: bool,
    /// Allowed origins (default `*`).
    #[serde(default = "any_origin")]
    pub origins: Vec<String>,
    /// Allowed headers.
    #[serde(default)]
    #[schemars(inner(pattern(patterns::TOKEN)))]
    pub headers: Vec<String>,
    /// Allowed methods (default GET).
    #[serde(default = "get")]
    #[schemars(inner(pattern(patterns::TOKEN)))]
    pub methods: Vec<String>,
}

common_fields!(CouchDbSpec, stateful);

impl ServiceSpec for CouchDbSpec {
    const KIND: ServiceKind = ServiceKind::CouchDb;

    fn roles(&self, replicas: u32) -> Vec<RoleGroup> {
        vec![RoleGroup::new("node", replicas)]
    }

    fn check(&self, ctx: &Context<'_>, out: &mut Problems) {
        check_name(out, "spec.adminUser", &self.admin_user);
        if let Some(cors) = &self.cors {
            for (i, origin) in cors.origins.iter().enumerate() {
                check_origin(out, &format!("spec.cors.origins[{i}]"), origin);
            }
            for (i, header) in cors.headers.iter().enumerate() {
                check_token(out, &format!("spec.cors.headers[{i}]"), header);
            }
            for (i, method) in cors.methods.iter().enumerate() {
                check_token(out, &format!("spec.cors.methods[{i}]"), method);
            }
        }
        if ctx.replicas == 2 {
            out.add(
                "spec.replicas",
                "2 members is not allowed",
                "use 1, or 3 or more: documents are kept in 3 copies",
            );
        }
        if let Some(cors) = &self.cors
            && cors.credentials
            && cors.origins.iter().any(|o| o == "*")
        {
            out.add(
                "spec.cors.origins",
                "credentials cannot be allowed for every origin (\"*\")",
                "list the origins explicitly",
            );
        }
    }
}

fn admin() -> String {
    "admin".to_owned()
}

fn any_origin() -> Vec<String> {
    vec!["*".to_owned()]
}

fn get() -> Vec<String> {
    vec!["GET".to_owned()]
}
