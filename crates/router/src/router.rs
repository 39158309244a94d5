//! [`WebhookRouter`]: the builder where handlers and policies are registered.

use std::sync::Arc;
use std::time::Duration;

use ghl_webhook_types::{Event, WebhookEvent};

use crate::UnknownEvent;
use crate::batch::BatchVerifier;
use crate::dedupe::{Dedupe, IdempotencyStore, InMemoryStore, OnStoreError};
use crate::durable::{Durable, DurableConfig};
use crate::handler::{AnyEvent, Erased, Handler, Typed, Unknown};
use crate::journal::Journal;
use crate::outcome::StatusPolicy;
use crate::pipeline::Pipeline;
use crate::response::Answer;
use crate::service::WebhookService;
use crate::verify::Verifier;
use crate::vitals::Vitals;

/// The default body limit: 1 MiB (HighLevel's largest documented payloads are a few KiB).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The default body read timeout: the whole body must arrive within 30 s (408 past it).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

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
    pipeline: Pipeline<S>,
    batch_verification: bool,
}

impl Default for WebhookRouter<()> {
    fn default() -> Self {
        Self::new()
    }
}

impl WebhookRouter<()> {
    /// A router trusting HighLevel's published key, with batch verification, in-memory
    /// deduplication, a 1 MiB body limit, a 30 s body read timeout, a 30 s handler timeout and
    /// the default [`StatusPolicy`].
    pub fn new() -> Self {
        Self::with_state(())
    }
}

impl<S: Send + Sync + 'static> WebhookRouter<S> {
    /// Like [`WebhookRouter::new`], with state handed to handlers of the form
    /// `|event, delivery, state| async { ... }`.
    pub fn with_state(state: S) -> Self {
        Self {
            pipeline: Pipeline::new(
                state,
                Verifier::highlevel(),
                DEFAULT_BODY_LIMIT,
                DEFAULT_BODY_TIMEOUT,
                Some(DEFAULT_HANDLER_TIMEOUT),
            ),
            batch_verification: true,
        }
    }

    /// Replaces the trusted keys.
    pub fn verifier(mut self, verifier: Verifier) -> Self {
        self.pipeline.verifier = verifier;
        self
    }

    /// Verifies the signatures of deliveries that wait together as one batch (on by default;
    /// `false` verifies each delivery alone).
    ///
    /// Same verdicts as verifying one by one, no added wait for a delivery that arrives alone
    /// (it costs about 2 % more instructions than without batching: the queue); under load
    /// (many connections on few cores) each signature costs much less. See [`crate::batch`] for
    /// how batches form, the one accepted difference from `verify_strict` (a signature only the
    /// key's holder can make), and how forged signatures are kept from costing more than they
    /// save.
    pub fn batch_verification(mut self, enabled: bool) -> Self {
        self.batch_verification = enabled;
        self
    }

    /// Sets the largest accepted body in bytes (413 above it).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.pipeline.body_limit = bytes;
        self
    }

    /// Sets how long the whole body may take to arrive (default 30 s). Past it the delivery is
    /// answered `408` with `Connection: close`, whatever server the service is mounted in, so a
    /// client trickling its body cannot hold a task for longer.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.pipeline.body_timeout = timeout;
        self
    }

    /// Registers the handler of event type `T`, replacing any earlier one.
    pub fn on<T, H, M>(mut self, handler: H) -> Self
    where
        T: WebhookEvent,
        H: Handler<T, S, M>,
        M: 'static,
    {
        self.pipeline
            .dispatcher
            .set_typed(T::KIND, Box::new(Erased::<Typed<T>, H, M>::new(handler)));
        self
    }

    /// Registers the handler of deliveries whose kind cannot be identified.
    pub fn on_unknown<H, M>(mut self, handler: H) -> Self
    where
        H: Handler<UnknownEvent, S, M>,
        M: 'static,
    {
        self.pipeline
            .dispatcher
            .set_unknown(Box::new(Erased::<Unknown, H, M>::new(handler)));
        self
    }

    /// Registers the catch-all: it receives every delivery that has no more specific handler
    /// (known kinds without an `on` handler, and unknown ones when there is no `on_unknown`).
    pub fn on_any<H, M>(mut self, handler: H) -> Self
    where
        H: Handler<Event, S, M>,
        M: 'static,
    {
        self.pipeline
            .dispatcher
            .set_catch_all(Box::new(Erased::<AnyEvent, H, M>::new(handler)));
        self
    }

    /// Registers the catch-all **without decoding**: it receives every delivery that has no
    /// more specific handler as an [`UnknownEvent`] (the payload's `type` and its exact bytes),
    /// whatever its kind ([`Delivery::kind`](crate::Delivery::kind) still tells it). For
    /// handlers that forward or store the bytes as they are: a payload the models cannot
    /// decode is handed over like any other, never a dead letter. Replaces [`on_any`](Self::on_any).
    pub fn on_any_raw<H, M>(mut self, handler: H) -> Self
    where
        H: Handler<UnknownEvent, S, M>,
        M: 'static,
    {
        self.pipeline
            .dispatcher
            .set_catch_all(Box::new(Erased::<Unknown, H, M>::new(handler)));
        self
    }

    /// Registers the handler of event type `T` that runs **in the transaction that completes
    /// its entry**, replacing any earlier handler of `T`. Needs durable mode on a
    /// [`PostgresJournal`](crate::journal::PostgresJournal) (feature `postgres`).
    ///
    /// The worker begins a transaction on the journal's pool, locks the entry, runs the
    /// handler with the transaction's connection, then marks the entry done in the same
    /// transaction and commits. So, for the handler's writes **through that connection**:
    ///
    /// - they commit together with the completion, exactly once per journaled delivery:
    ///   when the process dies, the handler fails (`Err`), panics or times out, the writes
    ///   are rolled back with the completion, and the entry is retried as any other;
    /// - a lease that expired while the handler ran, and was taken over, cannot happen: the
    ///   entry stays locked until the transaction ends.
    ///
    /// Anything else the handler does (HTTP calls, other databases, a second pool) is
    /// **not** part of the transaction and may happen again on a retry, as with [`on`](Self::on).
    /// Keep the transaction short: the entry's row and whatever the handler writes stay
    /// locked until it commits.
    ///
    /// ```no_run
    /// use ghl_webhook_router::{Delivery, DurableConfig, WebhookRouter};
    /// use ghl_webhook_router::journal::{PostgresConfig, PostgresJournal};
    /// use ghl_webhook_router::types::contact::ContactCreate;
    /// use sqlx::PgConnection;
    ///
    /// # async fn app(pool: sqlx::PgPool) -> Result<(), Box<dyn std::error::Error>> {
    /// let journal = PostgresJournal::with_pool(pool, PostgresConfig::default()).await?;
    /// let service = WebhookRouter::new()
    ///     .on_in_transaction(|event: ContactCreate, _: Delivery, tx: &mut PgConnection| {
    ///         Box::pin(async move {
    ///             sqlx::query("INSERT INTO contacts (id, email) VALUES ($1, $2)")
    ///                 .bind(&event.id)
    ///                 .bind(&event.email)
    ///                 .execute(&mut *tx)
    ///                 .await?;
    ///             Ok(())
    ///         })
    ///     })
    ///     .durable(journal, DurableConfig::default())
    ///     .into_service();
    /// # let _ = service;
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "postgres")]
    pub fn on_in_transaction<T, H>(mut self, handler: H) -> Self
    where
        T: WebhookEvent,
        H: for<'c> Fn(
                T,
                crate::Delivery,
                &'c mut sqlx::PgConnection,
            ) -> futures_util::future::BoxFuture<'c, crate::HandlerResult>
            + Send
            + Sync
            + 'static,
    {
        self.pipeline.dispatcher.set_transactional(
            T::KIND,
            Box::new(crate::in_transaction::Transactional::<T, H>::new(handler)),
        );
        self
    }

    /// Deduplicates with the given in-memory store (the default is 100 000 ids for 24 h).
    pub fn dedupe_in_memory(mut self, store: InMemoryStore) -> Self {
        self.pipeline.dedupe = Dedupe::Memory(store);
        self
    }

    /// Deduplicates with a shared store, e.g. Redis for several replicas.
    pub fn dedupe_with(mut self, store: impl IdempotencyStore) -> Self {
        self.pipeline.dedupe = Dedupe::Store(Arc::new(store));
        self
    }

    /// Turns deduplication off: every delivery runs its handler, duplicates included.
    pub fn without_dedupe(mut self) -> Self {
        self.pipeline.dedupe = Dedupe::Off;
        self
    }

    /// What to do when the idempotency store cannot answer (default: answer `busy`).
    pub fn on_store_error(mut self, policy: OnStoreError) -> Self {
        self.pipeline.on_store_error = policy;
        self
    }

    /// Sets the handler timeout (`None`: no timeout). A timed-out handler is dropped, its
    /// claim released, and the delivery answered with the `failure` status.
    pub fn handler_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.pipeline.dispatcher.set_timeout(timeout);
        self
    }

    /// Sets the status codes of the configurable outcomes.
    pub fn statuses(mut self, statuses: StatusPolicy) -> Self {
        self.pipeline.statuses = statuses;
        self
    }

    /// Registers an observer called once per delivery, after it is answered, with its outcome,
    /// status and (once verified) the [`Delivery`](crate::Delivery): for logs, metrics or a local console. Runs inline: keep it
    /// cheap.
    pub fn on_answer<F>(mut self, observer: F) -> Self
    where
        F: Fn(&Answer<'_>) + Send + Sync + 'static,
    {
        self.pipeline.observer = Some(Box::new(observer));
        self
    }

    /// Sets the window of HighLevel's view of the URL ([`WebhookService::success_rate`], the
    /// `ghl_webhook_success_ratio` gauge). Default [`DEFAULT_SUCCESS_WINDOW`](crate::DEFAULT_SUCCESS_WINDOW), HighLevel's 3
    /// days; a shorter one (an hour) reacts sooner. The window slides in 60 steps.
    pub fn success_window(mut self, window: Duration) -> Self {
        self.pipeline.vitals = Arc::new(Vitals::new(window));
        self
    }

    /// Durable mode: every verified delivery is appended to `journal` and answered 200 once
    /// the append is durable (503 when it cannot be written); the workers of the service
    /// ([`WebhookService::workers`], run by [`serve`](crate::serve::serve)) then run the same
    /// handlers, retrying failures with backoff and keeping what cannot be handled as dead
    /// letters. The journal deduplicates on `webhookId`, so the idempotency store is not used.
    /// See [`DurableConfig`](crate::DurableConfig) for the guarantees.
    pub fn durable(mut self, journal: impl Journal, config: DurableConfig) -> Self {
        self.pipeline.durable = Some(Durable::new(Arc::new(journal), config));
        self
    }

    /// Finishes the router: a cheap-to-clone service for hyper, tower/axum, or [`WebhookService::handle`].
    ///
    /// # Panics
    ///
    /// When handlers were registered with `on_in_transaction` but the router is not durable
    /// on a `PostgresJournal`: those handlers could never run, and deliveries of their kinds
    /// would be answered without being handled.
    pub fn into_service(mut self) -> WebhookService<S> {
        #[cfg(feature = "postgres")]
        if self.pipeline.dispatcher.has_transactional() {
            let on_postgres = self
                .pipeline
                .durable
                .as_ref()
                .is_some_and(|durable| durable.journal.as_postgres().is_some());
            assert!(
                on_postgres,
                "handlers registered with `on_in_transaction` run in the journal's transaction: \
                 make the router durable on a PostgresJournal (`.durable(journal, config)`)"
            );
        }
        if self.batch_verification {
            self.pipeline.batch = Some(BatchVerifier::new(self.pipeline.verifier.clone()));
        }
        WebhookService::new(self.pipeline)
    }
}
