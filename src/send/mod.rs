//! The sending side: what Top.gg does to a URL. One attempt ([`client`]), one signed delivery with
//! Top.gg's timeout and retries ([`delivery`]), the handshake answer's judge ([`handshake`]), `--set` overrides
//! ([`overrides`]), load mode ([`load`], over the raw client in [`direct`]), why an attempt got
//! no answer ([`failure`]), target URLs and the addresses behind them ([`target`]) and TLS trust
//! and diagnosis ([`tls`]). Never prints.

pub mod client;
pub mod delivery;
pub mod direct;
pub mod failure;
pub mod handshake;
pub mod load;
pub mod overrides;
pub mod target;
pub mod tls;
