//! What the simulator's tests share.
#![allow(dead_code)] // each test binary uses a part of this

pub(crate) mod receiver;
pub(crate) mod webdriver;
