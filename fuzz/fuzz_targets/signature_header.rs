//! The x-topgg-signature parser and both verifiers on arbitrary headers and bodies: no panics,
//! the fast and diagnosing paths agree, and whatever parses obeys the header rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use topgg_int::protocol::secret::Secret;
use topgg_int::protocol::signature::{Reason, diagnose, parse_header, sign, verify};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    let (head, body) = data.split_at(split);
    let Ok(header) = std::str::from_utf8(head) else { return };
    if let Ok(h) = parse_header(header) {
        assert_eq!(h.v1_raw.len(), 64);
        assert!(h.v1_raw.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(h.t_raw.parse::<i64>().ok(), Some(h.timestamp));
    }
    let secret = Secret::new("whs_0123456789abcdef");
    let now = 1_770_598_034;
    let fast = verify(&secret, Some(header), body, now, 30).map(|_| Reason::Ok).unwrap_or_else(|r| r.reason);
    let slow = diagnose(&secret, Some(header), body, now, 30);
    assert_eq!(fast, slow.reason);
    let signed = sign(&secret, now, body);
    assert_eq!(verify(&secret, Some(&signed), body, now, 30), Ok(now));
});
