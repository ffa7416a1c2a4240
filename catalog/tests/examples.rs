//! Snapshots of everything the catalog renders for the bundled examples: per service, the desired
//! state (objects, members, AWS needs) with ConfigMap data left out, and its config files as
//! plain text, so every change to rendered output is reviewed.

mod common;

use std::fmt::Write as _;

use common::SpecSet;
use firecamp_catalog::{DesiredService, KubeObject, render_platform};

/// Every ConfigMap file of `objects`, each under a `==> name/key <==` header.
fn config_files(objects: &[KubeObject]) -> String {
    let mut text = String::new();
    for object in objects {
        if let KubeObject::ConfigMap(config_map) = object {
            for (key, content) in config_map.data.iter().flatten() {
                let _ = write!(text, "==> {}/{key} <==\n{content}\n", object.name());
            }
        }
    }
    text
}

fn snapshot(name: &str, desired: &DesiredService) {
    insta::assert_yaml_snapshot!(format!("service-{name}"), desired, { ".objects[].data" => "[see the config snapshot]" });
    insta::assert_snapshot!(format!("config-{name}"), config_files(&desired.objects));
}

#[test]
fn rendered_examples_match_their_snapshots() {
    let set = SpecSet::examples();
    for (name, result) in set.render() {
        match result {
            Ok(desired) => snapshot(&name, &desired),
            Err(error) => panic!("{name}: {error}"),
        }
    }
    let platform = render_platform(set.inputs());
    insta::assert_yaml_snapshot!("platform", platform, { "[].data" => "[see the config snapshot]" });
    insta::assert_snapshot!("config-platform", config_files(&platform));
}
