//! Handlers that write in the transaction completing their entry (durable mode on Postgres):
//! the handler's writes to the app's database and the entry's "done" commit together, so
//! those writes happen exactly once per journaled delivery.

use std::marker::PhantomData;

use futures_util::future::BoxFuture;
use ghl_webhook_types::{DecodeError, WebhookEvent};
use sqlx::PgConnection;

use crate::{Delivery, HandlerResult};

/// A transactional handler with its event type erased: decodes the delivery itself.
pub(crate) trait ErasedTransactional: Send + Sync {
    fn call<'c>(
        &'c self,
        delivery: Delivery,
        connection: &'c mut PgConnection,
    ) -> Result<BoxFuture<'c, HandlerResult>, DecodeError>;
}

/// A registered transactional handler of `T`: a function of the shape sqlx's own
/// `Connection::transaction` takes (the future borrows the connection, so it is boxed).
pub(crate) struct Transactional<T, H> {
    handler: H,
    _event: PhantomData<fn() -> T>,
}

impl<T, H> Transactional<T, H> {
    pub(crate) fn new(handler: H) -> Self {
        Self {
            handler,
            _event: PhantomData,
        }
    }
}

impl<T, H> ErasedTransactional for Transactional<T, H>
where
    T: WebhookEvent,
    H: for<'c> Fn(T, Delivery, &'c mut PgConnection) -> BoxFuture<'c, HandlerResult>
        + Send
        + Sync
        + 'static,
{
    fn call<'c>(
        &'c self,
        delivery: Delivery,
        connection: &'c mut PgConnection,
    ) -> Result<BoxFuture<'c, HandlerResult>, DecodeError> {
        let event = T::decode(delivery.raw())?;
        Ok((self.handler)(event, delivery, connection))
    }
}
