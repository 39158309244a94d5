//! Handlers: typed async functions registered per event kind.
//!
//! A handler is any `Fn(Event, Delivery) -> impl Future` or `Fn(Event, Delivery, State)`,
//! whose output is `()` or `Result<(), E>` for any error type. Registration erases the type;
//! the erased handler decodes the body straight into the handler's event type.

use std::future::Future;
use std::marker::PhantomData;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use ghl_webhook_types::{DecodeError, Event, WebhookEvent};

use crate::delivery::unknown_event;
use crate::{BoxError, Delivery, UnknownEvent};

/// What a handler's future returns once erased: success, or the error that failed it.
pub type HandlerResult = Result<(), BoxError>;

/// Output types a handler may return: `()` (always success) or `Result<(), E>`.
pub trait IntoHandlerResult {
    /// Converts into the erased result.
    fn into_handler_result(self) -> HandlerResult;
}

impl IntoHandlerResult for () {
    fn into_handler_result(self) -> HandlerResult {
        Ok(())
    }
}

impl<E: Into<BoxError>> IntoHandlerResult for Result<(), E> {
    fn into_handler_result(self) -> HandlerResult {
        self.map_err(Into::into)
    }
}

/// Marker for handlers taking `(event, delivery)`.
#[derive(Debug)]
pub enum WithoutState {}
/// Marker for handlers taking `(event, delivery, state)`.
#[derive(Debug)]
pub enum WithState {}

/// An async function that handles one event type `T` with router state `S`.
///
/// Implemented for closures and `async fn`s of these shapes (`M`, a marker telling the two
/// apart, is inferred):
///
/// | shape | registered with |
/// |---|---|
/// | `async fn(T, Delivery) -> R` | [`WebhookRouter::new`](crate::WebhookRouter::new) or `with_state` |
/// | `async fn(T, Delivery, S) -> R` | [`WebhookRouter::with_state`](crate::WebhookRouter::with_state)`(state)`; `S: Clone` (cloned for each call) |
///
/// where `T` is an event type of [`types`](crate::types) for `.on(..)`, [`Event`](crate::types::Event)
/// for `.on_any(..)`, [`UnknownEvent`](crate::UnknownEvent) for `.on_unknown(..)`; and `R` is
/// `()` or `Result<(), E>` with `E: Into<Box<dyn Error + Send + Sync>>` (an `Err` answers
/// `500`, so HighLevel retries). The function and its future are `Send + 'static`.
///
/// ```
/// use ghl_webhook_router::{Delivery, WebhookRouter};
/// use ghl_webhook_router::types::contact::ContactCreate;
///
/// #[derive(Clone)]
/// struct App {
///     name: &'static str,
/// }
///
/// async fn created(event: ContactCreate, _: Delivery, app: App) -> Result<(), std::io::Error> {
///     println!("{}: contact {} created", app.name, event.id);
///     Ok(())
/// }
///
/// let router = WebhookRouter::with_state(App { name: "crm" })
///     .on(created)
///     .on(|_: ghl_webhook_router::types::contact::ContactDelete, _: Delivery| async {});
/// # let _ = router;
/// ```
///
/// A function of another shape is refused at compile time, with a note listing the shapes
/// above (here: the `Delivery` argument is missing):
///
/// ```compile_fail
/// use ghl_webhook_router::WebhookRouter;
/// use ghl_webhook_router::types::contact::ContactCreate;
///
/// let router = WebhookRouter::new().on(|_: ContactCreate| async {});
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a webhook handler for `{T}`",
    label = "not an async handler of this shape",
    note = "a handler is `async fn(event: {T}, delivery: Delivery)` or, with `WebhookRouter::with_state(state)`, `async fn(event: {T}, delivery: Delivery, state: {S})`",
    note = "it returns `()` or `Result<(), E>` with `E: Into<Box<dyn Error + Send + Sync>>`; it, its future and the state are `Send + 'static`, and the state is `Clone` (cloned for each call)"
)]
pub trait Handler<T, S, M>: Send + Sync + 'static {
    /// Runs the handler.
    fn call(&self, event: T, delivery: Delivery, state: &S) -> BoxFuture<'static, HandlerResult>;
}

impl<F, Fut, T, S> Handler<T, S, WithoutState> for F
where
    F: Fn(T, Delivery) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoHandlerResult,
{
    fn call(&self, event: T, delivery: Delivery, _: &S) -> BoxFuture<'static, HandlerResult> {
        self(event, delivery)
            .map(IntoHandlerResult::into_handler_result)
            .boxed()
    }
}

impl<F, Fut, T, S> Handler<T, S, WithState> for F
where
    F: Fn(T, Delivery, S) -> Fut + Send + Sync + 'static,
    Fut: Future + Send + 'static,
    Fut::Output: IntoHandlerResult,
    S: Clone,
{
    fn call(&self, event: T, delivery: Delivery, state: &S) -> BoxFuture<'static, HandlerResult> {
        self(event, delivery, state.clone())
            .map(IntoHandlerResult::into_handler_result)
            .boxed()
    }
}

/// A handler with its event type erased: decodes the delivery's bytes itself.
pub(crate) trait ErasedHandler<S>: Send + Sync {
    fn call(
        &self,
        delivery: Delivery,
        state: &S,
    ) -> Result<BoxFuture<'static, HandlerResult>, DecodeError>;
}

/// How the argument of one kind of handler is made from a delivery.
pub(crate) trait Extract: 'static {
    /// What the handler receives.
    type Event;
    /// Decodes (or wraps) the delivery's bytes for the handler.
    fn extract(delivery: &Delivery) -> Result<Self::Event, DecodeError>;
}

/// `on::<T>`: the body decoded straight into `T`.
pub(crate) struct Typed<T>(PhantomData<fn() -> T>);

impl<T: WebhookEvent> Extract for Typed<T> {
    type Event = T;
    fn extract(delivery: &Delivery) -> Result<T, DecodeError> {
        T::decode(delivery.raw())
    }
}

/// `on_any`: any delivery as the [`Event`] enum (`Unknown` when the kind is not known).
pub(crate) struct AnyEvent;

impl Extract for AnyEvent {
    type Event = Event;
    fn extract(delivery: &Delivery) -> Result<Event, DecodeError> {
        match delivery.kind() {
            Some(kind) => Event::decode(kind, delivery.raw()),
            None => Ok(Event::Unknown(unknown_event(delivery))),
        }
    }
}

/// `on_unknown`: the raw delivery.
pub(crate) struct Unknown;

impl Extract for Unknown {
    type Event = UnknownEvent;
    fn extract(delivery: &Delivery) -> Result<UnknownEvent, DecodeError> {
        Ok(unknown_event(delivery))
    }
}

/// A registered handler: `X` makes its argument, `H` is the user's function.
pub(crate) struct Erased<X, H, M> {
    handler: H,
    _types: PhantomData<fn() -> (X, M)>,
}

impl<X, H, M> Erased<X, H, M> {
    pub(crate) fn new(handler: H) -> Self {
        Self {
            handler,
            _types: PhantomData,
        }
    }
}

impl<X, H, M, S> ErasedHandler<S> for Erased<X, H, M>
where
    X: Extract,
    H: Handler<X::Event, S, M>,
    M: 'static,
{
    fn call(
        &self,
        delivery: Delivery,
        state: &S,
    ) -> Result<BoxFuture<'static, HandlerResult>, DecodeError> {
        let event = X::extract(&delivery)?;
        Ok(self.handler.call(event, delivery, state))
    }
}
