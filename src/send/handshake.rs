//! Judging a config URL's answer to `integration.create` as `simulate` and `check` receive it; the
//! rules themselves are in [`crate::protocol::handshake`], shared with `serve --forward-to`.

use super::delivery::{MAX_ANSWER, Response};
pub use crate::protocol::handshake::{Handshake, HandshakeCheck};

/// Checks an answer to `integration.create`; one cut at [`MAX_ANSWER`] fails.
pub fn check(resp: &Response) -> HandshakeCheck {
    crate::protocol::handshake::judge(
        resp.status,
        resp.header("content-type"),
        &resp.body,
        resp.truncated.then_some(MAX_ANSWER),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_cut_answer_is_a_failed_handshake() {
        let r = Response {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: br#"{"webhook_url":"https://x.test/w/1","routes":["vote.create"]}"#.to_vec(),
            truncated: true,
            latency: Duration::ZERO,
        };
        let c = check(&r);
        assert!(c.handshake.is_none() && c.problems[0].contains("reading stopped there"), "{c:?}");
    }
}
