//! The sending side: what Top.gg does to a URL. One signed delivery with Top.gg's timeout and
//! retries ([`delivery`]), the handshake answer's judge ([`handshake`]), `--set` overrides
//! ([`overrides`]) and load mode ([`load`], over the raw client in [`direct`]). Never prints.

pub mod delivery;
pub mod direct;
pub mod handshake;
pub mod load;
pub mod overrides;
