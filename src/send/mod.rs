//! The sending side: what Top.gg does to a URL. One attempt, and the handshake answer's judge
//! ([`client`]); one signed delivery with Top.gg's timeout and retries ([`delivery`]); `--set`
//! overrides ([`overrides`]); load mode ([`load`], over the raw client in [`load::conn`]); why an
//! attempt got no answer ([`failure`]); target URLs and the addresses behind them ([`target`]);
//! TLS trust and diagnosis ([`tls`]). Never prints.

pub mod client;
pub mod delivery;
pub mod failure;
pub mod load;
pub mod overrides;
pub mod target;
pub mod tls;
