//! A stand-in cluster for measuring the `firecamp` binary as its own process: kube-fake-client
//! with the tests' stand-in controllers served over HTTP/1.1 on 127.0.0.1, and moto with a
//! 3-zone network. Writes into the folder given as argument a kubeconfig, the 1,000-service
//! benchmark specs (in `work/specs/`, pushed to the git repository `specs.git`) pointed at the moto
//! network, and `aws-endpoint` (moto's URL); then serves until killed.
//!
//! ```sh
//! cargo run --example stand_in_cluster -- /tmp/idle &
//! KUBECONFIG=/tmp/idle/kubeconfig AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x \
//!   firecamp run specs --git /tmp/idle/specs.git --aws-endpoint-url "$(cat /tmp/idle/aws-endpoint)"
//! ```

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../benches/support/mod.rs"]
mod support;

use std::convert::Infallible;
use std::path::PathBuf;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use common::publish;

async fn forward(client: kube::Client, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let request = Request::from_parts(parts, kube::client::Body::from(body.to_vec()));
    match client.send(request).await {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            let bytes = body.collect_bytes().await.unwrap_or_default();
            Response::from_parts(parts, Full::new(bytes))
        }
        Err(error) => {
            let mut response = Response::new(Full::new(Bytes::from(error.to_string())));
            *response.status_mut() = hyper::StatusCode::BAD_GATEWAY;
            response
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: stand_in_cluster <dir>"),
    );
    let world = common::world::world().await;
    let work = dir.join("work");
    let specs = work.join("specs");
    support::write_specs(&specs, 500);
    support::point_at(&specs, &world.network.vpc_id, &world.network.subnets);
    let bare = dir.join("specs.git");
    publish(&work, &bare, "1,000 services");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    std::fs::write(
        dir.join("kubeconfig"),
        format!(
            "apiVersion: v1\nkind: Config\nclusters: [{{name: stand-in, cluster: {{server: \"http://{address}\"}}}}]\n\
             users: [{{name: firecamp, user: {{}}}}]\n\
             contexts: [{{name: stand-in, context: {{cluster: stand-in, user: firecamp}}}}]\ncurrent-context: stand-in\n"
        ),
    )
    .expect("kubeconfig");
    std::fs::write(dir.join("aws-endpoint"), world.moto_url()).expect("endpoint");
    println!("serving on {address}; moto on {}", world.moto_url());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let client = world.cluster.client.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let client = client.clone();
                async move { Ok::<_, Infallible>(forward(client, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
