//! How a user checks their app against HighLevel's behaviour over time with the simulator:
//! HighLevel's duplicate deliveries and retries reach the app, and each event is handled once.

use std::time::Duration;

use ghl_webhook_examples::handlers::{AppState, webhook_service};
use ghl_webhook_examples::hyper_app;
use ghl_webhook_examples::observability::Observability;
use ghl_webhook_router::types::EventKind;
use ghl_webhook_test_support::TestKeys;
use ghl_webhook_test_support::simulator::{
    DeliveryState, EventRequest, Habits, Simulator, SimulatorConfig,
};

#[tokio::test]
async fn highlevels_duplicates_reach_the_app_and_each_event_is_handled_once() {
    let state = AppState::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!(
        "http://{}/webhooks/highlevel",
        listener.local_addr().expect("addr")
    );
    let webhooks = webhook_service(state.clone(), TestKeys::primary().verifier());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let observability = Observability::new(&webhooks, None);
    let app = tokio::spawn(hyper_app::run(listener, webhooks, observability, async {
        let _ = stopped.await;
    }));

    // AssociationDelete carries no `type`: HighLevel delivers it to a URL of its own.
    let sim = Simulator::start(
        SimulatorConfig::new(&base)
            .subscribe_to(
                EventKind::AssociationDelete,
                format!("{base}/AssociationDelete"),
            )
            // Every delivery sent twice with one webhookId.
            .habits(Habits::default().duplicate_ratio(1.0))
            .time_scale(0.001),
    )
    .await
    .expect("starts");
    let ids = sim
        .send_event(EventRequest::fixture(EventKind::AssociationDelete).set("id=assoc-sim-1"))
        .expect("sent");
    assert_eq!(ids.len(), 2, "the delivery and its duplicate");
    sim.wait_idle(Duration::from_secs(30))
        .await
        .expect("settled");
    let log = sim.deliveries();
    assert!(
        log.iter()
            .all(|d| d.state == DeliveryState::Succeeded && d.attempts.len() == 1),
        "both answered 2xx on the first attempt: {log:#?}"
    );
    let handled = state
        .lines()
        .iter()
        .filter(|l| l.contains("association assoc-sim-1 deleted"))
        .count();
    assert_eq!(
        handled, 1,
        "the duplicate is acknowledged, not handled again"
    );

    let _ = stop.send(());
    app.await.expect("joined").expect("served");
}
