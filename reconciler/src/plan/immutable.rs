//! Fields the API server refuses to change once an object exists, as each kind's update
//! validation in k8s.io/kubernetes v1.37.2 says (`pkg/apis/apps/validation`
//! `ValidateStatefulSetUpdate`, `pkg/apis/batch/validation` `ValidateJobUpdate`,
//! `pkg/apis/storage/validation` `ValidateStorageClassUpdate`): a change to one is never sent as
//! an update; the object is replaced, or the change is refused with a reason.

use super::model::FieldChange;
use crate::live::LiveState;

/// StatefulSet fields the API refuses to change.
const STATEFULSET: [&str; 4] = [
    "spec.selector",
    "spec.serviceName",
    "spec.podManagementPolicy",
    "spec.volumeClaimTemplates",
];

/// StorageClass fields the API refuses to change (`allowVolumeExpansion` may change).
const STORAGE_CLASS: [&str; 4] = [
    "parameters",
    "provisioner",
    "reclaimPolicy",
    "volumeBindingMode",
];

/// The paths of `changes` that the API server refuses to change on a `kind`. A Job's whole spec
/// counts: its template and selector cannot change, and firecamp sets nothing else there.
pub(super) fn immutable_changes<'c>(kind: &str, changes: &'c [FieldChange]) -> Vec<&'c str> {
    let fields: &[&str] = match kind {
        "Job" => &["spec."],
        "StatefulSet" => &STATEFULSET,
        "StorageClass" => &STORAGE_CLASS,
        _ => &[],
    };
    changes
        .iter()
        .map(|c| c.path.as_str())
        .filter(|path| fields.iter().any(|f| is_under(path, f)))
        .collect()
}

/// Whether `path` is `field` or lies below it.
fn is_under(path: &str, field: &str) -> bool {
    field.ends_with('.') && path.starts_with(field)
        || path
            .strip_prefix(field)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

/// The claims firecamp knows of that were provisioned from StorageClass `class`, as
/// `namespace/name`, sorted.
pub(super) fn claims_of_class(class: &str, live: &LiveState) -> Vec<String> {
    let mut claims: Vec<String> = live
        .objects
        .iter()
        .filter(|o| o.key().0 == "PersistentVolumeClaim" && o["spec"]["storageClassName"] == class)
        .map(|o| {
            let (_, namespace, name) = o.key();
            format!("{namespace}/{name}")
        })
        .collect();
    claims.sort();
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(path: &str) -> FieldChange {
        FieldChange {
            path: path.to_owned(),
            before: None,
            after: None,
        }
    }

    #[test]
    fn only_the_fields_of_the_kind_count_and_only_whole_path_segments() {
        let changes = [
            change("spec.serviceName"),
            change("spec.serviceNameSuffix"),
            change("spec.selector.matchLabels.app"),
            change("spec.template.spec.containers[0].image"),
            change("spec.volumeClaimTemplates[0].spec.storageClassName"),
        ];
        assert_eq!(
            immutable_changes("StatefulSet", &changes),
            [
                "spec.serviceName",
                "spec.selector.matchLabels.app",
                "spec.volumeClaimTemplates[0].spec.storageClassName"
            ]
        );
        assert!(immutable_changes("Service", &changes).is_empty());
        assert_eq!(immutable_changes("Job", &changes).len(), changes.len());
        let class = [change("parameters.iops"), change("allowVolumeExpansion")];
        assert_eq!(
            immutable_changes("StorageClass", &class),
            ["parameters.iops"]
        );
    }
}
