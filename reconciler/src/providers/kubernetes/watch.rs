//! The live model kept current by watches, as kube-runtime's reflectors and client-go's informers
//! keep theirs: one watcher per managed kind (selected by firecamp's labels), one on the members'
//! pods and one on the nodes. Each keeps only what the plan reads (objects as the bulk read keeps
//! them, made compact against dictionaries of alike objects; a pod's placement; a node's zone,
//! address and instance), so a pod's or node's status heartbeat that changes none of that is not
//! a change. A watch that breaks (410 Gone, a dropped connection) lists again and resumes; the
//! relisted set replaces the old one at once, so an object deleted meanwhile goes. The cache
//! costs nothing at idle but one watch call per kind per watch timeout.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Node as KubeNode, Pod};
use kube::api::{Api, DynamicObject};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Client, ResourceExt};
use tokio::sync::watch as signal;
use tokio::task::JoinHandle;

use super::kinds::managed_kinds;
use super::read::{firecamp_selector, node, placement, served_object, static_ips};
use crate::live::{Dictionaries, LiveObject, LiveState, MemberPlacement, Node};

/// How long one watch call lasts before the watcher opens the next (the server's default is
/// 30 to 60 minutes, `--min-request-timeout`). Long, so a settled cluster costs few calls; a
/// connection that dies silently is noticed sooner, after [`super::SILENCE_LIMIT`] without a
/// bookmark.
pub const WATCH_TIMEOUT: Duration = Duration::from_secs(1800);

/// The live Kubernetes state, kept current by watches. Dropping it stops the watches.
#[derive(Debug)]
pub struct KubeCache {
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<CacheState>,
    /// Bumped on every change the plan could see.
    generation: signal::Sender<u64>,
}

#[derive(Debug, Default)]
struct CacheState {
    /// One store per managed kind, in [`managed_kinds`]' order.
    kinds: Vec<Store<LiveObject>>,
    /// What the kinds' objects are compressed against.
    dictionaries: Dictionaries,
    pods: Store<MemberPlacement>,
    nodes: Store<Node>,
}

/// What one watcher has seen.
#[derive(Debug)]
struct Store<T> {
    /// What the watcher calls the objects, for errors and logs.
    what: String,
    items: BTreeMap<(String, String), T>,
    /// Objects of a list in progress; they replace `items` when it is done.
    relisting: Option<BTreeMap<(String, String), T>>,
    /// A first list has completed.
    synced: bool,
}

impl<T> Default for Store<T> {
    fn default() -> Self {
        Self {
            what: String::new(),
            items: BTreeMap::new(),
            relisting: None,
            synced: false,
        }
    }
}

impl<T: PartialEq> Store<T> {
    fn named(what: &str) -> Self {
        Self {
            what: what.to_owned(),
            ..Self::default()
        }
    }

    /// Takes a watch event, reduced by `keep` (`None`: not kept). True when the plan's view
    /// changed.
    fn handle<K: ResourceExt>(
        &mut self,
        event: Event<K>,
        mut keep: impl FnMut(K) -> Option<T>,
    ) -> bool {
        let key = |object: &K| (object.namespace().unwrap_or_default(), object.name_any());
        match event {
            Event::Init => {
                self.relisting = Some(BTreeMap::new());
                false
            }
            Event::InitApply(object) => {
                let k = key(&object);
                if let (Some(buffer), Some(value)) = (self.relisting.as_mut(), keep(object)) {
                    buffer.insert(k, value);
                }
                false
            }
            Event::InitDone => {
                let listed = self.relisting.take().unwrap_or_default();
                let changed = listed != self.items || !self.synced;
                self.items = listed;
                self.synced = true;
                changed
            }
            Event::Apply(object) => {
                let k = key(&object);
                match keep(object) {
                    Some(value) if self.items.get(&k) == Some(&value) => false,
                    Some(value) => {
                        self.items.insert(k, value);
                        true
                    }
                    None => self.items.remove(&k).is_some(),
                }
            }
            Event::Delete(object) => self.items.remove(&key(&object)).is_some(),
        }
    }
}

impl Shared {
    fn update(&self, change: impl FnOnce(&mut CacheState) -> bool) {
        let changed = change(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner));
        if changed {
            self.generation.send_modify(|g| *g += 1);
        }
    }
}

impl KubeCache {
    /// Starts the watches of `cluster`'s objects, its members' pods and the nodes.
    #[must_use]
    pub fn start(client: &Client, cluster: &str) -> Self {
        let selector = firecamp_selector(cluster);
        let kinds = managed_kinds();
        let state = CacheState {
            kinds: kinds
                .iter()
                .map(|k| Store::named(&k.resource.plural))
                .collect(),
            dictionaries: Dictionaries::new(),
            pods: Store::named("pods"),
            nodes: Store::named("nodes"),
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            generation: signal::Sender::new(0),
        });
        let config = || {
            watcher::Config::default()
                .timeout(u32::try_from(WATCH_TIMEOUT.as_secs()).unwrap_or(u32::MAX))
                .page_size(super::read::PAGE_SIZE)
        };
        let mut tasks = Vec::new();
        for (slot, kind) in kinds.into_iter().enumerate() {
            let api: Api<DynamicObject> = Api::all_with(client.clone(), &kind.resource);
            let resource = kind.resource;
            tasks.push(spawn_watch(
                resource.plural.clone(),
                api,
                config().labels(&selector),
                Arc::clone(&shared),
                move |state, event| {
                    let CacheState {
                        kinds,
                        dictionaries,
                        ..
                    } = state;
                    kinds[slot].handle(event, |o| {
                        Some(dictionaries.compact(LiveObject::new(served_object(o, &resource))))
                    })
                },
            ));
        }
        tasks.push(spawn_watch(
            "pods".to_owned(),
            Api::<Pod>::all(client.clone()),
            config().labels(&selector),
            Arc::clone(&shared),
            |state, event| state.pods.handle(event, |p| placement(&p)),
        ));
        tasks.push(spawn_watch(
            "nodes".to_owned(),
            Api::<KubeNode>::all(client.clone()),
            config(),
            Arc::clone(&shared),
            |state, event| state.nodes.handle(event, |n| node(&n)),
        ));
        Self { shared, tasks }
    }

    /// Bumped on every change the plan could see; `changed()` on it waits for the next one.
    #[must_use]
    pub fn changes(&self) -> signal::Receiver<u64> {
        self.shared.generation.subscribe()
    }

    /// The number of changes seen so far.
    #[must_use]
    pub fn generation(&self) -> u64 {
        *self.shared.generation.borrow()
    }

    /// What has not completed a first list yet (empty once the cache is synced).
    #[must_use]
    pub fn unsynced(&self) -> Vec<String> {
        let state = self.lock();
        let waiting = |synced: bool, what: &String| (!synced).then(|| what.clone());
        state
            .kinds
            .iter()
            .filter_map(|s| waiting(s.synced, &s.what))
            .chain(waiting(state.pods.synced, &state.pods.what))
            .chain(waiting(state.nodes.synced, &state.nodes.what))
            .collect()
    }

    /// Waits until every watcher has listed once, at most `limit`. Returns what is still
    /// unsynced (empty on success). A first list always bumps the generation.
    pub async fn wait_synced(&self, limit: Duration) -> Vec<String> {
        let mut changes = self.changes();
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let waiting = self.unsynced();
            if waiting.is_empty() {
                return waiting;
            }
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => return self.unsynced(),
                _ = changes.changed() => {}
            }
        }
    }

    /// The Kubernetes part of the live state, as the bulk read ([`super::read_live`]) makes it.
    #[must_use]
    pub fn snapshot(&self) -> LiveState {
        let state = self.lock();
        let mut objects: Vec<LiveObject> = state
            .kinds
            .iter()
            .flat_map(|s| s.items.values().cloned())
            .collect();
        objects.sort_by(|a, b| a.key().cmp(&b.key()));
        let mut members: Vec<MemberPlacement> = state.pods.items.values().cloned().collect();
        members.sort_by(|a, b| a.member.cmp(&b.member));
        let nodes: Vec<Node> = state.nodes.items.values().cloned().collect();
        let static_ips = static_ips(&objects);
        LiveState {
            objects,
            members,
            nodes,
            static_ips,
            ..LiveState::default()
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for KubeCache {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Runs one watcher until the cache is dropped, feeding `handle` its events; errors are logged
/// and retried with kube-runtime's default backoff.
fn spawn_watch<K>(
    what: String,
    api: Api<K>,
    config: watcher::Config,
    shared: Arc<Shared>,
    handle: impl Fn(&mut CacheState, Event<K>) -> bool + Send + 'static,
) -> JoinHandle<()>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    tokio::spawn(async move {
        let mut stream = watcher::watcher(api, config).default_backoff().boxed();
        while let Some(event) = stream.next().await {
            match event {
                Ok(event) => shared.update(|state| handle(state, event)),
                Err(error) => tracing::warn!(watch = %what, %error, "watch failed; retrying"),
            }
        }
    })
}
