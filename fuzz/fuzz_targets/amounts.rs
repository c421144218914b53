//! The amount parsers: decimal strings, base units with decimals, JSON numbers, cents.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cryptopocket::fuzzing::amounts(data);
});
