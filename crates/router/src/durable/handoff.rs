//! New entries handed by the edge straight to this process's running workers, leased: a
//! worker with room takes a new delivery without leasing it back from the journal (one round
//! trip and one read of the body fewer), and the journal writes its lease with the append.

use std::sync::{Mutex, PoisonError};

use tokio::sync::mpsc;

use crate::journal::Leased;

/// The way from the edge to the workers: open while a worker loop of this process runs.
#[derive(Debug, Default)]
pub(crate) struct HandOff {
    sender: Mutex<Option<mpsc::Sender<Leased>>>,
}

impl HandOff {
    /// A place for one entry, when a worker loop of this process runs and has room for it;
    /// `None` otherwise (the edge then appends the entry pending, for any worker to lease).
    pub(crate) fn reserve(&self) -> Option<mpsc::OwnedPermit<Leased>> {
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()?;
        sender.try_reserve_owned().ok()
    }

    /// Opens the way to a worker loop that takes up to `room` entries at a time; `None` when
    /// another worker loop of this process has it already.
    pub(crate) fn open(&self, room: usize) -> Option<mpsc::Receiver<Leased>> {
        let mut sender = self.sender.lock().unwrap_or_else(PoisonError::into_inner);
        if sender.as_ref().is_some_and(|open| !open.is_closed()) {
            return None;
        }
        let (tx, rx) = mpsc::channel(room.max(1));
        *sender = Some(tx);
        Some(rx)
    }

    /// Closes the way: the edge appends pending entries again. The worker loop then takes what
    /// was handed to it, the entries of places already reserved included.
    pub(crate) fn close(&self) {
        *self.sender.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_handed_while_no_worker_loop_runs() {
        let handoff = HandOff::default();
        assert!(handoff.reserve().is_none());
        let receiver = handoff.open(2).expect("open");
        assert!(
            handoff.open(2).is_none(),
            "one worker loop takes the hand-off"
        );
        let (first, second) = (handoff.reserve(), handoff.reserve());
        assert!(first.is_some() && second.is_some());
        assert!(handoff.reserve().is_none(), "no room beyond two");
        handoff.close();
        drop((first, second));
        assert!(handoff.reserve().is_none(), "closed");
        drop(receiver);
        assert!(handoff.open(1).is_some(), "open again for the next loop");
    }
}
