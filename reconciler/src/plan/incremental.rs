//! Planning the same cluster again and again (the `run` loop, `plan --watch`), doing again only
//! what changed: spec files that are byte for byte the last ones are not validated or rendered
//! again, and a service whose objects are all known in sync at their live `resourceVersion` (see
//! [`PlanMemo`]) is neither rendered nor compared. Between plans only the services' outlines
//! (members, addresses, references) are kept, not their rendered objects.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use firecamp_catalog::{Inputs, render_platform, render_service};
use firecamp_schema::Limits;
use firecamp_schema::spec::ServiceDocument;
use firecamp_schema::validate::{SourceFile, Validation, validate_files};

use super::kubernetes::Known;
use super::memo::PlanMemo;
use super::owned::Owned;
use super::{Desired, Plan, PlanError, PlanOptions, plan_with};
use crate::live::LiveState;

/// Plans one cluster again and again, reusing what did not change (see the module documentation).
/// Each plan is the plan [`super::plan`] makes from the same inputs.
#[derive(Debug, Default)]
pub struct Planner {
    specs: Option<Specs>,
    memo: PlanMemo,
}

/// The spec set last loaded.
#[derive(Debug)]
struct Specs {
    /// Fingerprint of the files' paths and contents; `None` when a file could not be read.
    files: Option<u64>,
    /// The valid services' documents, by name: what a service is rendered from.
    documents: BTreeMap<String, ServiceDocument>,
    /// The desired state; services' objects only while a plan needs them.
    desired: Desired,
}

impl Planner {
    /// A planner that knows nothing yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the spec files as read now. Unless they are the files of the last call, they are
    /// validated and rendered; the validation is returned when it was done.
    ///
    /// # Errors
    /// When the set has no valid Cluster, or a service cannot be rendered (the planner then knows
    /// no spec set until the next successful load).
    pub fn load(
        &mut self,
        root: &Path,
        files: Vec<SourceFile>,
        limits: &Limits,
    ) -> Result<Option<Validation>, PlanError> {
        let fingerprint = files_fingerprint(&files);
        if fingerprint.is_some() && self.specs.as_ref().map(|s| s.files) == Some(fingerprint) {
            return Ok(None);
        }
        self.specs = None;
        self.memo.forget();
        let validation = validate_files(root, files, limits);
        let desired = Desired::from_validation(&validation)?;
        let documents = validation
            .services
            .iter()
            .map(|s| (s.name().to_owned(), s.clone()))
            .collect();
        self.specs = Some(Specs {
            files: fingerprint,
            documents,
            desired,
        });
        Ok(Some(validation))
    }

    /// The desired state of the spec set last loaded (services without their objects).
    #[must_use]
    pub fn desired(&self) -> Option<&Desired> {
        self.specs.as_ref().map(|s| &s.desired)
    }

    /// What the last plan learnt.
    #[must_use]
    pub const fn memo(&self) -> &PlanMemo {
        &self.memo
    }

    /// Plans the changes that make `live` match the spec set last loaded.
    ///
    /// # Errors
    /// See [`PlanError`]; [`PlanError::NoCluster`] when no spec set is loaded.
    pub fn plan(&mut self, live: &LiveState, options: PlanOptions) -> Result<Plan, PlanError> {
        let specs = self.specs.as_mut().ok_or(PlanError::NoCluster)?;
        let mut owned = Owned::new(&live.objects, &specs.desired.cluster.metadata.name);
        let fresh = self.memo.fresh_groups(&mut owned);
        let planned = specs.render(&fresh).and_then(|()| {
            let known = Known {
                memo: &self.memo,
                fresh: &fresh,
            };
            plan_with(&specs.desired, live, options, owned, Some(known))
        });
        specs.forget_objects();
        let (plan, observed) = planned?;
        self.memo.learn(&fresh, observed);
        Ok(plan)
    }
}

impl Specs {
    /// Renders the objects of every group not known in sync that has none.
    fn render(&mut self, fresh: &BTreeSet<String>) -> Result<(), PlanError> {
        let Desired {
            cluster,
            services,
            platform,
            ..
        } = &mut self.desired;
        let inputs = Inputs {
            cluster,
            services: &self.documents,
        };
        if platform.is_empty() && !fresh.contains("") {
            *platform = render_platform(inputs);
        }
        for service in services.iter_mut() {
            if !service.objects.is_empty() || fresh.contains(&service.name) {
                continue;
            }
            let document = self
                .documents
                .get(&service.name)
                .ok_or_else(|| PlanError::MissingDocument(service.name.clone()))?;
            service.objects = render_service(inputs, document)
                .map_err(|e| PlanError::Render(service.name.clone(), e))?
                .objects;
        }
        Ok(())
    }

    /// Drops the rendered objects: between plans only the outlines are kept.
    fn forget_objects(&mut self) {
        self.desired.platform = Vec::new();
        for service in &mut self.desired.services {
            service.objects = Vec::new();
        }
    }
}

/// A fingerprint of the files' paths and contents, or `None` when one could not be read.
fn files_fingerprint(files: &[SourceFile]) -> Option<u64> {
    let mut hasher = DefaultHasher::new();
    for file in files {
        file.path.hash(&mut hasher);
        file.content.as_ref().ok()?.hash(&mut hasher);
    }
    Some(hasher.finish())
}
