//! The Route53 provider against moto: zone get-or-create, paged reads, batched changes, and
//! convergence when answers are lost to throttling, `PriorRequestNotComplete` and server errors.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use common::Flaky;
use firecamp_aws::route53::{RecordChange, RecordSet};
use firecamp_aws::testing::Moto;
use firecamp_aws::{AwsSettings, CallCounter, Ec2Provider, Route53Provider};

fn a(name: &str, ip: &str) -> RecordSet {
    RecordSet {
        name: name.to_owned(),
        record_type: "A".to_owned(),
        ttl: 5,
        values: vec![ip.to_owned()],
    }
}

fn fast() -> AwsSettings {
    AwsSettings {
        route53_per_second: 1_000.0,
        ec2_per_second: 1_000.0,
        ..AwsSettings::new("us-east-1")
    }
}

async fn vpc(moto: &Moto) -> String {
    let ec2 = Ec2Provider::new(&moto.sdk(), &fast(), CallCounter::default());
    let vpc = ec2
        .client()
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .expect("vpc");
    vpc.vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_owned()
}

/// moto, a provider on it counting into the counter, and the zone `prod.firecamp.internal` made.
async fn zone_fixture() -> (Moto, Route53Provider, CallCounter, String) {
    let moto = Moto::start();
    let vpc_id = vpc(&moto).await;
    let counter = CallCounter::default();
    let route53 = Route53Provider::new(&moto.sdk(), &fast(), counter.clone());
    let zone = route53
        .zone("prod.firecamp.internal", &vpc_id, "us-east-1")
        .await
        .expect("zone");
    (moto, route53, counter, zone)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_private_zone_is_created_once_then_found() {
    let moto = Moto::start();
    let vpc_id = vpc(&moto).await;
    let counter = CallCounter::default();
    let first = Route53Provider::new(&moto.sdk(), &fast(), counter.clone());
    let created = first
        .zone("prod.firecamp.internal", &vpc_id, "us-east-1")
        .await
        .expect("created");
    assert_eq!(counter.get("route53", "CreateHostedZone"), 1);
    assert_eq!(
        first
            .zone("prod.firecamp.internal", &vpc_id, "us-east-1")
            .await
            .expect("cached"),
        created
    );
    assert_eq!(
        counter.get("route53", "ListHostedZonesByVPC"),
        1,
        "the zone id is remembered"
    );
    let second = Route53Provider::new(&moto.sdk(), &fast(), counter.clone());
    assert_eq!(
        second
            .zone("prod.firecamp.internal", &vpc_id, "us-east-1")
            .await
            .expect("found"),
        created
    );
    assert_eq!(
        counter.get("route53", "CreateHostedZone"),
        1,
        "an existing zone is found, not created again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_five_hundred_changes_take_three_calls_and_read_back_in_pages_of_300() {
    let (_moto, route53, counter, zone) = zone_fixture().await;
    let changes: Vec<RecordChange> = (0..2_500)
        .map(|i| {
            RecordChange::Create(a(
                &format!("m{i}.prod.firecamp.internal"),
                &format!("10.0.{}.{}", i / 250, i % 250 + 4),
            ))
        })
        .collect();
    route53.change(&zone, &changes).await.expect("applied");
    assert_eq!(counter.get("route53", "ChangeResourceRecordSets"), 3);
    let records = route53.read(&zone).await.expect("read");
    assert_eq!(
        records.iter().filter(|r| r.record_type == "A").count(),
        2_500
    );
    let pages = counter.get("route53", "ListResourceRecordSets");
    assert!(
        (9..=10).contains(&pages),
        "2,500+ record sets at 300 a page: {pages} calls"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_records_are_read_again_one_call_each_whatever_the_zone_holds() {
    let (_moto, route53, counter, zone) = zone_fixture().await;
    let mut changes: Vec<RecordChange> = (0..700)
        .map(|i| {
            RecordChange::Create(a(
                &format!("m{i}.prod.firecamp.internal"),
                &format!("10.0.{}.{}", i / 250, i % 250 + 4),
            ))
        })
        .collect();
    let owner = RecordSet {
        name: "m42.prod.firecamp.internal".to_owned(),
        record_type: "TXT".to_owned(),
        ttl: 5,
        values: vec!["\"heritage=firecamp,cluster=prod,service=m,v=1\"".to_owned()],
    };
    changes.push(RecordChange::Create(owner.clone()));
    // A name below m7's, listed right after it: not m7's.
    changes.push(RecordChange::Create(a(
        "x.m7.prod.firecamp.internal",
        "10.0.9.9",
    )));
    route53.change(&zone, &changes).await.expect("applied");
    let before = counter.get("route53", "ListResourceRecordSets");
    let names = [
        "m42.prod.firecamp.internal",
        "m7.prod.firecamp.internal",
        "gone.prod.firecamp.internal",
    ];
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut read = route53.read_names(&zone, &names).await.expect("read");
    read.sort_by(|x, y| (&x.name, &x.record_type).cmp(&(&y.name, &y.record_type)));
    assert_eq!(
        read,
        [
            a("m42.prod.firecamp.internal", "10.0.0.46"),
            owner,
            a("m7.prod.firecamp.internal", "10.0.0.11")
        ]
    );
    assert_eq!(
        counter.get("route53", "ListResourceRecordSets") - before,
        3,
        "one call per name, not the zone's 3 pages"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_batch_is_split_by_name_and_only_the_bad_names_fail() {
    let (_moto, route53, counter, zone) = zone_fixture().await;
    let changes = vec![
        RecordChange::Create(a("good-1.prod.firecamp.internal", "10.0.0.4")),
        RecordChange::Create(a("stray.example.org", "10.0.0.9")),
        RecordChange::Create(a("good-2.prod.firecamp.internal", "10.0.0.5")),
    ];
    let error = route53
        .change(&zone, &changes)
        .await
        .expect_err("one name fails");
    let text = error.to_string();
    assert!(
        text.contains("stray.example.org") && !text.contains("good-1"),
        "{text}"
    );
    let names: Vec<String> = route53
        .read(&zone)
        .await
        .expect("read")
        .into_iter()
        .filter(|r| r.record_type == "A")
        .map(|r| r.name)
        .collect();
    assert_eq!(
        names,
        [
            "good-1.prod.firecamp.internal",
            "good-2.prod.firecamp.internal"
        ]
    );
    assert_eq!(
        counter.get("route53", "ChangeResourceRecordSets"),
        4,
        "one rejected batch, then one per name"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_whose_answers_are_lost_to_throttling_and_server_errors_is_recognised_as_done() {
    let moto = Moto::start();
    let vpc_id = vpc(&moto).await;
    let plain = Route53Provider::new(&moto.sdk(), &fast(), CallCounter::default());
    let zone = plain
        .zone("flaky.firecamp.internal", &vpc_id, "us-east-1")
        .await
        .expect("zone");
    let error = |status: u16, code: &str| {
        (
            status,
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected</Message></Error><RequestId>r</RequestId></ErrorResponse>"
            ),
        )
    };
    let attempts = Arc::new(AtomicU32::new(0));
    let config = aws_sdk_route53::config::Builder::from(&moto.sdk())
        .interceptor(Flaky {
            attempts: attempts.clone(),
            errors: vec![
                error(400, "Throttling"),
                error(400, "PriorRequestNotComplete"),
                error(503, "ServiceUnavailable"),
            ],
        })
        .retry_config(
            aws_sdk_route53::config::retry::RetryConfig::standard()
                .with_max_attempts(8)
                .with_initial_backoff(std::time::Duration::from_millis(10)),
        )
        .build();
    let counter = CallCounter::default();
    let flaky = Route53Provider::with_client(
        aws_sdk_route53::Client::from_conf(config),
        &fast(),
        counter.clone(),
    );
    let changes = vec![
        RecordChange::Create(a("zk-server-a-0.flaky.firecamp.internal", "10.0.16.6")),
        RecordChange::Create(a("zk-server-b-0.flaky.firecamp.internal", "10.0.32.6")),
    ];
    // moto carries out the first attempt; its answer is replaced by throttling, and the SDK's
    // retries meet "already exists" (answered as PriorRequestNotComplete, then 503, then as is).
    flaky
        .change(&zone, &changes)
        .await
        .expect("recognised as done through failures");
    assert_eq!(
        attempts.load(Ordering::SeqCst),
        8,
        "4 attempts of the batch, then per name one change and one read"
    );
    assert_eq!(
        counter.get("route53", "ChangeResourceRecordSets"),
        3,
        "the batch, then one retry per name"
    );
    assert_eq!(
        counter.get("route53", "ListResourceRecordSets"),
        2,
        "each name read back once and found as wanted"
    );
    let names: Vec<String> = plain
        .read(&zone)
        .await
        .expect("read")
        .into_iter()
        .filter(|r| r.record_type == "A")
        .map(|r| r.name)
        .collect();
    assert_eq!(
        names,
        [
            "zk-server-a-0.flaky.firecamp.internal",
            "zk-server-b-0.flaky.firecamp.internal"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_zone_of_the_same_name_in_another_vpc_is_not_taken() {
    let moto = Moto::start();
    let (blue, green) = (vpc(&moto).await, vpc(&moto).await);
    let counter = CallCounter::default();
    let in_blue = Route53Provider::new(&moto.sdk(), &fast(), counter.clone())
        .zone("prod.firecamp.internal", &blue, "us-east-1")
        .await
        .expect("blue's zone");
    let in_green = Route53Provider::new(&moto.sdk(), &fast(), counter.clone())
        .zone("prod.firecamp.internal", &green, "us-east-1")
        .await
        .expect("green's zone");
    assert_ne!(in_blue, in_green, "each VPC has its own private zone");
    assert_eq!(
        counter.get("route53", "CreateHostedZone"),
        2,
        "two creations, each with its own CallerReference"
    );
    let again = Route53Provider::new(&moto.sdk(), &fast(), counter.clone())
        .zone("prod.firecamp.internal", &green, "us-east-1")
        .await
        .expect("found");
    assert_eq!(again, in_green);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_refused_for_access_is_reported_whole_not_split() {
    let (moto, _plain, _, zone) = zone_fixture().await;
    let config = aws_sdk_route53::config::Builder::from(&moto.sdk())
        .interceptor(Flaky {
            attempts: Arc::new(AtomicU32::new(0)),
            errors: vec![(403, "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>injected</Message></Error><RequestId>r</RequestId></ErrorResponse>".to_owned())],
        })
        .build();
    let counter = CallCounter::default();
    let denied = Route53Provider::with_client(
        aws_sdk_route53::Client::from_conf(config),
        &fast(),
        counter.clone(),
    );
    let changes = vec![
        RecordChange::Create(a("m1.prod.firecamp.internal", "10.0.0.4")),
        RecordChange::Create(a("m2.prod.firecamp.internal", "10.0.0.5")),
    ];
    let error = denied
        .change(&zone, &changes)
        .await
        .expect_err("access denied");
    let text = error.to_string();
    assert!(
        text.contains("m1.") && text.contains("m2.") && text.contains("AccessDenied"),
        "{text}"
    );
    assert_eq!(
        counter.get("route53", "ChangeResourceRecordSets"),
        1,
        "no name-by-name retries after a refusal that is not about the batch"
    );
}
