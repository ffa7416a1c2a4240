//! No spec value can add to a rendered file what firecamp did not mean to write. Each free-text
//! spec field that reaches a config file is set (bypassing validation, which refuses most of these
//! first) to generated hostile strings: line breaks of every kind, quotes, escapes, comment and
//! separator characters of each format, and the payloads of the audit. The file is parsed back by
//! its format's reader; it must be the file rendered with a plain marker in that field, with only
//! the marker replaced by the value. Or the render must refuse the value, naming the field.

mod common;

use firecamp_catalog::{KubeObject, RenderError, render_service};
use firecamp_schema::spec::{Service, ServiceDocument};
use proptest::prelude::*;
use serde_json::Value;

use common::SpecSet;
use common::formats::{couchdb_ini, json, pg_hba, redis_conf, substitute, telegraf_toml, yaml};

/// What the benign render carries in the field.
const MARKER: &str = "firecampmarker";

/// A reader of a format: the file's tree, or `None` when it does not parse.
type Reader = fn(&str) -> Option<Value>;

/// A spec field that reaches a rendered file.
struct Field {
    service: &'static str,
    field: &'static str,
    file: &'static str,
    read: Reader,
    set: fn(&mut Service, &str),
}

const FIELDS: &[Field] = &[
    Field {
        service: "orders-cas",
        field: "spec.auditLogging.includedUsers",
        file: "cassandra.yaml",
        read: yaml,
        set: |s, v| {
            if let Service::Cassandra(c) = s {
                let audit = c.audit_logging.as_mut().expect("the example audits");
                audit.included_users = vec!["app".to_owned(), v.to_owned()];
            }
        },
    },
    Field {
        service: "orders-cas",
        field: "spec.auditLogging.includedKeyspaces",
        file: "cassandra.yaml",
        read: yaml,
        set: |s, v| {
            if let Service::Cassandra(c) = s {
                let audit = c.audit_logging.as_mut().expect("the example audits");
                audit.included_keyspaces = vec![v.to_owned()];
            }
        },
    },
    Field {
        service: "kibana",
        field: "spec.proxyBasePath",
        file: "kibana.yml",
        read: yaml,
        set: |s, v| {
            if let Service::Kibana(k) = s {
                k.proxy_base_path = Some(v.to_owned());
            }
        },
    },
    Field {
        service: "consul",
        field: "spec.datacenter",
        file: "consul.json",
        read: json,
        set: |s, v| {
            if let Service::Consul(c) = s {
                c.datacenter = Some(v.to_owned());
            }
        },
    },
    Field {
        service: "consul",
        field: "spec.domain",
        file: "consul.json",
        read: json,
        set: |s, v| {
            if let Service::Consul(c) = s {
                c.domain = v.to_owned();
            }
        },
    },
    Field {
        service: "logs-sink",
        field: "spec.topic",
        file: "sink.json",
        read: json,
        set: |s, v| {
            if let Service::KafkaSinkEs(k) = s {
                k.topic = v.to_owned();
            }
        },
    },
    Field {
        service: "docs-couch",
        field: "spec.cors.origins",
        file: "local.ini",
        read: couchdb_ini,
        set: |s, v| {
            if let Service::CouchDb(c) = s {
                c.cors.as_mut().expect("the example has CORS").origins =
                    vec!["https://a.example".to_owned(), v.to_owned()];
            }
        },
    },
    Field {
        service: "docs-couch",
        field: "spec.cors.headers",
        file: "local.ini",
        read: couchdb_ini,
        set: |s, v| {
            if let Service::CouchDb(c) = s {
                c.cors.as_mut().expect("the example has CORS").headers = vec![v.to_owned()];
            }
        },
    },
    Field {
        service: "billing-pg",
        field: "spec.replicationUser",
        file: "pg_hba.conf",
        read: pg_hba,
        set: |s, v| {
            if let Service::PostgreSql(p) = s {
                p.replication_user = v.to_owned();
            }
        },
    },
    Field {
        service: "sessions-redis",
        field: "spec.configCommandName",
        file: "redis.conf",
        read: redis_conf,
        set: |s, v| {
            if let Service::Redis(r) = s {
                r.config_command_name = Some(v.to_owned());
            }
        },
    },
    Field {
        service: "docs-couch",
        field: "spec.adminUser",
        file: "telegraf.conf",
        read: telegraf_toml,
        set: |s, v| {
            if let Service::CouchDb(c) = s {
                c.admin_user = v.to_owned();
            }
        },
    },
];

/// The file of `field` rendered with the field set to `value`: the service's own file, or for
/// `telegraf.conf` the file of a Telegraf that monitors the service.
fn rendered(set: &SpecSet, field: &Field, value: &str) -> Result<String, RenderError> {
    let mut document: ServiceDocument = set.services[field.service].clone();
    (field.set)(&mut document.body, value);
    let desired = if field.file == "telegraf.conf" {
        let mut services = set.services.clone();
        services.insert(field.service.to_owned(), document);
        let mut telegraf = services["cas-metrics"].clone();
        telegraf.metadata.name = "couch-metrics".to_owned();
        if let Service::Telegraf(t) = &mut telegraf.body {
            t.monitor = field.service.to_owned();
        }
        let inputs = firecamp_catalog::Inputs {
            cluster: &set.cluster,
            services: &services,
        };
        render_service(inputs, &telegraf)?
    } else {
        render_service(set.inputs(), &document)?
    };
    let file = desired.objects.iter().find_map(|o| match o {
        KubeObject::ConfigMap(c) => c.data.as_ref()?.get(field.file).cloned(),
        _ => None,
    });
    Ok(file.unwrap_or_else(|| panic!("{} renders {}", field.service, field.file)))
}

/// Pieces hostile to one format or another, and the audit's payloads.
fn hostile() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\u{85}".to_owned()),
        Just("\u{2028}".to_owned()),
        Just("\u{0}".to_owned()),
        Just("\t".to_owned()),
        Just(" ".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("\\".to_owned()),
        Just("\\x0a".to_owned()),
        Just(";".to_owned()),
        Just("#".to_owned()),
        Just("=".to_owned()),
        Just(":".to_owned()),
        Just(",".to_owned()),
        Just("[admins]".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("- ".to_owned()),
        Just("$(id)".to_owned()),
        Just("${HOME}".to_owned()),
        Just("host all all 0.0.0.0/0 trust".to_owned()),
        Just("authenticator: AllowAllAuthenticator".to_owned()),
        Just("\"enable_script_checks\": true".to_owned()),
        Just("rename-command SHUTDOWN \"\"".to_owned()),
        "[a-zA-Z0-9]{1,4}",
        "\\PC{1,3}",
    ];
    prop::collection::vec(pieces, 1..8).prop_map(|p| p.concat())
}

/// The benign render of each field, read back.
fn benign_trees(set: &SpecSet) -> Vec<Value> {
    FIELDS
        .iter()
        .map(|field| {
            let text = rendered(set, field, MARKER).expect("the marker renders");
            let tree =
                (field.read)(&text).unwrap_or_else(|| panic!("{} parses:\n{text}", field.file));
            assert!(
                tree.to_string().contains(MARKER),
                "{} holds the marker",
                field.file
            );
            tree
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_hostile_value_is_read_back_as_itself_or_refused(value in hostile()) {
        thread_local! {
            static SET: SpecSet = SpecSet::examples();
        }
        SET.with(|set| {
            let benign = benign_trees(set);
            for (field, benign) in FIELDS.iter().zip(&benign) {
                match rendered(set, field, &value) {
                    Ok(text) => {
                        let read = (field.read)(&text);
                        let expected = substitute(benign, MARKER, &value);
                        prop_assert_eq!(
                            read.as_ref(), Some(&expected),
                            "{} {} = {:?} changed {}:\n{}", field.service, field.field, value, field.file, text
                        );
                    }
                    Err(RenderError::Unrepresentable(unwritable)) => {
                        prop_assert_eq!(unwritable.field.as_str(), field.field);
                        prop_assert_eq!(unwritable.file.as_str(), field.file);
                    }
                    Err(other) => prop_assert!(false, "{}: {other}", field.field),
                }
            }
            Ok(())
        })?;
    }
}

#[test]
fn the_audits_payloads_are_refused_or_written_as_one_value() {
    let set = SpecSet::examples();
    let pg = &FIELDS[8];
    let error = rendered(&set, pg, "repl\nhost all all 0.0.0.0/0 trust").expect_err("refused");
    insta::assert_snapshot!(error.to_string(), @"service billing-pg: spec.replicationUser cannot be written to pg_hba.conf: a pg_hba.conf name cannot hold a line break or control character");
    let cas = &FIELDS[0];
    let text = rendered(&set, cas, "x'\nauthenticator: AllowAllAuthenticator").expect("renders");
    let tree = yaml(&text).expect("parses");
    assert_eq!(tree[0]["authenticator"], "PasswordAuthenticator", "{text}");
}

#[test]
fn a_name_that_is_not_a_dns_name_renders_nothing() {
    let set = SpecSet::examples();
    type Set = fn(&mut SpecSet, &str);
    let names: [(&str, Set); 4] = [
        ("Cluster spec.dns.domain", |s, v| {
            s.cluster.spec.dns.domain = Some(v.to_owned());
        }),
        ("Cluster spec.namespace", |s, v| {
            s.cluster.spec.namespace = v.to_owned();
        }),
        ("Cluster spec.zones[1].name", |s, v| {
            s.cluster.spec.zones[1].name = v.to_owned();
        }),
        ("Cluster metadata.name", |s, v| {
            s.cluster.metadata.name = v.to_owned();
        }),
    ];
    for (field, set_name) in names {
        for value in [
            "prod.example.com\nauthenticator: AllowAllAuthenticator",
            "a b",
            "x\"y",
        ] {
            let mut hostile = SpecSet {
                cluster: set.cluster.clone(),
                services: set.services.clone(),
            };
            set_name(&mut hostile, value);
            for (service, result) in hostile.render() {
                match result {
                    Err(RenderError::Unrepresentable(unwritable)) => {
                        assert_eq!(unwritable.field, field, "{service}");
                        assert_eq!(unwritable.file, "the rendered files");
                    }
                    other => panic!("{service} with {field} = {value:?}: {other:?}"),
                }
            }
        }
    }
    let mut renamed = SpecSet {
        cluster: set.cluster.clone(),
        services: set.services.clone(),
    };
    let cas = renamed.services.get_mut("orders-cas").expect("orders-cas");
    cas.metadata.name = "orders-cas\nseeds: evil".to_owned();
    let document = renamed.services["orders-cas"].clone();
    let error = render_service(renamed.inputs(), &document).expect_err("refused");
    insta::assert_snapshot!(error.to_string(), @r#"service orders-cas\nseeds: evil: metadata.name cannot be written to the rendered files: a name written unquoted cannot hold anything but a DNS name (a-z, 0-9, '-' and '.', starting and ending with a letter or digit)"#);
}
