//! Judging a config URL's answer to `integration.create` as `simulate` and `check` receive it; the
//! rules themselves are in [`crate::protocol::handshake`], shared with `serve --forward-to`.

use super::delivery::Response;
pub use crate::protocol::handshake::{Handshake, HandshakeCheck};

/// Checks an answer to `integration.create`.
pub fn check(resp: &Response) -> HandshakeCheck {
    crate::protocol::handshake::judge(resp.status, resp.header("content-type"), &resp.body)
}
