//! A watch whose connection goes silent without being closed (a load balancer or NAT dropped
//! it): on the real control plane, behind a loopback proxy that stops forwarding on the
//! connections it holds while new ones go through. The watch cache notices the silence after the
//! client's silence limit, watches again and sees the change made meanwhile; with no limit it
//! would wait for the watch's timeout (30 minutes) and see nothing.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::cluster::TestCluster;
use firecamp::providers::kubernetes::{KubeCache, client_of};
use firecamp_catalog::labels;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A TCP proxy on loopback. [`Proxy::silence`] makes every connection open now stop forwarding,
/// its sockets held open; later connections forward as usual.
struct Proxy {
    port: u16,
    epoch: Arc<AtomicU64>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let epoch = Arc::new(AtomicU64::new(0));
        let shared = Arc::clone(&epoch);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let born = shared.load(Ordering::SeqCst);
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(forward(
                    client_read,
                    server_write,
                    Arc::clone(&shared),
                    born,
                ));
                tokio::spawn(forward(
                    server_read,
                    client_write,
                    Arc::clone(&shared),
                    born,
                ));
            }
        });
        Self { port, epoch }
    }

    fn silence(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }
}

/// Copies `from` to `to` until either ends, or holds both for ever once the proxy's epoch moved
/// past `born`.
async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    epoch: Arc<AtomicU64>,
    born: u64,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let Ok(read) = from.read(&mut buffer).await else {
            return;
        };
        if epoch.load(Ordering::SeqCst) != born {
            let _held = (from, to);
            std::future::pending::<()>().await;
            return;
        }
        if read == 0 || to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

/// A client of the control plane through `proxy`, failing a response silent for `silence`.
async fn client_through(cluster: &TestCluster, proxy: &Proxy, silence: Duration) -> kube::Client {
    let kubeconfig = Kubeconfig::read_from(cluster.plane.kubeconfig()).expect("kubeconfig");
    let mut config =
        kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .expect("config");
    config.cluster_url = format!("https://127.0.0.1:{}", proxy.port)
        .parse()
        .expect("url");
    client_of(config, silence).expect("client")
}

/// The upstream `host:port` of the control plane.
async fn upstream(cluster: &TestCluster) -> String {
    let kubeconfig = Kubeconfig::read_from(cluster.plane.kubeconfig()).expect("kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("config");
    config
        .cluster_url
        .authority()
        .expect("authority")
        .to_string()
}

/// The `value` the cache holds for the ConfigMap `name`.
fn cached_value(cache: &KubeCache, name: &str) -> Option<String> {
    cache
        .snapshot()
        .objects
        .iter()
        .find(|o| o.key().0 == "ConfigMap" && o.key().2 == name)
        .and_then(|o| o["data"]["value"].as_str().map(str::to_owned))
}

/// Makes a firecamp-labelled ConfigMap, watches it through a proxy that then goes silent, edits
/// it, and returns how long the cache took to see the edit (`None`: not within `limit`).
async fn edit_seen_after_silence(silence: Duration, limit: Duration) -> Option<Duration> {
    let cluster = TestCluster::without_nodes().await;
    let name = "silence-probe";
    let config_maps: Api<ConfigMap> = Api::namespaced(cluster.admin.clone(), &cluster.namespace);
    let object: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": name, "labels": {
            labels::MANAGED_BY: labels::FIRECAMP,
            labels::CLUSTER: cluster.name,
        }},
        "data": {"value": "before"},
    }))
    .expect("config map");
    config_maps
        .create(&PostParams::default(), &object)
        .await
        .expect("create");
    let proxy = Proxy::start(upstream(&cluster).await).await;
    let client = client_through(&cluster, &proxy, silence).await;
    let cache = KubeCache::start(&client, &cluster.name);
    assert!(
        cache.wait_synced(Duration::from_secs(60)).await.is_empty(),
        "the cache lists everything"
    );
    assert_eq!(cached_value(&cache, name).as_deref(), Some("before"));
    // The watches start as their lists end; let them open before the proxy goes silent.
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.silence();
    config_maps
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"value": "after"}})),
        )
        .await
        .expect("edit");
    let edited = Instant::now();
    while edited.elapsed() < limit {
        if cached_value(&cache, name).as_deref() == Some("after") {
            return Some(edited.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_gone_silent_is_noticed_after_the_silence_limit_and_resumed() {
    let seen = edit_seen_after_silence(Duration::from_secs(3), Duration::from_secs(30)).await;
    let took = seen.expect("the edit is seen through a new watch after the silence limit");
    eprintln!("an edit made while the watches were silenced was seen after {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_silence_limit_the_silenced_watch_sees_nothing() {
    let seen = edit_seen_after_silence(Duration::from_secs(3600), Duration::from_secs(10)).await;
    assert_eq!(seen, None, "the proxy silences the watch it holds");
}
