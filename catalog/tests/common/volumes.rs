//! A harness pod's volumes ([`super::pods`]), as the kubelet would mount them, made as folders
//! under its root: the service's ConfigMap (all its keys, or one at a `subPath`), the static-IP
//! record (member name → address), Secret projections (the harness's test values), emptyDirs and
//! volume claims (empty, writable by the pod's `fsGroup` as the kubelet makes them).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use firecamp_catalog::{DesiredService, KubeObject};
use k8s_openapi::api::core::v1::{PodSpec, Volume};

use super::host::{open_to_all, running_as_root};
use super::pods::secret_value;

/// Makes every volume the first container of `spec` mounts under `root`, each file's text
/// passed through `map` (the pod's [`super::mapping::Mapping`]).
pub fn materialise(
    root: &Path,
    spec: &PodSpec,
    desired: &DesiredService,
    addresses: &BTreeMap<String, Ipv4Addr>,
    map: &dyn Fn(&str) -> String,
) {
    let owner = writable_owner(spec);
    for mount in spec.containers[0].volume_mounts.iter().flatten() {
        let target = root.join(mount.mount_path.trim_start_matches('/'));
        let volume = spec.volumes.iter().flatten().find(|v| v.name == mount.name);
        let files = match volume {
            None => {
                // A volume claim: an empty volume the pod's group may write.
                writable_folder(&target, owner);
                continue;
            }
            Some(v) if v.empty_dir.is_some() => {
                writable_folder(&target, owner);
                continue;
            }
            Some(v) => volume_files(v, desired, addresses),
        };
        if let Some(key) = &mount.sub_path {
            let text = files
                .get(key)
                .unwrap_or_else(|| panic!("no key {key} to mount"));
            write_file(&target, &map(text), 0o644);
            continue;
        }
        std::fs::create_dir_all(&target).expect("volume folder");
        open_to_all(&target);
        let secret = volume.is_some_and(|v| v.projected.is_some());
        for (key, text) in &files {
            let file = target.join(key);
            write_file(&file, &map(text), file_mode(volume));
            // The kubelet gives projected files to the pod's fsGroup.
            if let (true, Some((uid, gid)), true) = (secret, owner, running_as_root()) {
                std::os::unix::fs::chown(&file, Some(uid), Some(gid)).expect("chown");
            }
        }
    }
}

/// The files of a ConfigMap or Secret volume, by key.
fn volume_files(
    volume: &Volume,
    desired: &DesiredService,
    addresses: &BTreeMap<String, Ipv4Addr>,
) -> BTreeMap<String, String> {
    if let Some(source) = &volume.config_map {
        if source.name.ends_with("-static-ips") {
            return addresses
                .iter()
                .map(|(member, address)| (member.clone(), address.to_string()))
                .collect();
        }
        return desired
            .objects
            .iter()
            .find_map(|o| match o {
                KubeObject::ConfigMap(c) if c.metadata.name.as_deref() == Some(&source.name) => {
                    c.data.clone()
                }
                _ => None,
            })
            .unwrap_or_else(|| panic!("the ConfigMap {} is not rendered", source.name))
            .into_iter()
            .collect();
    }
    let projected = volume.projected.as_ref().unwrap_or_else(|| {
        panic!("no stand-in for the volume {}", volume.name);
    });
    projected
        .sources
        .iter()
        .flatten()
        .filter_map(|s| s.secret.as_ref())
        .flat_map(|secret| {
            secret
                .items
                .iter()
                .flatten()
                .map(|item| (item.path.clone(), secret_value(&secret.name, &item.key)))
        })
        .collect()
}

/// The mode the kubelet gives a volume's files (ConfigMaps 0644, projections their default).
fn file_mode(volume: Option<&Volume>) -> u32 {
    volume
        .and_then(|v| v.projected.as_ref())
        .and_then(|p| p.default_mode)
        .map_or(0o644, |mode| u32::try_from(mode).expect("a mode"))
}

/// `(uid, gid)` that owns writable volumes: the container's user and the pod's `fsGroup`.
fn writable_owner(spec: &PodSpec) -> Option<(u32, u32)> {
    let context = spec.security_context.as_ref();
    let uid = spec.containers[0]
        .security_context
        .as_ref()
        .and_then(|s| s.run_as_user)
        .or(context.and_then(|c| c.run_as_user))?;
    let gid = context.and_then(|c| c.fs_group).unwrap_or(uid);
    Some((
        u32::try_from(uid).expect("a uid"),
        u32::try_from(gid).expect("a gid"),
    ))
}

fn writable_folder(path: &Path, owner: Option<(u32, u32)>) {
    std::fs::create_dir_all(path).expect("volume folder");
    if let Some((uid, gid)) = owner
        && running_as_root()
    {
        std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o2775)).expect("chmod");
    } else {
        open_to_all(path);
    }
}

fn write_file(path: &Path, text: &str, mode: u32) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("folder");
    }
    std::fs::write(path, text).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
