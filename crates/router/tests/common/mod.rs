//! Shared harness: a router with recording handlers, served on an ephemeral loopback port.
#![allow(dead_code)]

pub(crate) mod exactly_once;
pub(crate) mod health_app;
#[cfg(feature = "sqlite")]
pub(crate) mod journal;
#[cfg(feature = "metrics")]
pub(crate) mod prometheus;

use std::sync::{Arc, Mutex};

use ghl_webhook_router::serve::{Server, spawn};
use ghl_webhook_router::types::{Event, WebhookEvent};
use ghl_webhook_router::{Delivery, UnknownEvent, WebhookRouter, WebhookService};
use ghl_webhook_test_support::{MockSender, TestKeys};

/// Everything handlers received, in order.
#[derive(Clone, Default)]
pub(crate) struct Recorder {
    pub events: Arc<Mutex<Vec<(Event, Delivery)>>>,
    pub unknown: Arc<Mutex<Vec<(UnknownEvent, Delivery)>>>,
}

impl Recorder {
    pub(crate) fn events(&self) -> Vec<(Event, Delivery)> {
        self.events.lock().expect("lock").clone()
    }
    pub(crate) fn unknown(&self) -> Vec<(UnknownEvent, Delivery)> {
        self.unknown.lock().expect("lock").clone()
    }
    pub(crate) fn total(&self) -> usize {
        self.events.lock().expect("lock").len() + self.unknown.lock().expect("lock").len()
    }
    pub(crate) fn clear(&self) {
        self.events.lock().expect("lock").clear();
        self.unknown.lock().expect("lock").clear();
    }
}

/// Registers a typed handler for `T` that records what it receives.
pub(crate) fn record<T: WebhookEvent>(router: WebhookRouter<Recorder>) -> WebhookRouter<Recorder> {
    router.on(|event: T, delivery: Delivery, rec: Recorder| async move {
        rec.events
            .lock()
            .expect("lock")
            .push((event.into_event(), delivery));
    })
}

/// A router trusting only the primary test key, recording unknown events.
pub(crate) fn test_router(recorder: &Recorder) -> WebhookRouter<Recorder> {
    WebhookRouter::with_state(recorder.clone())
        .verifier(TestKeys::primary().verifier())
        .on_unknown(
            |event: UnknownEvent, delivery: Delivery, rec: Recorder| async move {
                rec.unknown.lock().expect("lock").push((event, delivery));
            },
        )
}

/// The three Association events recorded.
pub(crate) fn association_router(recorder: &Recorder) -> WebhookRouter<Recorder> {
    use ghl_webhook_router::types::association::*;
    let router = test_router(recorder);
    let router = record::<AssociationCreate>(router);
    let router = record::<AssociationUpdate>(router);
    record::<AssociationDelete>(router)
}

/// Serves `service` on 127.0.0.1:0, bound by path (`/<EventName>` binds, `/` does not).
pub(crate) async fn serve<S: Send + Sync + 'static>(
    service: WebhookService<S>,
) -> (Server, MockSender) {
    let server = spawn("127.0.0.1:0".parse().expect("addr"), service.bind_by_path())
        .await
        .expect("bind loopback");
    let sender = MockSender::new(server.url()).expect("url");
    (server, sender)
}

/// The example payload of HighLevel's AssociationDelete doc page (the SDK's first event).
pub(crate) fn seed_event() -> ghl_webhook_router::types::association::AssociationDelete {
    serde_json::from_str(ghl_webhook_router::types::fixtures::example(
        ghl_webhook_router::types::EventKind::AssociationDelete,
    ))
    .expect("the seed example decodes")
}

/// A two-worker runtime for the property tests, which drive HTTP from synchronous runners.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}
