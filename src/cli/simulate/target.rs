//! Where a webhook delivery goes: shared by single sends and load mode, so neither imports the
//! other.

use super::builtin::Builtin;
use crate::protocol::secret::Secret;
use crate::send::delivery::Url;

/// Where deliveries go and what signs them.
pub(crate) struct WebhookTarget {
    pub url: Url,
    pub secret: Secret,
    /// The built-in receiver, when it is the target; it stops when this is dropped.
    pub _builtin: Option<Builtin>,
}
