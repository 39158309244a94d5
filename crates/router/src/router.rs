//! [`WebhookRouter`]: the builder where handlers and policies are registered.

use std::sync::Arc;
use std::time::Duration;

use ghl_webhook_types::{Event, EventKind, WebhookEvent};

use crate::UnknownEvent;
use crate::dedupe::{Dedupe, IdempotencyStore, InMemoryStore, OnStoreError};
use crate::handler::{AnyEvent, Erased, ErasedHandler, Handler, Typed, Unknown};
use crate::response::{Answer, StatusPolicy};
use crate::service::WebhookService;
use crate::verify::Verifier;

/// The default body limit: 1 MiB (HighLevel's largest documented payloads are a few KiB).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The default handler timeout.
pub const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(30);

/// Registers typed handlers and delivery policies, then becomes a [`WebhookService`].
///
/// ```
/// use ghl_webhook_router::{Delivery, WebhookRouter};
/// use ghl_webhook_router::types::association::AssociationDelete;
///
/// let service = WebhookRouter::new()
///     .on(|event: AssociationDelete, delivery: Delivery| async move {
///         println!("association {} deleted ({:?})", event.id, delivery.webhook_id());
///     })
///     .into_service();
/// # let _ = service;
/// ```
pub struct WebhookRouter<S = ()> {
    pub(crate) state: S,
    pub(crate) verifier: Verifier,
    pub(crate) body_limit: usize,
    pub(crate) handlers: Vec<Option<Box<dyn ErasedHandler<S>>>>,
    pub(crate) catch_all: Option<Box<dyn ErasedHandler<S>>>,
    pub(crate) unknown: Option<Box<dyn ErasedHandler<S>>>,
    pub(crate) dedupe: Dedupe,
    pub(crate) on_store_error: OnStoreError,
    pub(crate) handler_timeout: Option<Duration>,
    pub(crate) statuses: StatusPolicy,
    pub(crate) observer: Option<Observer>,
}

/// A callback told of every answered delivery.
pub(crate) type Observer = Box<dyn Fn(&Answer<'_>) + Send + Sync>;

impl Default for WebhookRouter<()> {
    fn default() -> Self {
        Self::new()
    }
}

impl WebhookRouter<()> {
    /// A router trusting HighLevel's published key, with in-memory deduplication, a 1 MiB body
    /// limit, a 30 s handler timeout and the default [`StatusPolicy`].
    pub fn new() -> Self {
        Self::with_state(())
    }
}

impl<S: Send + Sync + 'static> WebhookRouter<S> {
    /// Like [`WebhookRouter::new`], with state handed to handlers of the form
    /// `|event, delivery, state| async { ... }`.
    pub fn with_state(state: S) -> Self {
        Self {
            state,
            verifier: Verifier::highlevel(),
            body_limit: DEFAULT_BODY_LIMIT,
            handlers: (0..EventKind::COUNT).map(|_| None).collect(),
            catch_all: None,
            unknown: None,
            dedupe: Dedupe::Memory(InMemoryStore::default()),
            on_store_error: OnStoreError::default(),
            handler_timeout: Some(DEFAULT_HANDLER_TIMEOUT),
            statuses: StatusPolicy::default(),
            observer: None,
        }
    }

    /// Replaces the trusted keys.
    pub fn verifier(mut self, verifier: Verifier) -> Self {
        self.verifier = verifier;
        self
    }

    /// Sets the largest accepted body in bytes (413 above it).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Registers the handler of event type `T`, replacing any earlier one.
    pub fn on<T, H, M>(mut self, handler: H) -> Self
    where
        T: WebhookEvent,
        H: Handler<T, S, M>,
        M: 'static,
    {
        self.handlers[T::KIND.index()] = Some(Box::new(Erased::<Typed<T>, H, M>::new(handler)));
        self
    }

    /// Registers the handler of deliveries whose kind cannot be identified.
    pub fn on_unknown<H, M>(mut self, handler: H) -> Self
    where
        H: Handler<UnknownEvent, S, M>,
        M: 'static,
    {
        self.unknown = Some(Box::new(Erased::<Unknown, H, M>::new(handler)));
        self
    }

    /// Registers the catch-all: it receives every delivery that has no more specific handler
    /// (known kinds without an `on` handler, and unknown ones when there is no `on_unknown`).
    pub fn on_any<H, M>(mut self, handler: H) -> Self
    where
        H: Handler<Event, S, M>,
        M: 'static,
    {
        self.catch_all = Some(Box::new(Erased::<AnyEvent, H, M>::new(handler)));
        self
    }

    /// Deduplicates with the given in-memory store (the default is 100 000 ids for 24 h).
    pub fn dedupe_in_memory(mut self, store: InMemoryStore) -> Self {
        self.dedupe = Dedupe::Memory(store);
        self
    }

    /// Deduplicates with a shared store, e.g. Redis for several replicas.
    pub fn dedupe_with(mut self, store: impl IdempotencyStore) -> Self {
        self.dedupe = Dedupe::Store(Arc::new(store));
        self
    }

    /// Turns deduplication off: every delivery runs its handler, duplicates included.
    pub fn without_dedupe(mut self) -> Self {
        self.dedupe = Dedupe::Off;
        self
    }

    /// What to do when the idempotency store cannot answer (default: answer `busy`).
    pub fn on_store_error(mut self, policy: OnStoreError) -> Self {
        self.on_store_error = policy;
        self
    }

    /// Sets the handler timeout (`None`: no timeout). A timed-out handler is dropped, its
    /// claim released, and the delivery answered with the `failure` status.
    pub fn handler_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handler_timeout = timeout;
        self
    }

    /// Sets the status codes of the configurable outcomes.
    pub fn statuses(mut self, statuses: StatusPolicy) -> Self {
        self.statuses = statuses;
        self
    }

    /// Registers an observer called once per delivery, after it is answered, with its status,
    /// kind, `webhookId` and reason: for logs, metrics or a local console. Runs inline: keep it
    /// cheap.
    pub fn on_answer<F>(mut self, observer: F) -> Self
    where
        F: Fn(&Answer<'_>) + Send + Sync + 'static,
    {
        self.observer = Some(Box::new(observer));
        self
    }

    /// Finishes the router: a cheap-to-clone service for hyper, tower/axum, or [`WebhookService::handle`].
    pub fn into_service(self) -> WebhookService<S> {
        WebhookService::new(self)
    }
}
