//! Two `ghl-webhook gateway` replicas sharing one journal in Redis, then in Postgres: every
//! delivery (each sent to both replicas at once) is journaled once and forwarded to the app
//! once, whichever replica took it. Real redis-server and PostgreSQL, started by the tests
//! (skipped loudly when missing, failed under `CI`), and the Node app verifying every forward.

mod gateway_support;
use ghl_webhook_testkit::postgres_server;
use ghl_webhook_testkit::redis_server;

use std::time::Duration;

use gateway_support::{
    App, Downstream, Gateway, SECRET, accepted, available, payload, scratch, wait_for,
};
use ghl_webhook_test_support::MockSender;

/// Runs two replicas on `journal`, sends 200 deliveries to both at once, and checks that the
/// app accepted each exactly once.
fn two_replicas_forward_each_delivery_once(test: &str, journal: &str, extra: &str) {
    let dir = scratch(test);
    let app = Downstream::start(
        App::Node,
        SECRET,
        &dir.join("node.jsonl"),
        &["--fail-ratio", "0.2"],
    );
    let path = dir.join("gateway.toml");
    std::fs::write(
        &path,
        format!(
            "listen = \"127.0.0.1:0\"\nops = \"127.0.0.1:0\"\njournal = \"{journal}\"\n{extra}\
             highlevel_keys = [\"test\"]\ntarget = \"{}\"\nsecrets = [\"{SECRET}\"]\n\
             backoff = \"20ms\"\nmax_backoff = \"200ms\"\nmax_attempts = 40\n",
            app.url("hooks")
        ),
    )
    .expect("config");
    let one = Gateway::start(&path, &[]);
    let two = Gateway::start(&path, &[]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (a, b) = (
        MockSender::new(one.url.as_str()).expect("sender"),
        MockSender::new(two.url.as_str()).expect("sender"),
    );
    runtime.block_on(async {
        for n in 0..200 {
            let id = format!("{test}-{n:04}");
            let body = payload(&id, n);
            let (x, y) = tokio::join!(
                a.json(body.clone()).webhook_id(id.clone()).send(),
                b.json(body).webhook_id(id).send()
            );
            assert_eq!(x.expect("send").status, 200);
            assert_eq!(y.expect("send").status, 200);
        }
    });
    wait_for("every delivery", Duration::from_secs(60), || {
        accepted(&app.records).len() == 200
    });
    std::thread::sleep(Duration::from_millis(500));
    let accepted = accepted(&app.records);
    assert_eq!(accepted.len(), 200);
    assert!(
        accepted.values().all(|n| *n == 1),
        "accepted twice: {accepted:?}"
    );
    drop((one, two));
}

#[test]
fn two_replicas_on_one_redis_journal() {
    if !available() {
        return;
    }
    let Some(redis) = redis_server::RedisServer::start() else {
        return;
    };
    two_replicas_forward_each_delivery_once(
        "redis",
        &redis.url(),
        "redis_prefix = \"gateway-test:\"\n",
    );
}

#[test]
fn two_replicas_on_one_postgres_journal() {
    if !available() {
        return;
    }
    let Some(server) = postgres_server::PostgresServer::shared() else {
        return;
    };
    let url = server.create_database();
    two_replicas_forward_each_delivery_once("postgres", &url, "postgres_schema = \"gateway\"\n");
}
