//! The Route53 provider against moto: zone get-or-create, paged reads, batched changes.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_private_zone_is_created_once_then_found() {
    let moto = Moto::start();
    let vpc_id = vpc(&moto).await;
    let counter = CallCounter::default();
    let first = Route53Provider::new(&moto.sdk(), &fast(), counter.clone());
    let created = first
        .zone("prod-firecamp.com", &vpc_id, "us-east-1")
        .await
        .expect("created");
    assert_eq!(counter.get("route53", "CreateHostedZone"), 1);
    assert_eq!(
        first
            .zone("prod-firecamp.com", &vpc_id, "us-east-1")
            .await
            .expect("cached"),
        created
    );
    assert_eq!(
        counter.get("route53", "ListHostedZonesByName"),
        1,
        "the zone id is remembered"
    );
    let second = Route53Provider::new(&moto.sdk(), &fast(), counter.clone());
    assert_eq!(
        second
            .zone("prod-firecamp.com", &vpc_id, "us-east-1")
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
    let moto = Moto::start();
    let vpc_id = vpc(&moto).await;
    let counter = CallCounter::default();
    let route53 = Route53Provider::new(&moto.sdk(), &fast(), counter.clone());
    let zone = route53
        .zone("prod-firecamp.com", &vpc_id, "us-east-1")
        .await
        .expect("zone");
    let changes: Vec<RecordChange> = (0..2_500)
        .map(|i| {
            RecordChange::Create(a(
                &format!("m{i}.prod-firecamp.com"),
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
async fn a_rejected_batch_is_split_by_name_and_only_the_bad_names_fail() {
    let moto = Moto::start();
    let vpc_id = vpc(&moto).await;
    let counter = CallCounter::default();
    let route53 = Route53Provider::new(&moto.sdk(), &fast(), counter.clone());
    let zone = route53
        .zone("prod-firecamp.com", &vpc_id, "us-east-1")
        .await
        .expect("zone");
    let changes = vec![
        RecordChange::Create(a("good-1.prod-firecamp.com", "10.0.0.4")),
        RecordChange::Delete(a("missing.prod-firecamp.com", "10.0.0.9")),
        RecordChange::Create(a("good-2.prod-firecamp.com", "10.0.0.5")),
    ];
    let error = route53
        .change(&zone, &changes)
        .await
        .expect_err("one name fails");
    let text = error.to_string();
    assert!(
        text.contains("missing.prod-firecamp.com") && !text.contains("good-1"),
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
        ["good-1.prod-firecamp.com", "good-2.prod-firecamp.com"]
    );
    assert_eq!(
        counter.get("route53", "ChangeResourceRecordSets"),
        4,
        "one rejected batch, then one per name"
    );
}
