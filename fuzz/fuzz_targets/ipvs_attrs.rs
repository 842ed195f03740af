//! Arbitrary bytes as an IPVS generic-netlink message: the attribute
//! decoder and the neli framing never panic on any input.

#![no_main]

use lbkit_ipvs::{wire, Message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&cmd, attrs)) = data.split_first() {
        let _ = Message::decode(cmd, attrs);
    }
    let _ = wire::parse(data);
});
