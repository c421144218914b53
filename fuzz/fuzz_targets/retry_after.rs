//! `Retry-After` header values, at several clocks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|value: &[u8]| {
    let _ = cryptopocket::fuzzing::retry_after(value);
});
