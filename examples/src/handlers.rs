//! The webhook side of the example apps: what a real app would register.

use std::sync::{Arc, Mutex};

use ghl_webhook_router::journal::Journal;
use ghl_webhook_router::types::association::{AssociationCreate, AssociationDelete};
use ghl_webhook_router::{
    Delivery, DurableConfig, UnknownEvent, Verifier, WebhookRouter, WebhookService,
};

/// The app's state: here, a log of what was received (a real app would hold a DB pool).
#[derive(Clone, Default)]
pub struct AppState {
    /// One line per handled delivery.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl AppState {
    fn push(&self, line: String) {
        println!("{line}");
        if let Ok(mut log) = self.log.lock() {
            log.push(line);
        }
    }

    /// The lines logged so far.
    pub fn lines(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// The keys the example servers trust: HighLevel's published key, or the test keys when
/// `GHL_TEST_KEYS` is set (to try them with `ghl-webhook trigger` or MockSender).
pub fn verifier_from_env() -> Verifier {
    if std::env::var_os("GHL_TEST_KEYS").is_some() {
        ghl_webhook_test_support::TestKeys::primary().verifier()
    } else {
        Verifier::highlevel()
    }
}

/// Where the example servers listen: `ADDR`, default `127.0.0.1:3000`.
pub fn listen_addr_from_env() -> String {
    std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into())
}

/// The webhook service of the app, trusting `verifier`'s keys.
///
/// In production pass `Verifier::highlevel()` (HighLevel's published key); tests and the
/// quick start pass the test keys.
pub fn webhook_service(state: AppState, verifier: Verifier) -> WebhookService<AppState> {
    webhook_router(state, verifier).into_service()
}

/// The same service in durable mode: each verified delivery is appended to `journal` and
/// answered 200 once it is on disk; the service's workers then run the same handlers.
pub fn durable_webhook_service(
    state: AppState,
    verifier: Verifier,
    journal: impl Journal,
) -> WebhookService<AppState> {
    webhook_router(state, verifier)
        .durable(journal, DurableConfig::default())
        .into_service()
}

/// The app's handlers, registered on a router: the one place both modes share.
fn webhook_router(state: AppState, verifier: Verifier) -> WebhookRouter<AppState> {
    WebhookRouter::with_state(state)
        .verifier(verifier)
        .on(
            |event: AssociationCreate, delivery: Delivery, state: AppState| async move {
                state.push(format!(
                    "association {} created ({:?} <-> {:?}), delivery {}",
                    event.id,
                    event.first_object_key,
                    event.second_object_key,
                    delivery.webhook_id().unwrap_or("-")
                ));
            },
        )
        .on(
            |event: AssociationDelete, delivery: Delivery, state: AppState| async move {
                state.push(format!(
                    "association {} deleted (key {:?}), delivery {}",
                    event.id,
                    event.key,
                    delivery.webhook_id().unwrap_or("-")
                ));
            },
        )
        .on_unknown(
            |event: UnknownEvent, _: Delivery, state: AppState| async move {
                state.push(format!(
                    "unknown event ({} bytes, type {:?})",
                    event.raw.len(),
                    event.type_field
                ));
            },
        )
}
