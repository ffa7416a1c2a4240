//! Static-IP members: an init container puts the member's IP on the host's interface before the
//! service starts, and a sidecar removes it when the pod stops (after the service has stopped:
//! Kubernetes stops sidecars last). The IP comes from the allocation ConfigMap the reconciler
//! writes (`<service>-static-ips`, key = member name).

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, ExecAction, Lifecycle, LifecycleHandler,
    PodSpec, SecurityContext, Volume, VolumeMount,
};

use super::pod::field_env;
use super::static_ip_config_map_name;
use crate::blueprint::STATIC_IP_DIR;
use crate::images::NETWORK_TOOLS;

/// Finds the member's IP and the interface of the default route; fails when nothing is allocated.
const FIND_IP: &str = r#"set -eu
ip_file="/etc/firecamp-static-ip/$POD_NAME"
if [ ! -s "$ip_file" ]; then echo "no static IP allocated for $POD_NAME yet" >&2; exit 1; fi
ip_address="$(cat "$ip_file")"
interface="$(ip -o route show default | awk '{print $5; exit}')"
"#;

/// Adds the address unless the interface already has it (a restart on the same node).
const ADD_IP: &str = r#"if ip -o addr show dev "$interface" | grep -q " inet $ip_address/"; then
  echo "$ip_address already on $interface"
else
  ip addr add "$ip_address/32" dev "$interface"
  echo "added $ip_address to $interface"
fi
"#;

/// Removes the address if present.
const REMOVE_IP: &str = r#"if ip -o addr show dev "$interface" | grep -q " inet $ip_address/"; then
  ip addr del "$ip_address/32" dev "$interface"
fi
"#;

/// Adds the static-IP init container, the releasing sidecar and the allocation volume to `spec`.
pub(crate) fn add_to(spec: &mut PodSpec, service: &str) {
    let add = container("static-ip", format!("{FIND_IP}{ADD_IP}"));
    let mut release = container(
        "static-ip-release",
        format!("{FIND_IP}trap 'exit 0' TERM\nwhile true; do sleep 3600 & wait $!; done\n"),
    );
    release.restart_policy = Some("Always".to_owned());
    release.lifecycle = Some(Lifecycle {
        pre_stop: Some(LifecycleHandler {
            exec: Some(ExecAction {
                command: Some(vec![
                    "/bin/sh".to_owned(),
                    "-c".to_owned(),
                    format!("{FIND_IP}{REMOVE_IP}"),
                ]),
            }),
            ..LifecycleHandler::default()
        }),
        ..Lifecycle::default()
    });
    spec.init_containers
        .get_or_insert_with(Vec::new)
        .extend([add, release]);
    spec.volumes.get_or_insert_with(Vec::new).push(Volume {
        name: "static-ip".to_owned(),
        config_map: Some(ConfigMapVolumeSource {
            name: static_ip_config_map_name(service),
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    });
}

fn container(name: &str, script: String) -> Container {
    Container {
        name: name.to_owned(),
        image: Some(NETWORK_TOOLS.to_owned()),
        command: Some(vec!["/bin/sh".to_owned(), "-c".to_owned(), script]),
        env: Some(vec![field_env("POD_NAME", "metadata.name")]),
        security_context: Some(SecurityContext {
            capabilities: Some(Capabilities {
                add: Some(vec!["NET_ADMIN".to_owned()]),
                drop: None,
            }),
            ..SecurityContext::default()
        }),
        volume_mounts: Some(vec![VolumeMount {
            name: "static-ip".to_owned(),
            mount_path: STATIC_IP_DIR.to_owned(),
            read_only: Some(true),
            ..VolumeMount::default()
        }]),
        ..Container::default()
    }
}
