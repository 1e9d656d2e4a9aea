//! Every case of the shared signature vectors through the library: outcome, reason and hint.

use crate::common::vectors;
use topgg_int::protocol::secret::Secret;
use topgg_int::protocol::signature::{Reason, diagnose, verify};

#[test]
fn every_vector_through_the_library() {
    let mut failures = Vec::new();
    for v in vectors() {
        let secret = Secret::new(v.secret.clone());
        let d = diagnose(&secret, v.header.as_deref(), v.body.as_bytes(), v.now, v.tolerance_s);
        let expect_valid = v.expect == "valid";
        let hint = d.hints.first().map(|h| h.code());
        if d.is_valid() != expect_valid || d.reason.code() != v.reason || hint != v.hint.as_deref() || d.hints.len() > 1
        {
            failures.push(format!(
                "{}: got {} {:?} {:?}, want {} {} {:?}",
                v.name,
                d.is_valid(),
                d.reason,
                d.hints,
                v.expect,
                v.reason,
                v.hint
            ));
        }
        // The receiver's fast path must agree with the diagnosing one on the verdict and reason.
        let fast = verify(&secret, v.header.as_deref(), v.body.as_bytes(), v.now, v.tolerance_s);
        let fast_reason = fast.as_ref().map(|_| Reason::Ok).unwrap_or_else(|r| r.reason);
        if fast_reason != d.reason {
            failures.push(format!("{}: fast path says {fast_reason:?}, diagnose says {:?}", v.name, d.reason));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
