//! The desired state of a whole spec set: every valid, not suspended service rendered by the
//! catalog, the cluster-level objects, and what must be left alone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use firecamp_catalog::{
    DesiredService, Inputs, KubeObject, RenderError, render_platform, render_service,
};
use firecamp_schema::Validation;
use firecamp_schema::spec::{ClusterDocument, DeletionPolicy, ServiceDocument};

use super::PlanError;

/// Why a service whose document has problems is left as it is.
const SPEC_PROBLEMS: &str = "its spec has problems; nothing is changed or deleted";

/// What the plan aims for.
#[derive(Debug, Clone)]
pub struct Desired {
    /// The Cluster.
    pub cluster: ClusterDocument,
    /// Rendered services (not suspended), by name.
    pub services: Vec<DesiredService>,
    /// Cluster-level objects.
    pub platform: Vec<KubeObject>,
    /// Each desired service's deletion policy.
    pub deletion_policies: BTreeMap<String, DeletionPolicy>,
    /// Services left exactly as they are because their documents have problems, or because they
    /// reference a service whose document has problems, or depend on one held back; with the
    /// reason, for people.
    pub rejected: BTreeMap<String, String>,
    /// Services with `suspend: true`: left exactly as they are.
    pub suspended: BTreeSet<String>,
    /// Files that could not be read or parsed: no deletion may be decided while they exist.
    pub broken_files: Vec<PathBuf>,
}

impl Desired {
    /// The desired state of a validated spec set.
    ///
    /// A service that cannot be rendered is held back (left as it is, with the reason).
    ///
    /// # Errors
    /// When the set has no valid Cluster.
    pub fn from_validation(validation: &Validation) -> Result<Self, PlanError> {
        let cluster = validation.cluster.clone().ok_or(PlanError::NoCluster)?;
        let all: BTreeMap<String, ServiceDocument> = validation
            .services
            .iter()
            .map(|s| (s.name().to_owned(), s.clone()))
            .collect();
        let inputs = Inputs {
            cluster: &cluster,
            services: &all,
        };
        let mut rejected: BTreeMap<String, String> = validation
            .rejected
            .iter()
            .filter(|r| r.kind.as_deref() != Some("Cluster"))
            .filter_map(|r| r.name.clone())
            .map(|name| (name, SPEC_PROBLEMS.to_owned()))
            .collect();
        let mut services = Vec::new();
        let mut suspended = BTreeSet::new();
        let mut deletion_policies = BTreeMap::new();
        for service in all.values() {
            let workload = service.body.workload();
            let policy = workload
                .deletion_policy
                .or(cluster.spec.defaults.deletion_policy)
                .unwrap_or_default();
            deletion_policies.insert(service.name().to_owned(), policy);
            if workload.suspend {
                suspended.insert(service.name().to_owned());
                continue;
            }
            match render_service(inputs, service) {
                Ok(rendered) => services.push(rendered),
                // Its ZooKeeper (say) was rejected: rendering it without would change it wrongly.
                Err(RenderError::MissingReference { reference, .. })
                    if rejected.contains_key(&reference) =>
                {
                    rejected.insert(
                        service.name().to_owned(),
                        format!("it references {reference}, whose spec has problems; nothing is changed or deleted"),
                    );
                }
                // Validation refuses what the catalog cannot render; should a value slip through,
                // only its service is held back.
                Err(e) => {
                    rejected.insert(
                        service.name().to_owned(),
                        format!("it cannot be rendered ({e}); nothing is changed or deleted"),
                    );
                }
            }
        }
        hold_back_dependents(&all, &mut services, &mut rejected);
        Ok(Self {
            platform: render_platform(inputs),
            cluster,
            services,
            deletion_policies,
            rejected,
            suspended,
            broken_files: validation.broken_files.clone(),
        })
    }

    /// True when a service that is no longer desired may lose what its deletion policy lets go
    /// (static IPs, DNS records): it was deleted from git (not rejected, not suspended, not
    /// hidden in an unreadable file) with `deletionPolicy: Delete` recorded on its objects.
    #[must_use]
    pub fn may_release(&self, service: &str, recorded_policies: &BTreeMap<String, String>) -> bool {
        self.broken_files.is_empty()
            && !self.is_untouchable(service)
            && !self.services.iter().any(|s| s.name == service)
            && recorded_policies.get(service).map(String::as_str) == Some("Delete")
    }

    /// This desired state with `held` (service → reason) moved to `rejected`, and every service
    /// that depends on or references one of them too (see `hold_back_dependents`).
    #[must_use]
    pub fn holding_back(&self, held: &BTreeMap<String, String>) -> Self {
        let mut reduced = self.clone();
        reduced.services.retain(|s| !held.contains_key(&s.name));
        reduced
            .rejected
            .extend(held.iter().map(|(s, r)| (s.clone(), r.clone())));
        loop {
            let dependents: Vec<(String, String)> = reduced
                .services
                .iter()
                .filter_map(|s| {
                    let blocker = s
                        .depends_on
                        .iter()
                        .find(|d| reduced.rejected.contains_key(*d))?;
                    Some((s.name.clone(), blocker.clone()))
                })
                .collect();
            if dependents.is_empty() {
                return reduced;
            }
            for (service, blocker) in dependents {
                reduced.services.retain(|s| s.name != service);
                reduced.rejected.insert(
                    service,
                    format!(
                        "it depends on {blocker}, which is held back; nothing is changed or deleted"
                    ),
                );
            }
        }
    }

    /// True when a service must be left exactly as it is.
    #[must_use]
    pub fn is_untouchable(&self, service: &str) -> bool {
        self.rejected.contains_key(service) || self.suspended.contains(service)
    }
}

/// Moves every rendered service whose `dependsOn` names a held-back service (directly or
/// through others) to `rejected`: creating or changing it before what it waits for exists as
/// written would break the order `dependsOn` promises.
fn hold_back_dependents(
    all: &BTreeMap<String, ServiceDocument>,
    services: &mut Vec<DesiredService>,
    rejected: &mut BTreeMap<String, String>,
) {
    loop {
        let held: Vec<(String, String)> = services
            .iter()
            .filter_map(|service| {
                let depends_on = &all.get(&service.name)?.body.workload().depends_on;
                let blocker = depends_on.iter().find(|d| rejected.contains_key(*d))?;
                Some((service.name.clone(), blocker.clone()))
            })
            .collect();
        if held.is_empty() {
            return;
        }
        for (service, blocker) in held {
            services.retain(|s| s.name != service);
            rejected.insert(
                service,
                format!(
                    "it depends on {blocker}, which is held back; nothing is changed or deleted"
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use firecamp_schema::Limits;
    use firecamp_schema::validate::{SourceFile, validate_files};

    use super::*;

    const CLUSTER: &str = "apiVersion: firecamp.io/v1alpha1\nkind: Cluster\nmetadata: {name: t}\n\
        spec: {region: us-east-1, vpcId: vpc-0a1b2c3d, zones: [{name: us-east-1a, subnetId: \
        subnet-0a1b2c3d}], defaults: {volume: {size: 10Gi}}}\n";

    fn zookeeper(name: &str, replicas: u32, depends_on: &[&str]) -> String {
        format!(
            "---\napiVersion: firecamp.io/v1alpha1\nkind: ZooKeeper\nmetadata: {{name: {name}}}\n\
             spec: {{replicas: {replicas}, heapSize: 1Gi, dependsOn: [{}]}}\n",
            depends_on.join(", ")
        )
    }

    #[test]
    fn a_service_depending_on_a_rejected_one_is_held_back_through_any_chain() {
        // `bad` has an even ensemble (rejected); `zk` depends on it, `zz` on `zk`; `free` on none.
        let text = [
            CLUSTER.to_owned(),
            zookeeper("bad", 2, &[]),
            zookeeper("zk", 3, &["bad"]),
            zookeeper("zz", 3, &["zk"]),
            zookeeper("free", 3, &[]),
        ]
        .concat();
        let validation = validate_files(
            Path::new("."),
            vec![SourceFile::in_memory("specs.yaml", text)],
            &Limits::default(),
        );
        let desired = Desired::from_validation(&validation).expect("desired");
        let rendered: Vec<&str> = desired.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(rendered, ["free"]);
        assert_eq!(
            desired.rejected.get("zk").map(String::as_str),
            Some("it depends on bad, which is held back; nothing is changed or deleted")
        );
        assert!(desired.is_untouchable("zz"), "{:?}", desired.rejected);
        assert!(desired.is_untouchable("bad"));
    }

    #[test]
    fn a_service_that_cannot_be_rendered_is_held_back_alone() {
        let postgres = "---\napiVersion: firecamp.io/v1alpha1\nkind: PostgreSQL\nmetadata: {name: pg}\n\
            spec: {replicas: 1, adminPassword: {secretName: pg, key: admin}, replicationUser: repl, \
            replicationPassword: {secretName: pg, key: repl}, journalVolume: {size: 20Gi}}\n";
        let text = [
            CLUSTER.to_owned(),
            postgres.to_owned(),
            zookeeper("zk", 3, &["pg"]),
            zookeeper("free", 3, &[]),
        ]
        .concat();
        let mut validation = validate_files(
            Path::new("."),
            vec![SourceFile::in_memory("specs.yaml", text)],
            &Limits::default(),
        );
        assert!(validation.rejected.is_empty(), "{:?}", validation.rejected);
        // A value validation would refuse, as if a rule were missing: pg_hba.conf cannot hold it.
        for service in &mut validation.services {
            if let firecamp_schema::spec::Service::PostgreSql(pg) = &mut service.body {
                pg.replication_user = "repl\"\nhost all all 0.0.0.0/0 trust".to_owned();
            }
        }
        let desired = Desired::from_validation(&validation).expect("desired");
        let rendered: Vec<&str> = desired.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(rendered, ["free"]);
        let reason = desired.rejected.get("pg").expect("pg held back");
        assert!(
            reason.starts_with("it cannot be rendered (service pg: spec.replicationUser cannot be written to pg_hba.conf"),
            "{reason}"
        );
        assert!(
            !reason.contains("0.0.0.0"),
            "the value is not echoed: {reason}"
        );
        assert!(
            desired.is_untouchable("zk"),
            "its dependent too: {:?}",
            desired.rejected
        );
    }
}
