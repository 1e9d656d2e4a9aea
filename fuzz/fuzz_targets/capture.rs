//! The raw HTTP capture parser on arbitrary bytes: no panics, and what parses keeps its body
//! through a write-and-parse round trip, after which writing is stable (`to_http` rewrites the
//! framing headers to match the stored body, so the first write may change them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use topgg_int::protocol::capture::Capture;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Capture::parse(data) {
        let written = c.to_http();
        let again = Capture::parse(&written).expect("a written capture parses");
        assert_eq!(again.body, c.body);
        assert_eq!(again.to_http(), written);
    }
});
