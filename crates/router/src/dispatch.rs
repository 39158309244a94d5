//! Dispatch: find the handler of a delivery, decode its event, run the handler under a timeout
//! and a panic guard, and say how it ended.
//!
//! Knows no HTTP: the same [`Dispatcher`] serves deliveries answered inline and entries that
//! workers take from a durable journal.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use ghl_webhook_types::EventKind;

use crate::HandlerResult;
use crate::delivery::Delivery;
use crate::handler::ErasedHandler;
#[cfg(feature = "postgres")]
use crate::in_transaction::ErasedTransactional;
use crate::outcome::Outcome;

/// The registered handlers, the state they share, and the timeout they run under.
pub(crate) struct Dispatcher<S> {
    state: S,
    /// One slot per [`EventKind::index`].
    typed: Vec<Option<Box<dyn ErasedHandler<S>>>>,
    unknown: Option<Box<dyn ErasedHandler<S>>>,
    catch_all: Option<Box<dyn ErasedHandler<S>>>,
    /// Handlers run in the transaction completing their entry, one slot per kind.
    #[cfg(feature = "postgres")]
    transactional: Vec<Option<Box<dyn ErasedTransactional>>>,
    timeout: Option<Duration>,
}

impl<S> Dispatcher<S> {
    /// No handlers yet.
    pub(crate) fn new(state: S, timeout: Option<Duration>) -> Self {
        Self {
            state,
            typed: (0..EventKind::COUNT).map(|_| None).collect(),
            unknown: None,
            catch_all: None,
            #[cfg(feature = "postgres")]
            transactional: (0..EventKind::COUNT).map(|_| None).collect(),
            timeout,
        }
    }

    /// Registers the handler of `kind`, replacing any earlier one.
    pub(crate) fn set_typed(&mut self, kind: EventKind, handler: Box<dyn ErasedHandler<S>>) {
        #[cfg(feature = "postgres")]
        {
            self.transactional[kind.index()] = None;
        }
        self.typed[kind.index()] = Some(handler);
    }

    /// Registers the transactional handler of `kind`, replacing any earlier handler of it.
    #[cfg(feature = "postgres")]
    pub(crate) fn set_transactional(
        &mut self,
        kind: EventKind,
        handler: Box<dyn ErasedTransactional>,
    ) {
        self.typed[kind.index()] = None;
        self.transactional[kind.index()] = Some(handler);
    }

    /// Whether any transactional handler is registered.
    #[cfg(feature = "postgres")]
    pub(crate) fn has_transactional(&self) -> bool {
        self.transactional.iter().any(Option::is_some)
    }

    /// Runs the transactional handler of `delivery`'s kind on `connection`, under the same
    /// timeout and panic guard as [`dispatch`](Self::dispatch); `None` when its kind has none.
    #[cfg(feature = "postgres")]
    pub(crate) async fn dispatch_in_transaction(
        &self,
        delivery: Delivery,
        connection: &mut sqlx::PgConnection,
    ) -> Outcome {
        let Some(handler) = delivery
            .kind()
            .and_then(|kind| self.transactional[kind.index()].as_deref())
        else {
            return self.dispatch(delivery).await;
        };
        let started =
            std::panic::catch_unwind(AssertUnwindSafe(|| handler.call(delivery, connection)));
        self.finish(started).await
    }

    /// Whether `kind` has a transactional handler.
    #[cfg(feature = "postgres")]
    pub(crate) fn is_transactional(&self, kind: Option<EventKind>) -> bool {
        kind.is_some_and(|kind| self.transactional[kind.index()].is_some())
    }

    /// Registers the handler of deliveries of no known kind.
    pub(crate) fn set_unknown(&mut self, handler: Box<dyn ErasedHandler<S>>) {
        self.unknown = Some(handler);
    }

    /// Registers the handler of every delivery without a more specific one.
    pub(crate) fn set_catch_all(&mut self, handler: Box<dyn ErasedHandler<S>>) {
        self.catch_all = Some(handler);
    }

    /// Sets the timeout of each handler call (`None`: none).
    pub(crate) fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// The timeout of each handler call.
    pub(crate) fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Runs the handler of `delivery` and says how it ended.
    pub(crate) async fn dispatch(&self, delivery: Delivery) -> Outcome {
        let kind = delivery.kind();
        let Some(handler) = self.handler_of(kind) else {
            return match kind {
                Some(kind) => Outcome::NoHandler(kind),
                None => Outcome::Unknown,
            };
        };
        // Decoding and the handler's synchronous part run under the panic guard too.
        let started =
            std::panic::catch_unwind(AssertUnwindSafe(|| handler.call(delivery, &self.state)));
        self.finish(started).await
    }

    /// Runs a started handler to its outcome.
    async fn finish(
        &self,
        started: std::thread::Result<
            Result<BoxFuture<'_, HandlerResult>, ghl_webhook_types::DecodeError>,
        >,
    ) -> Outcome {
        let future = match started {
            Ok(Ok(future)) => future,
            Ok(Err(undecodable)) => return Outcome::Undecodable(undecodable),
            Err(panic) => return panicked(panic),
        };
        match self.run(future).await {
            Some(Ok(Ok(()))) => Outcome::Handled,
            Some(Ok(Err(err))) => Outcome::HandlerFailed(err),
            Some(Err(panic)) => panicked(panic),
            None => Outcome::HandlerTimedOut(self.timeout.unwrap_or_default()),
        }
    }

    /// The handler for a kind (`None`: unknown), falling back to the catch-all.
    fn handler_of(&self, kind: Option<EventKind>) -> Option<&dyn ErasedHandler<S>> {
        let specific = match kind {
            Some(kind) => self.typed[kind.index()].as_ref(),
            None => self.unknown.as_ref(),
        };
        specific.or(self.catch_all.as_ref()).map(|h| &**h)
    }

    /// Polls the handler's future under the panic guard and the timeout; `None` when it timed
    /// out (the future is dropped).
    async fn run(
        &self,
        future: BoxFuture<'_, HandlerResult>,
    ) -> Option<Result<HandlerResult, Box<dyn Any + Send>>> {
        let mut guarded = AssertUnwindSafe(future).catch_unwind();
        // Handlers that answer fast (the recommended "enqueue and return") finish on their
        // first poll: no timer is armed for them. Polling again below re-registers the real
        // waker, so a handler that is not ready loses no wake-up.
        if let Some(finished) = (&mut guarded).now_or_never() {
            return Some(finished);
        }
        match self.timeout {
            Some(limit) => tokio::time::timeout(limit, guarded).await.ok(),
            None => Some(guarded.await),
        }
    }
}

/// The outcome of a panic, with its message when it has a string one.
fn panicked(panic: Box<dyn Any + Send>) -> Outcome {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned());
    Outcome::HandlerPanicked(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::{AnyEvent, Erased, Typed, Unknown};
    use crate::verify::VerifiedBy;
    use crate::{BoxError, UnknownEvent};
    use ghl_webhook_types::Event;
    use ghl_webhook_types::association::AssociationDelete;

    const DELETE: &[u8] = br#"{"type":"AssociationDelete","id":"a-1","webhookId":"w-1"}"#;

    fn delivery(body: &'static [u8]) -> Delivery {
        Delivery::from_verified_bytes(body, VerifiedBy::Unverified).expect("JSON")
    }

    fn with_typed<F, Fut>(timeout: Option<Duration>, handler: F) -> Dispatcher<()>
    where
        F: Fn(AssociationDelete, Delivery) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let mut dispatcher = Dispatcher::new((), timeout);
        dispatcher.set_typed(
            EventKind::AssociationDelete,
            Box::new(Erased::<Typed<AssociationDelete>, _, _>::new(handler)),
        );
        dispatcher
    }

    #[tokio::test]
    async fn a_journaled_delivery_is_dispatched_without_http() {
        let dispatcher = with_typed(None, |event, delivery| async move {
            assert_eq!(event.id, "a-1");
            assert_eq!(delivery.attempt(), 3);
            Ok(())
        });
        let outcome = dispatcher.dispatch(delivery(DELETE).with_attempt(3)).await;
        assert!(matches!(outcome, Outcome::Handled), "{outcome:?}");
    }

    #[tokio::test]
    async fn handler_errors_panics_and_timeouts_are_outcomes() {
        let failing = with_typed(None, |_, _| async { Err("db down".into()) });
        let outcome = failing.dispatch(delivery(DELETE)).await;
        assert!(matches!(&outcome, Outcome::HandlerFailed(e) if e.to_string() == "db down"));

        let panicking = with_typed(None, |_, _| async { panic!("bug in the handler") });
        let outcome = panicking.dispatch(delivery(DELETE)).await;
        assert!(matches!(&outcome, Outcome::HandlerPanicked(m) if m == "bug in the handler"));

        let limit = Duration::from_millis(20);
        let slow = with_typed(Some(limit), |_, _| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(())
        });
        let outcome = slow.dispatch(delivery(DELETE)).await;
        assert!(matches!(outcome, Outcome::HandlerTimedOut(l) if l == limit));
    }

    #[tokio::test]
    async fn a_payload_that_does_not_decode_is_undecodable_with_its_path() {
        let dispatcher = with_typed(None, |_, _| async { Ok(()) });
        let outcome = dispatcher
            .dispatch(delivery(br#"{"type":"AssociationDelete","id":7}"#))
            .await;
        assert!(
            matches!(&outcome, Outcome::Undecodable(e) if e.path == "id"),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn without_a_handler_kinds_are_acknowledged_and_unknowns_fall_back() {
        let none = Dispatcher::new((), None);
        assert!(matches!(
            none.dispatch(delivery(DELETE)).await,
            Outcome::NoHandler(EventKind::AssociationDelete)
        ));
        assert!(matches!(
            none.dispatch(delivery(br#"{"type":"New"}"#)).await,
            Outcome::Unknown
        ));

        let mut unknown = Dispatcher::new((), None);
        unknown.set_unknown(Box::new(Erased::<Unknown, _, _>::new(
            |event: UnknownEvent, _: Delivery| async move {
                assert_eq!(event.type_field.as_deref(), Some("New"));
            },
        )));
        assert!(matches!(
            unknown.dispatch(delivery(br#"{"type":"New"}"#)).await,
            Outcome::Handled
        ));

        let mut any = Dispatcher::new((), None);
        any.set_catch_all(Box::new(Erased::<AnyEvent, _, _>::new(
            |event: Event, _: Delivery| async move {
                assert_eq!(event.kind(), Some(EventKind::AssociationDelete));
            },
        )));
        assert!(matches!(
            any.dispatch(delivery(DELETE)).await,
            Outcome::Handled
        ));
    }
}
