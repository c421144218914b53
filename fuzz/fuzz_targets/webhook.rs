//! Webhook deliveries: signed ones verify and decode, forged ones are refused, none panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cryptopocket::fuzzing::webhook(data);
});
