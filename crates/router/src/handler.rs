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
/// Implemented for closures and functions; `M` ([`WithoutState`] or [`WithState`]) is inferred.
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

/// A handler with its event type erased: decodes the body itself.
pub(crate) trait ErasedHandler<S>: Send + Sync {
    fn call(
        &self,
        body: &[u8],
        delivery: Delivery,
        state: &S,
    ) -> Result<BoxFuture<'static, HandlerResult>, DecodeError>;
}

/// A handler of one typed event.
pub(crate) struct Typed<T, H, M> {
    handler: H,
    _types: PhantomData<fn() -> (T, M)>,
}

impl<T, H, M> Typed<T, H, M> {
    pub(crate) fn new(handler: H) -> Self {
        Self {
            handler,
            _types: PhantomData,
        }
    }
}

impl<T, H, M, S> ErasedHandler<S> for Typed<T, H, M>
where
    T: WebhookEvent,
    H: Handler<T, S, M>,
    M: 'static,
{
    fn call(
        &self,
        body: &[u8],
        delivery: Delivery,
        state: &S,
    ) -> Result<BoxFuture<'static, HandlerResult>, DecodeError> {
        let event = T::decode(body)?;
        Ok(self.handler.call(event, delivery, state))
    }
}

/// The catch-all: any known kind, decoded into the [`Event`] enum.
pub(crate) struct CatchAll<H, M> {
    handler: H,
    _marker: PhantomData<fn() -> M>,
}

impl<H, M> CatchAll<H, M> {
    pub(crate) fn new(handler: H) -> Self {
        Self {
            handler,
            _marker: PhantomData,
        }
    }
}

impl<H, M, S> ErasedHandler<S> for CatchAll<H, M>
where
    H: Handler<Event, S, M>,
    M: 'static,
{
    fn call(
        &self,
        body: &[u8],
        delivery: Delivery,
        state: &S,
    ) -> Result<BoxFuture<'static, HandlerResult>, DecodeError> {
        let event = match delivery.kind() {
            Some(kind) => Event::decode(kind, body)?,
            None => Event::Unknown {
                type_field: delivery.type_field.clone(),
                raw: delivery.raw.clone(),
            },
        };
        Ok(self.handler.call(event, delivery, state))
    }
}

/// The handler of unknown events.
pub(crate) struct Unknown<H, M> {
    handler: H,
    _marker: PhantomData<fn() -> M>,
}

impl<H, M> Unknown<H, M> {
    pub(crate) fn new(handler: H) -> Self {
        Self {
            handler,
            _marker: PhantomData,
        }
    }
}

impl<H, M, S> ErasedHandler<S> for Unknown<H, M>
where
    H: Handler<UnknownEvent, S, M>,
    M: 'static,
{
    fn call(
        &self,
        _body: &[u8],
        delivery: Delivery,
        state: &S,
    ) -> Result<BoxFuture<'static, HandlerResult>, DecodeError> {
        let event = UnknownEvent {
            type_field: delivery.type_field.clone(),
            raw: delivery.raw.clone(),
        };
        Ok(self.handler.call(event, delivery, state))
    }
}
