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
