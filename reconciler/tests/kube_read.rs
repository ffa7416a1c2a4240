//! The bulk read pages, on the real API server: a kind with more objects than one page holds
//! (500) is read in full, in one list request per page (the server's `continue` tokens), and only
//! the objects of this cluster are taken.

mod common;

use std::sync::atomic::Ordering;

use common::cluster::TestCluster;
use firecamp::providers::kubernetes::{PAGE_SIZE, read_live};
use firecamp_catalog::labels;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, PostParams};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_with_more_objects_than_a_page_is_read_in_full_page_by_page() {
    let cluster = TestCluster::without_nodes().await;
    let api = Api::<ConfigMap>::namespaced(cluster.admin.clone(), &cluster.namespace);
    let count = 2 * PAGE_SIZE as usize + 1;
    for i in 0..count + 10 {
        // Ten belong to another cluster.
        let owner = if i < count {
            cluster.name.as_str()
        } else {
            "staging"
        };
        let map: ConfigMap = serde_json::from_value(serde_json::json!({
            "metadata": {"name": format!("config-{i}"), "namespace": cluster.namespace,
                         "labels": {labels::MANAGED_BY: labels::FIRECAMP, labels::CLUSTER: owner}},
            "data": {"n": i.to_string()}
        }))
        .expect("config map");
        api.create(&PostParams::default(), &map)
            .await
            .expect("create");
    }
    cluster.reset_counts();
    let live = read_live(&cluster.client, &cluster.name)
        .await
        .expect("read");
    let maps = live
        .objects
        .iter()
        .filter(|o| o["kind"] == "ConfigMap")
        .count();
    assert_eq!(
        maps, count,
        "every ConfigMap of the cluster, none of another"
    );
    let lists = cluster.requests.lists.load(Ordering::SeqCst);
    let kinds = firecamp::providers::kubernetes::managed_kinds().len() + 2;
    assert_eq!(
        lists,
        kinds + 2,
        "one list per kind and page: ConfigMaps take 3 pages"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_id_is_the_uid_of_the_kube_system_namespace() {
    let cluster = TestCluster::without_nodes().await;
    let kube_system = Api::<Namespace>::all(cluster.admin.clone())
        .get("kube-system")
        .await
        .expect("kube-system, made by the API server");
    let live = read_live(&cluster.client, &cluster.name)
        .await
        .expect("read");
    assert!(kube_system.metadata.uid.is_some());
    assert_eq!(live.owner, kube_system.metadata.uid);
}
