//! The built-in fixtures, one per event kind: test-support's, the files the types crate is
//! tested against.

pub use ghl_webhook_test_support::fixtures::builtin;
