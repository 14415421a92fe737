//! The loop against the repo's real local broker (`scripts/kafka-local.sh up`, which CI
//! starts before the tests). Few and fast: the heavy scenarios are the ava tests.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use blazerules_core::RuleSet;
use blazerules_stream::{run, OutputMode, RuleCell, StreamConfig};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

fn brokers() -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/kafka-local.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg("up")
        .output()
        .expect("run scripts/kafka-local.sh up");
    assert!(
        out.status.success(),
        "kafka-local.sh up failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn unique(name: &str) -> String {
    let ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("stream-rs-{name}-{}-{ns}", std::process::id())
}

fn rules(version: &str) -> RuleSet {
    let doc = serde_json::json!({"ruleset": {"version": version, "rules": [
        {"id": "big", "action": "BLOCK", "conditions": {"field": "amount", "op": "gt", "value": 100}}
    ]}});
    RuleSet::load(&doc, Path::new(".")).expect("rules load")
}

/// Everything on `topic` (one partition, from the beginning) until `n` records or 20 s.
fn read_all(brokers: &str, topic: &str, n: usize) -> Vec<rdkafka::message::OwnedMessage> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", unique("reader"))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("reader");
    c.subscribe(&[topic]).expect("subscribe");
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while out.len() < n && Instant::now() < deadline {
        if let Some(Ok(m)) = c.poll(Duration::from_millis(200)) {
            out.push(m.detach());
        }
    }
    out
}

#[test]
fn rows_dlq_and_commits_against_a_real_broker() {
    let brokers = brokers();
    let input = unique("in");
    let output = unique("out");
    let dlq = unique("dlq");
    let group = unique("g");
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .create()
        .expect("producer");
    let values: [&[u8]; 4] = [
        br#"{"amount": 500}"#,
        br#"{"amount": 5}"#,
        b"{not json",
        br#"{"amount": 101}"#,
    ];
    for (i, v) in values.iter().enumerate() {
        let key = format!("k{i}");
        let headers = OwnedHeaders::new().insert(Header {
            key: "trace",
            value: Some("t1"),
        });
        p.send(
            BaseRecord::to(&input)
                .payload(*v)
                .key(&key)
                .headers(headers),
        )
        .map_err(|(e, _)| e)
        .expect("send");
    }
    p.flush(Duration::from_secs(20)).expect("flush input");

    let cell = RuleCell::new();
    cell.set(rules("v1"), None);
    let cfg = StreamConfig {
        brokers: brokers.clone(),
        group_id: group.clone(),
        input_topics: vec![input.clone()],
        output_topic: Some(output.clone()),
        dlq_topic: Some(dlq.clone()),
        max_messages: 4,
        idle_timeout_ms: 20_000,
        ..StreamConfig::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let stats = run(&cfg, &cell, &stop, &mut |_| {}).expect("run");
    assert_eq!(stats.messages, 4);
    assert_eq!(stats.emitted, 3);
    assert_eq!(stats.matched, 2);
    assert_eq!(stats.dlq_routed, 1);
    assert_eq!(stats.skipped, 0);

    let rows = read_all(&brokers, &output, 3);
    let texts: Vec<String> = rows
        .iter()
        .map(|m| String::from_utf8_lossy(m.payload().unwrap_or(&[])).into_owned())
        .collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(texts
        .iter()
        .all(|t| t.ends_with('\n') && t.contains("\"ruleset_version\":\"v1\"")));
    assert!(
        texts[0].starts_with("{\"batch_row\":0,\"matched\":true,\"decision\":\"BLOCK\",\"score\":")
    );

    let dead = read_all(&brokers, &dlq, 1);
    assert_eq!(dead.len(), 1);
    let d = &dead[0];
    assert_eq!(d.payload(), Some(&b"{not json"[..]));
    assert_eq!(d.key(), Some(&b"k2"[..]));
    let h = d.headers().expect("dlq headers");
    let get = |name: &str| {
        (0..h.count())
            .map(|i| h.get(i))
            .find(|x| x.key == name)
            .and_then(|x| x.value.map(|v| String::from_utf8_lossy(v).into_owned()))
    };
    assert_eq!(get("trace").as_deref(), Some("t1"));
    assert_eq!(
        get("blazerules.error.code").as_deref(),
        Some("MALFORMED_JSON")
    );
    assert_eq!(
        get("blazerules.source.topic").as_deref(),
        Some(input.as_str())
    );
    assert_eq!(get("blazerules.source.offset").as_deref(), Some("2"));

    // The group's offsets were committed: a second run with a new rule set finds nothing new,
    // and ends by idleness.
    cell.set(rules("v2"), None);
    let again = StreamConfig {
        max_messages: 0,
        idle_timeout_ms: 1500,
        poll_timeout_ms: 200,
        ..cfg
    };
    let stats = run(&again, &cell, &stop, &mut |_| {}).expect("second run");
    assert_eq!(stats.messages, 0);
}

/// A loop on an address where nothing listens.
fn unreachable(connect_timeout_ms: u64) -> (StreamConfig, RuleCell) {
    let cell = RuleCell::new();
    cell.set(rules("v1"), None);
    let cfg = StreamConfig {
        brokers: "127.0.0.1:1".into(),
        group_id: "g".into(),
        input_topics: vec!["t".into()],
        output_mode: OutputMode::None,
        connect_timeout_ms,
        ..StreamConfig::default()
    };
    (cfg, cell)
}

#[test]
fn an_unreachable_broker_fails_in_bounded_time() {
    let (cfg, cell) = unreachable(1500);
    let t0 = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let err = run(&cfg, &cell, &stop, &mut |_| {}).expect_err("unreachable");
    assert_eq!(
        err.code,
        blazerules_stream::ErrorCode::BrokerUnreachable,
        "{err}"
    );
    assert!(t0.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_stop_request_ends_the_run_while_the_cluster_does_not_answer() {
    let (cfg, cell) = unreachable(60_000);
    let stop = Arc::new(AtomicBool::new(false));
    let stopper = stop.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        stopper.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let t0 = Instant::now();
    let stats = run(&cfg, &cell, &stop, &mut |_| {}).expect("a stopped run");
    let _ = t.join();
    assert_eq!(stats.messages, 0);
    // Well within connectTimeoutMs (60 s): flushTimeoutMs (5 s) is the bound of a stop.
    assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
}
