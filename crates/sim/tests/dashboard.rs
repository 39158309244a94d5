//! The dashboard in a real headless browser (Debian's chromium through chromedriver): failed
//! attempts appear live, Resend after the receiver recovers shows the success, and the
//! breaker's state and rate are shown. Skipped loudly without chromedriver, unless `CI` is
//! set: then a missing browser fails the test.

mod common;

use std::time::Duration;

use common::receiver::{Receiver, Reply};
use common::webdriver::{Browser, chromedriver};
use ghl_webhook_sim::simulator::{
    AttemptTrigger, ControlServer, DeliveryState, PolicyName, Simulator, SimulatorConfig,
};
use ghl_webhook_types::EventKind;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_failed_attempts_live_and_resend_delivers_after_recovery() {
    let Some(driver) = chromedriver() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but chromedriver is missing: install chromium and chromium-driver"
        );
        eprintln!(
            "\n*** SKIPPED the dashboard browser test: no chromedriver on this machine \
             (apt-get install chromium chromium-driver) ***\n"
        );
        return;
    };
    let receiver = Receiver::always(429).await;
    // The legacy policy's retries, 10 minutes apart: 3 s at this scale, time to click.
    let sim = Simulator::start(
        SimulatorConfig::new(receiver.url("/hooks"))
            .subscribe(EventKind::ContactCreate)
            .retry_policy(PolicyName::Legacy)
            .time_scale(0.005),
    )
    .await
    .expect("starts");
    let server = ControlServer::start(sim.clone(), "127.0.0.1:0")
        .await
        .expect("serves");
    let browser = Browser::start(&driver).await;
    browser.goto(&format!("{}/", server.url())).await;

    let id = sim.send(EventKind::ContactCreate).expect("sent")[0];
    let row = format!("tr[data-delivery=\"{id}\"]");
    browser
        .wait_for(
            "two failed attempts",
            "return document.querySelectorAll(arguments[0] + ' li.attempt-failed').length >= 2",
            json!([row]),
        )
        .await;
    browser
        .wait_for(
            "the URL's breaker with its success rate",
            "const r = document.querySelector('#breaker tr[data-url]'); \
             return !!r && r.dataset.state === 'healthy' \
                && r.querySelector('.success-rate').textContent === '0.0%'",
            json!([]),
        )
        .await;

    receiver.set(|_| Reply::Status(200));
    let due = sim
        .delivery(id)
        .and_then(|d| d.next_retry_sim_secs)
        .expect("a retry is pending");
    browser.click(&format!("{row} button.resend")).await;
    browser
        .wait_for(
            "the delivery succeeded",
            "const r = document.querySelector(arguments[0]); \
             return !!r && r.dataset.state === 'succeeded' \
                && r.querySelectorAll('li.attempt-ok').length === 1 \
                && !r.querySelector('button.resend')",
            json!([row]),
        )
        .await;

    let d = sim.delivery(id).expect("logged");
    assert_eq!(d.state, DeliveryState::Succeeded);
    let last = d.latest().expect("attempted");
    assert_eq!((last.trigger, last.ok), (AttemptTrigger::Resend, true));
    // The success cancelled the pending retry: past its time, nothing more arrived.
    let count = receiver.count();
    while sim.now_secs() < due + 100.0 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(receiver.count(), count);
    server.shutdown().await;
}
