//! One module per catalog kind: its spec type, defaults and rules.

pub mod cassandra;
pub mod consul;
pub mod couchdb;
pub mod elasticsearch;
pub mod kafka;
pub mod kafka_manager;
pub mod kafka_sink_es;
pub mod kibana;
pub mod logstash;
pub mod mongodb;
pub mod postgresql;
pub mod redis;
pub mod telegraf;
pub mod zookeeper;
