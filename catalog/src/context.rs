//! What a kind's renderer may read: the service, the Cluster, the other services, and the
//! values derived from them (members, domain, effective volumes and resources).

use std::collections::BTreeMap;

use firecamp_schema::spec::resources::Resources;
use firecamp_schema::spec::volume::VolumeSpec;
use firecamp_schema::spec::{ClusterDocument, Service, ServiceDocument, ServiceKind};
use firecamp_schema::topology::{self, Member};

use crate::error::RenderError;
use crate::images::pinned_image;

/// The inputs of a render: the Cluster and every valid service by name.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The Cluster.
    pub cluster: &'a ClusterDocument,
    /// Every service, by name (referenced services are looked up here).
    pub services: &'a BTreeMap<String, ServiceDocument>,
}

/// One service being rendered, with its derived values.
#[derive(Debug, Clone)]
pub struct ServiceContext<'a> {
    /// The Cluster and the other services.
    pub inputs: Inputs<'a>,
    /// The service.
    pub service: &'a ServiceDocument,
    /// Its members.
    pub members: Vec<Member>,
}

impl<'a> ServiceContext<'a> {
    /// The context of `service`.
    #[must_use]
    pub fn new(inputs: Inputs<'a>, service: &'a ServiceDocument) -> Self {
        let members = members_of(inputs, service);
        Self {
            inputs,
            service,
            members,
        }
    }

    /// The service's name.
    #[must_use]
    pub fn name(&self) -> &str {
        self.service.name()
    }

    /// The Cluster's name.
    #[must_use]
    pub fn cluster_name(&self) -> &str {
        &self.inputs.cluster.metadata.name
    }

    /// The namespace of every service.
    #[must_use]
    pub fn namespace(&self) -> &str {
        &self.inputs.cluster.spec.namespace
    }

    /// The AWS region.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.inputs.cluster.spec.region
    }

    /// The private DNS domain.
    #[must_use]
    pub fn domain(&self) -> String {
        self.inputs.cluster.spec.domain(self.cluster_name())
    }

    /// `<member>.<domain>`.
    #[must_use]
    pub fn dns_name(&self, member: &str) -> String {
        format!("{member}.{}", self.domain())
    }

    /// DNS names of this service's members of `role` (all members when `None`), in index order.
    #[must_use]
    pub fn member_dns_names(&self, role: Option<&str>) -> Vec<String> {
        self.members
            .iter()
            .filter(|m| role.is_none_or(|r| m.role == r))
            .map(|m| self.dns_name(&m.name))
            .collect()
    }

    /// The zones that have members, in the order of their first member.
    #[must_use]
    pub fn member_zones(&self) -> Vec<&str> {
        let mut zones: Vec<&str> = Vec::new();
        for member in &self.members {
            if !zones.contains(&member.zone.as_str()) {
                zones.push(&member.zone);
            }
        }
        zones
    }

    /// The main image: the spec's override, else the catalog's pinned image.
    #[must_use]
    pub fn image(&self) -> String {
        self.service
            .body
            .workload()
            .image
            .clone()
            .unwrap_or_else(|| pinned_image(&self.service.body).to_owned())
    }

    /// True when members get static IPs.
    #[must_use]
    pub fn static_ip(&self) -> bool {
        let body = &self.service.body;
        body.storage()
            .and_then(|s| s.static_ip)
            .unwrap_or_else(|| body.static_ip_default())
    }

    /// The zone's `reservedCidr`: its static range when that is a reservation in the nodes' subnet.
    #[must_use]
    pub fn reserved_cidr(&self, zone: &str) -> Option<&'a str> {
        let zones = &self.inputs.cluster.spec.zones;
        zones
            .iter()
            .find(|z| z.name == zone)
            .and_then(|z| z.reserved_cidr.as_deref())
    }

    /// The data volume with the Cluster's defaults applied; `None` for stateless kinds.
    #[must_use]
    pub fn volume(&self) -> Option<VolumeSpec> {
        let storage = self.service.body.storage()?;
        let defaults = self.inputs.cluster.spec.defaults.volume.as_ref();
        Some(storage.volume.clone().unwrap_or_default().or(defaults))
    }

    /// The journal volume with the Cluster's defaults applied, when the service has one.
    #[must_use]
    pub fn journal_volume(&self) -> Option<VolumeSpec> {
        let storage = self.service.body.storage()?;
        let defaults = self.inputs.cluster.spec.defaults.journal_volume.as_ref();
        match &storage.journal_volume {
            Some(journal) => Some(journal.or(defaults)),
            None if self.service.body.requires_journal() => defaults.cloned(),
            None => None,
        }
    }

    /// Resources with the Cluster's defaults applied.
    #[must_use]
    pub fn resources(&self) -> Resources {
        let defaults = self.inputs.cluster.spec.defaults.resources.as_ref();
        self.service
            .body
            .workload()
            .resources
            .as_ref()
            .map_or_else(|| defaults.cloned().unwrap_or_default(), |r| r.or(defaults))
    }

    /// The service named `name`, which must be of `kind`.
    ///
    /// # Errors
    /// When no such service exists, or it has another kind.
    pub fn referenced(
        &self,
        name: &str,
        kind: ServiceKind,
    ) -> Result<ServiceContext<'a>, RenderError> {
        let missing = || RenderError::MissingReference {
            service: self.name().to_owned(),
            reference: name.to_owned(),
        };
        let other = self.inputs.services.get(name).ok_or_else(missing)?;
        if other.body.kind() != kind {
            return Err(missing());
        }
        Ok(ServiceContext::new(self.inputs, other))
    }

    /// The spec of this service.
    #[must_use]
    pub fn body(&self) -> &'a Service {
        &self.service.body
    }
}

fn members_of(inputs: Inputs<'_>, service: &ServiceDocument) -> Vec<Member> {
    let cluster = &inputs.cluster.spec;
    let zones: Vec<&str> = service.body.workload().zones.as_ref().map_or_else(
        || cluster.zone_names(),
        |z| z.iter().map(String::as_str).collect(),
    );
    topology::members(service.name(), &service.body, &cluster.region, &zones)
}
