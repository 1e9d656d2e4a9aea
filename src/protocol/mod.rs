//! The Top.gg integration protocol: signatures, payloads, captures, deliveries and the reference
//! receiver. Nothing here prints or knows about terminals, clap or colours.

pub mod capture;
pub mod conformance;
pub mod delivery;
pub mod direct;
pub mod generate;
pub mod handshake;
pub mod http;
pub mod loadgen;
pub mod overrides;
pub mod payload;
pub mod receiver;
pub mod secret;
pub mod signature;
pub mod store;
pub mod time;
