//! The Top.gg wire format only: signatures, payloads, captures, secrets, generated events and
//! dates. Pure functions over what a caller hands in; nothing here does I/O, prints, or knows about
//! terminals, clap or colours.

pub mod capture;
pub mod diagnose;
pub mod generate;
pub mod handshake;
pub mod legacy_sdk;
pub mod payload;
pub mod probes;
pub mod reserialize;
pub mod secret;
pub mod signature;
pub mod time;
pub mod vectors;

/// The header `serve --forward-to` puts on the answers it gives itself (`serve`), so a sender
/// (`check`) does not credit the developer's app with them. Not part of Top.gg's protocol: the
/// one header the tool's two sides agree on.
pub const ANSWERED_BY_HEADER: &str = "x-topgg-int-answered-by";

/// The header `serve --forward-to` adds to the app's answer when it contradicts serve's verdict
/// (`app-does-not-verify`, `app-refuses-valid`), so the sender (`simulate`, `check`) can say who
/// is wrong too. Not part of Top.gg's protocol.
pub const DISAGREEMENT_HEADER: &str = "x-topgg-int-disagreement";
