//! Shared by the catalog's integration tests: the example spec set, and the OpenAPI validator.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of this module"
)]

pub mod formats;
pub mod host;
pub mod mapping;
pub mod pod;
pub mod pods;
pub mod shell;
pub mod volumes;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use firecamp_catalog::{
    DesiredService, Inputs, KubeObject, RenderError, render_platform, render_service,
};
use firecamp_schema::spec::{ClusterDocument, ServiceDocument};
use firecamp_schema::validate::{SourceFile, validate_files};
use firecamp_schema::{Limits, Validation, validate_path};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The folder of the Maven Central jars (scripts/maven-jars.sh, which scripts/test.sh runs).
pub fn maven_jars() -> PathBuf {
    let dir = std::env::var_os("FIRECAMP_MAVEN_JARS")
        .map_or_else(|| PathBuf::from("/var/tmp/firecamp-maven"), PathBuf::from);
    assert!(
        dir.join("logback-classic-1.3.15.jar").is_file(),
        "no logback jars in {}: run `bash scripts/maven-jars.sh` (scripts/test.sh does)",
        dir.display()
    );
    dir
}

/// The validated example spec set.
pub struct SpecSet {
    pub cluster: ClusterDocument,
    pub services: BTreeMap<String, ServiceDocument>,
}

impl SpecSet {
    /// The valid spec set of a validation that must have found no problem.
    pub fn from_validation(validation: Validation) -> Self {
        assert!(validation.is_valid(), "{:#?}", validation.diagnostics);
        let services = validation
            .services
            .into_iter()
            .map(|s| (s.name().to_owned(), s))
            .collect();
        Self {
            cluster: validation.cluster.expect("a Cluster"),
            services,
        }
    }

    /// Loads a spec folder that must be valid.
    pub fn load(path: &Path) -> Self {
        Self::from_validation(validate_path(path, &Limits::default()).expect("readable specs"))
    }

    /// A spec set from YAML text, which must be valid.
    pub fn from_yaml(text: &str) -> Self {
        let sources = vec![SourceFile::in_memory("specs.yaml", text)];
        Self::from_validation(validate_files(
            Path::new("specs"),
            sources,
            &Limits::default(),
        ))
    }

    /// The bundled examples.
    pub fn examples() -> Self {
        Self::load(&repo().join("examples"))
    }

    /// The render inputs.
    pub fn inputs(&self) -> Inputs<'_> {
        Inputs {
            cluster: &self.cluster,
            services: &self.services,
        }
    }

    /// Renders every service.
    pub fn render(&self) -> BTreeMap<String, Result<DesiredService, RenderError>> {
        self.services
            .values()
            .map(|s| (s.name().to_owned(), render_service(self.inputs(), s)))
            .collect()
    }

    /// Every object: platform objects, then each rendered service's.
    pub fn all_objects(&self) -> Vec<KubeObject> {
        let mut objects = render_platform(self.inputs());
        for desired in self.render().into_values().flatten() {
            objects.extend(desired.objects);
        }
        objects
    }
}

/// The file `name` of the rendered ConfigMap of the example service `service`.
pub fn example_file(service: &str, name: &str) -> String {
    let set = SpecSet::examples();
    let desired = render_service(set.inputs(), &set.services[service]).expect("renders");
    desired
        .objects
        .iter()
        .find_map(|o| match o {
            KubeObject::ConfigMap(c) => c.data.as_ref()?.get(name).cloned(),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{service} renders {name}"))
}

/// Validates `objects` against the OpenAPI schema of Kubernetes 1.37 with `kubernetes-validate
/// --strict` (unknown fields rejected). Returns whether all passed, and the tool's report.
pub fn kubernetes_validate(objects: &[KubeObject]) -> (bool, String) {
    let values: Vec<serde_json::Value> = objects
        .iter()
        .map(|o| serde_json::to_value(o).expect("serializable"))
        .collect();
    kubernetes_validate_json(&values)
}

/// As [`kubernetes_validate`], for raw JSON manifests. The tool is installed in the repository's
/// virtualenv by scripts/test.sh (or named by `FIRECAMP_KUBERNETES_VALIDATE`); a missing tool
/// fails the test.
pub fn kubernetes_validate_json(manifests: &[serde_json::Value]) -> (bool, String) {
    let tool = std::env::var_os("FIRECAMP_KUBERNETES_VALIDATE").map_or_else(
        || repo().join(".venv/bin/kubernetes-validate"),
        PathBuf::from,
    );
    assert!(
        tool.exists(),
        "{} is missing: run `bash scripts/test.sh` once to install the test tools",
        tool.display()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let mut files = Vec::new();
    for (i, manifest) in manifests.iter().enumerate() {
        let path = dir.path().join(format!("{i:03}.yaml"));
        std::fs::write(
            &path,
            serde_json::to_string_pretty(manifest).expect("serializable"),
        )
        .expect("write");
        files.push(path);
    }
    let output = Command::new(&tool)
        .args(["--strict", "-k", "1.37.0"])
        .args(&files)
        .output()
        .expect("kubernetes-validate runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), report)
}
