//! Static-IP members: an init container puts the member's IP on the node's firecamp interface
//! (once EC2 lists it there) before the service starts, and a sidecar removes it when the pod
//! stops (after the service has stopped: Kubernetes stops sidecars last). The IP comes from the
//! allocation ConfigMap the reconciler writes (`<service>-static-ips`, key = member name); the
//! script from the service's own ConfigMap.

use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, ExecAction, Lifecycle, LifecycleHandler,
    PodSpec, SecurityContext, Volume, VolumeMount,
};

use super::pod::field_env;
use super::static_ip_config_map_name;
use crate::blueprint::{Blueprint, CONFIG_DIR, STATIC_IP_DIR, env as env_var};
use crate::images::NETWORK_TOOLS;

/// The node side of a member's static IP: `up` puts it on the node's firecamp interface, `down`
/// takes it off (see the script's header and `docs/static-ips.md`).
const SCRIPT: &str = include_str!("static_ip.sh");

/// How long the init container waits for EC2 to list the member's address on the node.
const WAIT_SECONDS: &str = "300";

/// Adds the static-IP init container, the releasing sidecar and the allocation volume to `spec`.
/// `reserved_cidr` is the zone's static range when it is a reservation in the nodes' subnet.
pub(crate) fn add_to(spec: &mut PodSpec, service: &str, reserved_cidr: Option<&str>) {
    let add = container("static-ip", script_command("up"), reserved_cidr);
    let mut release = container(
        "static-ip-release",
        vec![
            "/bin/sh".to_owned(),
            "-c".to_owned(),
            "trap 'exit 0' TERM\nwhile true; do sleep 3600 & wait $!; done\n".to_owned(),
        ],
        reserved_cidr,
    );
    release.restart_policy = Some("Always".to_owned());
    release.lifecycle = Some(Lifecycle {
        pre_stop: Some(LifecycleHandler {
            exec: Some(ExecAction {
                command: Some(script_command("down")),
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

/// The script's file name in the service's ConfigMap (mounted at [`CONFIG_DIR`]): one copy per
/// service rather than two in every pod template.
const SCRIPT_FILE: &str = "static-ip.sh";

/// Adds the node-side script to the files of the service's ConfigMap.
pub(crate) fn add_script(bp: &mut Blueprint) {
    bp.file(SCRIPT_FILE, SCRIPT.to_owned());
}

/// `sh <config dir>/static-ip.sh <mode>`.
fn script_command(mode: &str) -> Vec<String> {
    vec![
        "/bin/sh".to_owned(),
        format!("{CONFIG_DIR}/{SCRIPT_FILE}"),
        mode.to_owned(),
    ]
}

fn container(name: &str, command: Vec<String>, reserved_cidr: Option<&str>) -> Container {
    let mut env = vec![
        field_env("POD_NAME", "metadata.name"),
        // Kubernetes expands $(POD_NAME), defined just above.
        env_var("STATIC_IP_FILE", format!("{STATIC_IP_DIR}/$(POD_NAME)")),
        env_var("STATIC_IP_WAIT_SECONDS", WAIT_SECONDS),
    ];
    if let Some(cidr) = reserved_cidr {
        env.push(env_var("STATIC_IP_RANGE", cidr));
    }
    Container {
        name: name.to_owned(),
        image: Some(NETWORK_TOOLS.to_owned()),
        command: Some(command),
        env: Some(env),
        security_context: Some(SecurityContext {
            capabilities: Some(Capabilities {
                add: Some(vec!["NET_ADMIN".to_owned()]),
                drop: None,
            }),
            ..SecurityContext::default()
        }),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "static-ip".to_owned(),
                mount_path: STATIC_IP_DIR.to_owned(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "config".to_owned(),
                mount_path: CONFIG_DIR.to_owned(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
        ]),
        ..Container::default()
    }
}
