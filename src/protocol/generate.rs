//! Realistic payloads: real snowflakes, `whs_` secrets from the OS random source, and dates in
//! Top.gg's form. Never the documentation's placeholders.

use std::sync::atomic::{AtomicU64, Ordering};

use super::payload::{
    Event, IntegrationCreate, IntegrationDelete, LegacyBotVote, LegacyServerVote, Project, User, VoteCreate,
    WebhookTest,
};
use super::secret::{Secret, WEBHOOK_SECRET_PREFIX};
use super::time::{format_topgg, now_unix_nanos};
use crate::error::{Error, Result};

/// Milliseconds from the Unix epoch to the Discord epoch (2015-01-01), the base of snowflakes.
pub const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// How long a vote lasts before the user may vote again.
pub const VOTE_EXPIRY_NANOS: i128 = 12 * 3600 * 1_000_000_000;

/// `N` bytes from the operating system's random source, or an error saying it failed: there is
/// no fallback, since these bytes become secrets that sign.
pub fn secret_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| {
        Error::input(format!("the operating system's random generator failed ({e}); no secret was made"))
    })?;
    Ok(buf)
}

static ID_FALLBACK: AtomicU64 = AtomicU64::new(0);

/// `N` bytes for ids and sample values that sign nothing (trace ids, snowflake worker bits,
/// temporary names). From the OS random source; should it fail, a SHA-256 of the process id and a
/// per-process counter keeps ids distinct (never the clock, and never used for key material).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    if getrandom::fill(&mut buf).is_err() {
        use sha2::{Digest, Sha256};
        for (i, chunk) in buf.chunks_mut(32).enumerate() {
            let n = ID_FALLBACK.fetch_add(1, Ordering::Relaxed);
            let d = Sha256::digest(format!("{}:{n}:{i}", std::process::id()));
            chunk.copy_from_slice(&d[..chunk.len()]);
        }
    }
    buf
}

/// A fresh webhook secret: `whs_` and 48 hex digits from the OS random source.
pub fn webhook_secret() -> Result<Secret> {
    Ok(Secret::new(format!("{WEBHOOK_SECRET_PREFIX}{}", hex::encode(secret_bytes::<24>()?))))
}

/// A fresh integration secret for `serve`, in the same form.
pub fn integration_secret() -> Result<Secret> {
    webhook_secret()
}

/// A fresh trace id (32 hex digits), like a W3C trace id.
pub fn trace_id() -> String {
    hex::encode(random_bytes::<16>())
}

static SNOWFLAKE_SEQ: AtomicU64 = AtomicU64::new(0);

/// A snowflake for now: milliseconds since the Discord epoch in the high bits, then random worker
/// and process ids and a per-process increment, so ids made in one run never repeat.
pub fn snowflake() -> String {
    let now_ms = (now_unix_nanos() / 1_000_000) as u64;
    snowflake_at(now_ms)
}

/// A snowflake for a given Unix time in milliseconds.
pub fn snowflake_at(unix_ms: u64) -> String {
    let since = unix_ms.saturating_sub(DISCORD_EPOCH_MS);
    let [w] = random_bytes::<1>();
    let seq = SNOWFLAKE_SEQ.fetch_add(1, Ordering::Relaxed) & 0xfff;
    ((since << 22) | (u64::from(w & 0x1f) << 17) | (u64::from(w >> 5) << 12) | seq).to_string()
}

/// The Unix time in milliseconds a snowflake was made at.
pub fn snowflake_time_ms(snowflake: u64) -> u64 {
    (snowflake >> 22) + DISCORD_EPOCH_MS
}

const NAMES: [&str; 6] = ["alice", "Zoë", "kenji_東京", "mod-bot-fan", "xX_voter_Xx", "ren 🚀"];

/// A plausible project: a Discord bot with fresh snowflakes.
pub fn project() -> Project {
    Project { id: snowflake(), kind: "bot".into(), platform: "discord".into(), platform_id: snowflake() }
}

/// A plausible user with an avatar URL on Discord's CDN.
pub fn user() -> User {
    let platform_id = snowflake();
    let [n] = random_bytes::<1>();
    User {
        id: snowflake(),
        name: NAMES[usize::from(n) % NAMES.len()].into(),
        avatar_url: format!(
            "https://cdn.discordapp.com/avatars/{platform_id}/{}.png",
            hex::encode(random_bytes::<16>())
        ),
        platform_id,
    }
}

/// `integration.create` with a fresh connection id and webhook secret.
pub fn integration_create() -> Result<(Event, Secret)> {
    let secret = webhook_secret()?;
    Ok((integration_create_with(&secret), secret))
}

/// `integration.create` with a fresh connection id handing out this webhook secret.
pub fn integration_create_with(secret: &Secret) -> Event {
    Event::IntegrationCreate(IntegrationCreate {
        connection_id: snowflake(),
        webhook_secret: secret.expose().into(),
        project: project(),
        user: user(),
    })
}

/// A secret in the `whs_` form that is meant to be wrong: it signs requests a receiver must
/// refuse (conformance checks), so it is made from [`random_bytes`] and never kept.
pub fn wrong_secret() -> Secret {
    Secret::new(format!("{WEBHOOK_SECRET_PREFIX}{}", hex::encode(random_bytes::<24>())))
}

/// `integration.delete` for a connection.
pub fn integration_delete(connection_id: &str) -> Event {
    Event::IntegrationDelete(IntegrationDelete { connection_id: connection_id.into() })
}

/// `webhook.test` from a fresh user for a fresh project.
pub fn webhook_test() -> Event {
    Event::WebhookTest(WebhookTest { user: user(), project: project() })
}

/// `vote.create` cast now: fresh id, weight 1, expiry 12 h later.
pub fn vote_create() -> VoteCreate {
    let now = now_unix_nanos();
    VoteCreate {
        id: snowflake(),
        weight: 1,
        created_at: format_topgg(now),
        expires_at: format_topgg(now + VOTE_EXPIRY_NANOS),
        project: project(),
        user: user(),
        query: None,
    }
}

/// A legacy bot vote with `type` `upvote`.
pub fn legacy_bot_vote() -> LegacyBotVote {
    LegacyBotVote { bot: snowflake(), user: snowflake(), kind: "upvote".into(), is_weekend: false, query: None }
}

/// A legacy server vote with `type` `upvote`.
pub fn legacy_server_vote() -> LegacyServerVote {
    LegacyServerVote { guild: snowflake(), user: snowflake(), kind: "upvote".into(), query: None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::payload::validate;

    #[test]
    fn generated_payloads_validate() {
        let (create, secret) = integration_create().unwrap();
        assert!(secret.expose().starts_with("whs_") && secret.expose().len() == 52);
        for e in [create, integration_delete("123"), webhook_test(), Event::VoteCreate(vote_create())] {
            let v = serde_json::to_value(&e).unwrap();
            let (_, problems) = validate(&v);
            assert!(problems.is_empty(), "{}: {problems:?}", e.type_name());
        }
        for v in [serde_json::to_value(legacy_bot_vote()).unwrap(), serde_json::to_value(legacy_server_vote()).unwrap()]
        {
            assert!(validate(&v).1.is_empty());
        }
    }

    #[test]
    fn snowflakes_carry_the_time_and_differ() {
        let a: u64 = snowflake_at(1_770_598_034_000).parse().unwrap();
        assert_eq!(snowflake_time_ms(a), 1_770_598_034_000);
        assert_ne!(snowflake(), snowflake());
    }
}
