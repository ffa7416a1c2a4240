//! Rules every service follows whatever its kind: names, replicas, zones, volumes, resources.

use super::names::{MAX_LABEL, label_hint, label_problem};
use super::reference_rules::{check_image, check_secret_refs, label_prefix_problem};
use super::resource_rules::{check_resources, check_volume};
use crate::problem::Problems;
use crate::spec::service::Context;
use crate::spec::{ClusterSpec, Metadata, Service};
use crate::suggest::same_when_normalized;
use crate::topology::{self, MAX_MEMBER_NAME, MAX_STATEFULSET_NAME};

/// Labels firecamp sets itself; specs may not set them.
const RESERVED_LABEL_PREFIXES: [&str; 2] = ["app.kubernetes.io/", "firecamp.io/"];

/// Most members of one role.
const MAX_MEMBERS_PER_ROLE: u32 = 1_000;

/// Most members of one service, all roles together: what one service's rendered ConfigMaps can
/// list within Kubernetes' 1 MiB object limit (a Redis Cluster of 4,000 members already renders
/// a 997 KB ConfigMap), and what planning a service takes seconds for.
const MAX_MEMBERS_PER_SERVICE: u64 = 2_000;

/// Checks what every service must satisfy, then the kind's own rules.
pub(crate) fn check_service(
    metadata: &Metadata,
    service: &Service,
    ctx: &Context<'_>,
    out: &mut Problems,
) {
    check_name(metadata, service, ctx, out);
    check_labels(metadata, out);
    let workload = service.workload();
    if let (Some(fixed), Some(given)) = (service.fixed_replicas(), workload.replicas) {
        if fixed != given {
            out.add(
                "spec.replicas",
                format!(
                    "{} runs exactly {fixed} member, got {given}",
                    service.kind()
                ),
                format!("set replicas: {fixed}, or leave it out"),
            );
        }
    } else if ctx.replicas == 0 {
        out.add(
            "spec.replicas",
            "must be at least 1",
            "to stop reconciling a service, set suspend: true",
        );
    } else if ctx.replicas > MAX_MEMBERS_PER_ROLE {
        out.add(
            "spec.replicas",
            format!("must be at most {MAX_MEMBERS_PER_ROLE}"),
            "split it into several services",
        );
    }
    let members: u64 = service
        .roles(ctx.replicas)
        .iter()
        .map(|r| u64::from(r.members))
        .sum();
    if members > MAX_MEMBERS_PER_SERVICE {
        out.add(
            "spec.replicas",
            format!("{members} members in all, more than {MAX_MEMBERS_PER_SERVICE}"),
            "split it into several services, or use fewer shards or replicas",
        );
    }
    if let Some(zones) = &workload.zones {
        check_zones(zones, ctx.cluster, out);
    }
    if let Some(image) = &workload.image {
        check_image(out, "spec.image", image);
    }
    if let Ok(spec) = serde_json::to_value(service) {
        check_secret_refs(out, &spec);
    }
    for (i, dependency) in workload.depends_on.iter().enumerate() {
        if workload.depends_on[..i].contains(dependency) {
            out.add(
                &format!("spec.dependsOn[{i}]"),
                format!("\"{dependency}\" is listed twice"),
                "list each dependency once",
            );
        }
    }
    if let Some(resources) = &workload.resources {
        check_resources(out, "spec.resources", resources);
    }
    check_storage(service, ctx.cluster, out);
    if ctx.replicas > 0 {
        service.check(ctx, out);
    }
}

fn check_name(metadata: &Metadata, service: &Service, ctx: &Context<'_>, out: &mut Problems) {
    let name = &metadata.name;
    if let Some(problem) = label_problem(name) {
        return out.add("metadata.name", problem, label_hint(name));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return out.add(
            "metadata.name",
            format!("\"{name}\" does not start with a letter"),
            "Kubernetes Service names (DNS-1035 labels) start with a lower-case letter",
        );
    }
    // Without a Cluster, judge names as if zones had one-letter suffixes (the common case).
    let (region, cluster_zones) = ctx
        .cluster
        .map_or(("", vec!["a"]), |c| (c.region.as_str(), c.zone_names()));
    let zones: Vec<&str> = service
        .workload()
        .zones
        .as_ref()
        .map_or(cluster_zones, |z| z.iter().map(String::as_str).collect());
    let members = topology::members(name, service, region, &zones);
    let too_long = |limit: usize, longest: &str, what: &str, out: &mut Problems| {
        let room = limit.saturating_sub(longest.len() - name.len());
        out.add(
            "metadata.name",
            format!(
                "{what} \"{longest}\" would be {} characters, more than {limit}",
                longest.len()
            ),
            format!("shorten the service name to {room} characters or fewer"),
        );
    };
    if let Some(sts) = members
        .iter()
        .map(|m| &m.statefulset)
        .max_by_key(|s| s.len())
        .filter(|s| s.len() > MAX_STATEFULSET_NAME)
    {
        return too_long(MAX_STATEFULSET_NAME, sts, "StatefulSet name", out);
    }
    if let Some(member) = members
        .iter()
        .map(|m| &m.name)
        .max_by_key(|n| n.len())
        .filter(|n| n.len() > MAX_MEMBER_NAME)
    {
        return too_long(MAX_MEMBER_NAME, member, "member name", out);
    }
    let longest = members.iter().map(|m| m.name.len()).max().unwrap_or(0);
    if let Some(domain) = ctx.domain.filter(|d| longest + 1 + d.len() > 253) {
        let length = longest + 1 + domain.len();
        out.add(
            "metadata.name",
            format!("member DNS names would be {length} characters, more than 253"),
            "shorten the service name or the Cluster's dns.domain",
        );
    }
}

fn check_labels(metadata: &Metadata, out: &mut Problems) {
    for (key, value) in &metadata.labels {
        let path = format!("metadata.labels.{key}");
        if RESERVED_LABEL_PREFIXES.iter().any(|p| key.starts_with(p)) {
            out.add(
                &path,
                format!("label \"{key}\" is set by firecamp"),
                "choose a key outside app.kubernetes.io/ and firecamp.io/",
            );
        }
        let (prefix, name) = key
            .rsplit_once('/')
            .map_or((None, key.as_str()), |(p, n)| (Some(p), n));
        if let Some(problem) = prefix.and_then(label_prefix_problem) {
            out.add(
                &path,
                problem,
                "a prefix is a lower-case DNS name such as example.com, e.g. example.com/team",
            );
        }
        let valid = |s: &str, allow_empty: bool| {
            (allow_empty || !s.is_empty())
                && s.len() <= MAX_LABEL
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                && (s.is_empty()
                    || (s.starts_with(|c: char| c.is_ascii_alphanumeric())
                        && s.ends_with(|c: char| c.is_ascii_alphanumeric())))
        };
        if !valid(name, false) {
            out.add(
                &path,
                format!("\"{}\" is not a valid label key", key.escape_debug()),
                "a key is at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
            );
        }
        if !valid(value, true) {
            out.add(
                &path,
                "is not a valid label value (at most 63 letters, digits, '-', '_' or '.')",
                "labels are for selecting objects; put longer text in an annotation outside firecamp",
            );
        }
    }
}

fn check_zones(zones: &[String], cluster: Option<&ClusterSpec>, out: &mut Problems) {
    if zones.is_empty() {
        out.add(
            "spec.zones",
            "must not be empty",
            "remove it to use every zone of the Cluster",
        );
    }
    for (i, zone) in zones.iter().enumerate() {
        let path = format!("spec.zones[{i}]");
        if zones[..i].contains(zone) {
            out.add(
                &path,
                format!("zone \"{zone}\" is listed twice"),
                "list each zone once",
            );
            continue;
        }
        let Some(cluster) = cluster else { continue };
        let known = cluster.zone_names();
        if !known.contains(&zone.as_str()) {
            let hint = same_when_normalized(zone, known.iter().copied()).map_or_else(
                || format!("the Cluster's zones are: {}", known.join(", ")),
                |z| format!("did you mean \"{z}\"?"),
            );
            out.add(
                &path,
                format!("zone \"{zone}\" is not a zone of the Cluster"),
                hint,
            );
        }
    }
}

fn check_storage(service: &Service, cluster: Option<&ClusterSpec>, out: &mut Problems) {
    let Some(storage) = service.storage() else {
        return;
    };
    // Without exactly one Cluster its defaults are unknown: judging sizes would only add noise.
    let Some(cluster) = cluster else {
        return;
    };
    let defaults = Some(&cluster.defaults);
    let volume = storage
        .volume
        .clone()
        .unwrap_or_default()
        .or(defaults.and_then(|d| d.volume.as_ref()));
    check_volume(out, "spec.volume", &volume, true);
    let journal_default = defaults.and_then(|d| d.journal_volume.as_ref());
    match (&storage.journal_volume, journal_default) {
        (Some(journal), _) => check_volume(
            out,
            "spec.journalVolume",
            &journal.or(journal_default),
            true,
        ),
        (None, Some(journal)) if service.requires_journal() => {
            check_volume(out, "spec.journalVolume", journal, true)
        }
        (None, _) if service.requires_journal() => out.add(
            "spec.journalVolume",
            format!("{} needs a journal volume", service.kind()),
            "add journalVolume: {size: 20Gi}, or set the Cluster's spec.defaults.journalVolume",
        ),
        (None, _) => {}
    }
}
