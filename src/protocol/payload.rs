//! Event models (protocol.md §4 and §6) and validation of payloads against them.
//!
//! The typed models are what `simulate` builds; [`validate`] walks a raw JSON value instead, so it
//! can report every problem with its JSON path rather than stopping at serde's first error.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use super::time::parse_iso8601;

/// The event types Top.gg sends with the v1 envelope.
pub const EVENT_TYPES: [&str; 4] = ["integration.create", "integration.delete", "webhook.test", "vote.create"];

/// The routes (scopes) a handshake may subscribe to.
pub const KNOWN_ROUTES: [&str; 2] = ["vote.create", "webhook.test"];

/// `project` in every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// Top.gg's snowflake for the project.
    pub id: String,
    /// `bot` or `server` (the models page also lists `game`).
    #[serde(rename = "type")]
    pub kind: String,
    /// `discord` (also `roblox`).
    pub platform: String,
    /// The platform's id for it, a snowflake.
    pub platform_id: String,
}

/// `user` in every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Top.gg's snowflake for the user.
    pub id: String,
    /// The platform's id for the user.
    pub platform_id: String,
    /// Display name.
    pub name: String,
    /// Avatar URL.
    pub avatar_url: String,
}

/// `integration.create` data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationCreate {
    /// The connection's id.
    pub connection_id: String,
    /// The secret that will sign deliveries to the webhook URL (`whs_…`).
    pub webhook_secret: String,
    /// The connected project.
    pub project: Project,
    /// The user who connected it.
    pub user: User,
}

/// `integration.delete` data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationDelete {
    /// The connection being removed.
    pub connection_id: String,
}

/// `webhook.test` data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookTest {
    /// The user who pressed "test".
    pub user: User,
    /// The project.
    pub project: Project,
}

/// `vote.create` data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteCreate {
    /// The vote's snowflake; a retry carries the same id.
    pub id: String,
    /// 1, or 2 on weekend multiplier.
    pub weight: i64,
    /// When the vote was cast (`2026-02-09T00:47:14.2510149+00:00`).
    pub created_at: String,
    /// When the user may vote again, 12 h later.
    pub expires_at: String,
    /// The project voted for.
    pub project: Project,
    /// The voter.
    pub user: User,
    /// Query parameters of the vote page, when any (only the node SDK models it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<BTreeMap<String, String>>,
}

/// A v1 event: `{"type": …, "data": {…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum Event {
    /// Sent to the config URL when a user connects.
    #[serde(rename = "integration.create")]
    IntegrationCreate(IntegrationCreate),
    /// Sent to the config URL when a user disconnects.
    #[serde(rename = "integration.delete")]
    IntegrationDelete(IntegrationDelete),
    /// Sent to the webhook URL from the dashboard's test button.
    #[serde(rename = "webhook.test")]
    WebhookTest(WebhookTest),
    /// Sent to the webhook URL for each vote.
    #[serde(rename = "vote.create")]
    VoteCreate(VoteCreate),
}

impl Event {
    /// The `type` string.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::IntegrationCreate(_) => "integration.create",
            Event::IntegrationDelete(_) => "integration.delete",
            Event::WebhookTest(_) => "webhook.test",
            Event::VoteCreate(_) => "vote.create",
        }
    }

    /// The exact bytes to send: compact JSON, fields in model order.
    pub fn to_body(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// A legacy (v0) bot vote, authenticated by `Authorization: <secret>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyBotVote {
    /// The bot's Discord id.
    pub bot: String,
    /// The voter's Discord id.
    pub user: String,
    /// `upvote` or `test`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Weekend multiplier in effect.
    #[serde(rename = "isWeekend")]
    pub is_weekend: bool,
    /// The vote page's query string, e.g. `?a=1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

/// A legacy (v0) server vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyServerVote {
    /// The server's Discord id.
    pub guild: String,
    /// The voter's Discord id.
    pub user: String,
    /// `upvote` or `test`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The vote page's query string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

/// What a payload is, as far as [`classify`] can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadKind {
    /// A v1 envelope with this known type.
    Event(&'static str),
    /// A legacy bot vote (`bot` field).
    LegacyBot,
    /// A legacy server vote (`guild` field).
    LegacyServer,
    /// Neither.
    Unknown,
}

impl PayloadKind {
    /// A short name: the event type, `legacy bot vote`, `legacy server vote` or `unknown`.
    pub fn name(self) -> &'static str {
        match self {
            PayloadKind::Event(t) => t,
            PayloadKind::LegacyBot => "legacy bot vote",
            PayloadKind::LegacyServer => "legacy server vote",
            PayloadKind::Unknown => "unknown",
        }
    }
}

/// Tells a v1 event from a legacy vote from anything else.
pub fn classify(value: &Value) -> PayloadKind {
    let Some(obj) = value.as_object() else { return PayloadKind::Unknown };
    if let Some(t) = obj.get("type").and_then(Value::as_str)
        && let Some(known) = EVENT_TYPES.iter().find(|k| **k == t)
    {
        return PayloadKind::Event(known);
    }
    if obj.contains_key("data") {
        return PayloadKind::Unknown;
    }
    if obj.contains_key("bot") {
        PayloadKind::LegacyBot
    } else if obj.contains_key("guild") {
        PayloadKind::LegacyServer
    } else {
        PayloadKind::Unknown
    }
}

/// One thing wrong with a payload, at a JSON path like `$.data.user.id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where: a JSON path from `$`.
    pub path: String,
    /// What: one sentence.
    pub message: String,
}

/// Values from the documentation's examples that real payloads never carry.
const DOC_PLACEHOLDERS: [&str; 8] =
    ["top.gg id", "platform id", "user id", "bot id", "project id", "discord id", "connection id", "vote id"];

struct Checker {
    problems: Vec<Problem>,
}

/// Where a field is: the parent's path and the key. Joined into `$.data.user.id` only when a
/// problem is reported, since valid payloads (the common case in a stream) never need the string.
#[derive(Clone, Copy)]
struct At<'a>(&'static str, &'a str);

impl std::fmt::Display for At<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

impl Checker {
    fn report(&mut self, path: impl ToString, message: impl Into<String>) {
        self.problems.push(Problem { path: path.to_string(), message: message.into() });
    }

    fn object<'v>(
        &mut self,
        parent: &'v Value,
        path: &'static str,
        key: &str,
    ) -> Option<&'v serde_json::Map<String, Value>> {
        match parent.get(key) {
            None => self.report(At(path, key), "is missing"),
            Some(Value::Object(o)) => return Some(o),
            Some(v) => self.report(At(path, key), format!("must be an object, not {}", kind_of(v))),
        }
        None
    }

    fn string<'v>(&mut self, parent: &'v Value, path: &'static str, key: &str) -> Option<&'v str> {
        match parent.get(key) {
            None => self.report(At(path, key), "is missing"),
            Some(Value::String(s)) => return Some(s),
            Some(v) => self.report(At(path, key), format!("must be a string, not {}", kind_of(v))),
        }
        None
    }

    fn snowflake(&mut self, parent: &Value, path: &'static str, key: &str) {
        let Some(s) = self.string(parent, path, key) else { return };
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            if s.parse::<u64>().is_err() {
                self.report(At(path, key), format!("{s:?} does not fit in 64 bits"));
            }
        } else if DOC_PLACEHOLDERS.iter().any(|p| p.eq_ignore_ascii_case(s)) {
            self.report(At(path, key), format!("{s:?} is the documentation's placeholder, not a real id"));
        } else {
            self.report(At(path, key), format!("{s:?} is not a snowflake (a string of digits)"));
        }
    }

    fn one_of(&mut self, parent: &Value, path: &'static str, key: &str, allowed: &[&str]) {
        if let Some(s) = self.string(parent, path, key)
            && !allowed.contains(&s)
        {
            self.report(At(path, key), format!("{s:?} is not one of {}", allowed.join(", ")));
        }
    }

    fn date(&mut self, parent: &Value, path: &'static str, key: &str) -> Option<i128> {
        let s = self.string(parent, path, key)?;
        match parse_iso8601(s) {
            Ok(n) => Some(n),
            Err(why) => {
                self.report(At(path, key), format!("{s:?} is not an ISO 8601 date: {why}"));
                None
            }
        }
    }

    fn project(&mut self, data: &Value) {
        const P: &str = "$.data.project";
        if self.object(data, "$.data", "project").is_none() {
            return;
        }
        let project = &data["project"];
        self.snowflake(project, P, "id");
        self.one_of(project, P, "type", &["bot", "server", "game"]);
        self.one_of(project, P, "platform", &["discord", "roblox"]);
        self.snowflake(project, P, "platform_id");
    }

    fn user(&mut self, data: &Value) {
        const P: &str = "$.data.user";
        if self.object(data, "$.data", "user").is_none() {
            return;
        }
        let user = &data["user"];
        self.snowflake(user, P, "id");
        self.snowflake(user, P, "platform_id");
        self.string(user, P, "name");
        if let Some(url) = self.string(user, P, "avatar_url")
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            self.report(At(P, "avatar_url"), format!("{url:?} is not an absolute http(s) URL"));
        }
    }

    fn event(&mut self, root: &Value, kind: &str) {
        if self.object(root, "$", "data").is_none() {
            return;
        }
        let data = &root["data"];
        let path = "$.data";
        match kind {
            "integration.create" => {
                self.connection_id(data);
                if let Some(s) = self.string(data, path, "webhook_secret") {
                    if !s.starts_with(super::secret::WEBHOOK_SECRET_PREFIX) {
                        self.report("$.data.webhook_secret", "does not start with whs_");
                    } else if s.len() <= 4 {
                        self.report("$.data.webhook_secret", "has nothing after whs_");
                    }
                }
                self.project(data);
                self.user(data);
            }
            "integration.delete" => self.connection_id(data),
            "webhook.test" => {
                self.user(data);
                self.project(data);
            }
            "vote.create" => {
                self.snowflake(data, path, "id");
                match data.get("weight") {
                    None => self.report("$.data.weight", "is missing"),
                    Some(Value::Number(n)) if n.as_i64().is_some_and(|w| w >= 1) => {}
                    Some(v) => self.report("$.data.weight", format!("must be a positive integer, not {}", describe(v))),
                }
                let created = self.date(data, path, "created_at");
                let expires = self.date(data, path, "expires_at");
                if let (Some(c), Some(e)) = (created, expires)
                    && e <= c
                {
                    self.report("$.data.expires_at", "is not after created_at");
                }
                self.project(data);
                self.user(data);
                match data.get("query") {
                    None | Some(Value::Null) => {}
                    Some(Value::Object(q)) => {
                        for (k, v) in q {
                            if !v.is_string() {
                                self.report(At("$.data.query", k), format!("must be a string, not {}", kind_of(v)));
                            }
                        }
                    }
                    Some(v) => self.report("$.data.query", format!("must be an object of strings, not {}", kind_of(v))),
                }
            }
            _ => {}
        }
    }

    fn connection_id(&mut self, data: &Value) {
        if let Some(s) = self.string(data, "$.data", "connection_id")
            && s.is_empty()
        {
            self.report("$.data.connection_id", "is empty");
        }
    }

    fn legacy(&mut self, root: &Value, id_key: &str, bot: bool) {
        self.snowflake(root, "$", id_key);
        self.snowflake(root, "$", "user");
        self.one_of(root, "$", "type", &["upvote", "test"]);
        if bot {
            match root.get("isWeekend") {
                None => self.report("$.isWeekend", "is missing"),
                Some(Value::Bool(_)) => {}
                Some(v) => self.report("$.isWeekend", format!("must be a boolean, not {}", kind_of(v))),
            }
        }
        match root.get("query") {
            None | Some(Value::String(_)) => {}
            Some(v) => self.report("$.query", format!("must be a string like \"?a=1\", not {}", kind_of(v))),
        }
    }
}

/// Checks a payload against the models; an empty list means it is valid.
pub fn validate(value: &Value) -> (PayloadKind, Vec<Problem>) {
    let mut c = Checker { problems: Vec::new() };
    let kind = classify(value);
    match kind {
        PayloadKind::Event(t) => c.event(value, t),
        PayloadKind::LegacyBot => c.legacy(value, "bot", true),
        PayloadKind::LegacyServer => c.legacy(value, "guild", false),
        PayloadKind::Unknown => match value {
            Value::Object(o) => match o.get("type") {
                None => c.report("$.type", "is missing: not a Top.gg event (nor a legacy vote with bot or guild)"),
                Some(Value::String(t)) => {
                    c.report("$.type", format!("{t:?} is not a known event type ({})", EVENT_TYPES.join(", ")))
                }
                Some(v) => c.report("$.type", format!("must be a string, not {}", kind_of(v))),
            },
            v => c.report("$", format!("must be a JSON object, not {}", kind_of(v))),
        },
    }
    (kind, c.problems)
}

/// For a `vote.create`: which of the voter's two ids is which. `data.user.id` is the Top.gg user id
/// and `data.user.platform_id` the Discord one (protocol.md §4, §8); receivers in the wild credit
/// the wrong one, which goes unnoticed when a test payload makes the two equal. `None` for other
/// payloads or when either id is not a string.
pub fn user_id_note(value: &Value) -> Option<String> {
    if value.get("type").and_then(Value::as_str) != Some("vote.create") {
        return None;
    }
    let user = value.get("data")?.get("user")?;
    let id = user.get("id")?.as_str()?;
    let platform_id = user.get("platform_id")?.as_str()?;
    Some(if id == platform_id {
        format!(
            "data.user.id and data.user.platform_id are both {id}: Top.gg sends two different ids (the Top.gg user \
             and the Discord user), so this payload cannot show which one a receiver credits"
        )
    } else {
        format!(
            "data.user.platform_id {platform_id} is the voter's Discord id; data.user.id {id} is their Top.gg id \
             (credit platform_id to the Discord user)"
        )
    })
}

/// `a string`, `a number`, … for messages about a JSON value's type.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        other => kind_of(other).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_event_serialises_as_envelope() {
        let e = Event::IntegrationDelete(IntegrationDelete { connection_id: "1".into() });
        assert_eq!(
            String::from_utf8(e.to_body()).unwrap(),
            r#"{"type":"integration.delete","data":{"connection_id":"1"}}"#
        );
    }

    #[test]
    fn reports_paths() {
        let (kind, problems) = validate(&json!({"type": "vote.create", "data": {"id": "top.gg id", "weight": 0}}));
        assert_eq!(kind, PayloadKind::Event("vote.create"));
        let paths: Vec<_> = problems.iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"$.data.id"));
        assert!(paths.contains(&"$.data.weight"));
        assert!(paths.contains(&"$.data.created_at"));
        assert!(problems[0].message.contains("placeholder"));
    }

    #[test]
    fn the_user_id_note_says_which_id_is_discords() {
        let vote = |id: &str, platform: &str| json!({"type": "vote.create", "data": {"user": {"id": id, "platform_id": platform}}});
        let note = user_id_note(&vote("1", "2")).unwrap();
        assert!(note.starts_with("data.user.platform_id 2 is the voter's Discord id; data.user.id 1"), "{note}");
        assert!(user_id_note(&vote("3", "3")).unwrap().contains("cannot show which one"));
        assert_eq!(user_id_note(&json!({"type": "webhook.test", "data": {"user": {"id": "1"}}})), None);
        assert_eq!(user_id_note(&json!({"bot": "1", "user": "2"})), None);
    }

    #[test]
    fn classifies_legacy() {
        assert_eq!(classify(&json!({"bot": "1", "user": "2", "type": "upvote"})), PayloadKind::LegacyBot);
        assert_eq!(classify(&json!({"guild": "1"})), PayloadKind::LegacyServer);
        assert_eq!(classify(&json!({"type": "nope", "data": {}})), PayloadKind::Unknown);
    }
}
