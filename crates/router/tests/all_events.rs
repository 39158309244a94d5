//! Every kind of the catalogue, over real HTTP: dispatched to its own typed handler, by `type`
//! (where it has one) and by route binding; and a property over generated events of all kinds.

mod common;

use common::{Recorder, record, runtime, serve, test_router};
use ghl_webhook_router::WebhookRouter;
use ghl_webhook_router::types::{
    Event, EventKind, VisitEventTypes, WebhookEvent, visit_event_types,
};
use ghl_webhook_test_support::strategies::{any_event, event_of};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// A router with a recording typed handler for every event type.
fn every_kind_router(rec: &Recorder) -> WebhookRouter<Recorder> {
    struct Register(Option<WebhookRouter<Recorder>>);
    impl VisitEventTypes for Register {
        fn visit<T: WebhookEvent>(&mut self) {
            self.0 = self.0.take().map(record::<T>);
        }
    }
    let mut register = Register(Some(test_router(rec)));
    visit_event_types(&mut register);
    register.0.expect("router")
}

#[test]
fn each_kind_reaches_its_own_handler_by_type_and_by_route() {
    let rt = runtime();
    let rec = Recorder::default();
    // The same event is sent twice (by route, then by type): deduplication would swallow the
    // second when the event models its own `webhookId` (ExternalAuthConnected).
    let router = every_kind_router(&rec).without_dedupe();
    let (_server, sender) = rt.block_on(serve(router.into_service()));
    let mut runner = TestRunner::deterministic();
    for &kind in EventKind::ALL {
        let event = event_of(kind)
            .new_tree(&mut runner)
            .expect("generates")
            .current();

        rec.clear();
        let sent = rt
            .block_on(sender.any_event(&event).bound().send())
            .expect("sent");
        assert_eq!(sent.status, 200, "{kind} by route: {}", sent.body_text());
        let got = rec.events();
        assert_eq!(got.len(), 1, "{kind} by route");
        assert_eq!(got[0].0, event, "{kind} by route");
        assert_eq!(got[0].1.kind(), Some(kind));

        if let Some(type_value) = kind.sent_type() {
            rec.clear();
            let sent = rt.block_on(sender.any_event(&event).send()).expect("sent");
            assert_eq!(sent.status, 200, "{kind} by type: {}", sent.body_text());
            let got = rec.events();
            assert_eq!(got.len(), 1, "{kind} by `type: {type_value}`");
            assert_eq!(got[0].0, event, "{kind} by type");
            assert_eq!(got[0].1.kind(), Some(kind));
        } else {
            // Without a route, a kind that needs one is never guessed.
            rec.clear();
            let sent = rt.block_on(sender.any_event(&event).send()).expect("sent");
            assert_eq!(sent.status, 200);
            assert!(
                rec.events().is_empty(),
                "{kind} must not be identified without its route"
            );
            assert_eq!(rec.unknown().len(), 1, "{kind} unbound is unknown");
        }
    }
}

#[test]
fn any_generated_event_reaches_the_handler_registered_for_its_kind() {
    let rt = runtime();
    let rec = Recorder::default();
    let (_server, sender) = rt.block_on(serve(every_kind_router(&rec).into_service()));
    let mut runner = TestRunner::new(Config::with_cases(512));
    runner
        .run(&any_event(), |event: Event| {
            rec.clear();
            let kind = event.kind().expect("known kind");
            let delivery = sender.any_event(&event);
            let delivery = if kind.needs_route_binding() {
                delivery.bound()
            } else {
                delivery
            };
            let sent = rt
                .block_on(delivery.send())
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            proptest::prop_assert_eq!(sent.status.as_u16(), 200, "{}: {}", kind, sent.body_text());
            let got = rec.events();
            proptest::prop_assert_eq!(got.len(), 1);
            proptest::prop_assert_eq!(&got[0].0, &event);
            proptest::prop_assert_eq!(got[0].1.kind(), Some(kind));
            Ok(())
        })
        .expect("property holds");
}

#[test]
fn type_values_that_are_not_kinds_are_never_taken_for_one() {
    for value in [
        "SMS",
        "Email",
        "one_time",
        "recurring",
        "Custom",
        "",
        "contactcreate",
    ] {
        assert_eq!(EventKind::from_type_field(value), None, "{value}");
    }
}
