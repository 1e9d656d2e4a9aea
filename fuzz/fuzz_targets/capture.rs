//! The raw HTTP capture parser on arbitrary bytes: no panics, and what parses survives a
//! write-and-parse round trip unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use topgg_int::protocol::capture::Capture;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Capture::parse(data) {
        let again = Capture::parse(&c.to_http()).expect("a written capture parses");
        assert_eq!(again, c);
    }
});
