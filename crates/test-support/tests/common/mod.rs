//! What the simulator's tests share.
#![allow(dead_code)] // each test binary uses a part of this

pub mod receiver;
pub mod webdriver;
