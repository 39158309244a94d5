//! `same_shape!`: distinct event types over one shared body.
//!
//! Several HighLevel events carry the very same payload (AssociationUpdate and
//! AssociationDelete, the seven Invoice events, ...). Each still needs its own type so that a
//! handler can be registered per event, so each is a `#[serde(transparent)]` newtype over the
//! shared body that dereferences to it: `event.id` works on every one of them.

/// Declares newtypes over a shared body type, each with `Deref`, `DerefMut`, `From` and
/// `into_inner`, serialized exactly as the body.
macro_rules! same_shape {
    ($body:ty => $( $(#[$meta:meta])* $name:ident ),+ $(,)?) => {
        $(
            $(#[$meta])*
            #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
            #[serde(transparent)]
            pub struct $name(pub $body);

            impl $name {
                /// The shared body.
                pub fn into_inner(self) -> $body {
                    self.0
                }
            }

            impl ::std::ops::Deref for $name {
                type Target = $body;
                fn deref(&self) -> &$body {
                    &self.0
                }
            }

            impl ::std::ops::DerefMut for $name {
                fn deref_mut(&mut self) -> &mut $body {
                    &mut self.0
                }
            }

            impl ::std::convert::From<$body> for $name {
                fn from(body: $body) -> Self {
                    Self(body)
                }
            }
        )+
    };
}

pub(crate) use same_shape;
