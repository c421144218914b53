//! Every operation's response body: the 200 envelope decode, the second look at a body that
//! does not decode, the conversion into the public types, and the declared 4xx bodies.
//! Each input runs as every operation, so the documented payloads seed all of them.
#![no_main]

use cryptopocket::fuzzing::{OPERATION_COUNT, envelope, error_body};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    for operation in 0..OPERATION_COUNT {
        let _ = envelope(operation, body);
        let _ = error_body(operation, 422, body);
    }
});
