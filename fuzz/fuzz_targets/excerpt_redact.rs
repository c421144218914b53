//! The excerpt of a body and the redaction pass over it: a secret or token of three
//! characters or more that the body contains never shows in what an error prints.
#![no_main]

use cryptopocket::fuzzing::excerpt_redact;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (case, shown) = excerpt_redact(data);
    if let Some(secret) = case.leak(&shown) {
        panic!("{secret:?} shows in the redacted excerpt {shown:?} of {case:?}");
    }
});
