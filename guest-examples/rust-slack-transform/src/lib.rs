//! A transform written with the Rust guest SDK: shapes each signal into a Slack
//! incoming-webhook message (`{"text": …, "channel": …}`), so any built-in adapter (`http`
//! in binary mode, `webhook`) can post to Slack without a Slack adapter.
//!
//! Options (all optional): `text` (default `*$type* from $source`; `$id $type $source
//! $subject` are replaced), `channel`, `min_severity` (signals whose `data.severity` is a
//! number below it are dropped for the target).

use jido_dispatch_sdk::Data;
use jido_dispatch_sdk::transform::{Incoming, Transform, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The transform's options, as `transform_options` writes them.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Message template.
    #[serde(default = "default_text")]
    pub text: String,
    /// Channel override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// Drop signals whose `data.severity` is below this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<f64>,
}

fn default_text() -> String {
    "*$type* from $source".to_owned()
}

/// The opened transform.
#[derive(Debug)]
pub struct SlackMessage(Options);

impl Transform for SlackMessage {
    type Options = Options;

    fn check(opts: &Options) -> Result<(), String> {
        if opts.text.trim().is_empty() {
            return Err("text: must not be empty".to_owned());
        }
        if opts.channel.as_deref().is_some_and(|c| !c.starts_with('#') && !c.starts_with('@')) {
            return Err("channel: must start with # or @".to_owned());
        }
        Ok(())
    }

    fn open(opts: Options) -> Result<Self, String> {
        Ok(SlackMessage(opts))
    }

    fn transform(&self, incoming: Incoming<'_>) -> Result<Verdict, String> {
        let signal = incoming.signal();
        let data: Value = match &signal.data {
            Some(Data::Json(text)) => serde_json::from_str(text).map_err(|e| format!("data: {e}"))?,
            _ => Value::Null,
        };
        if let (Some(min), Some(severity)) = (self.0.min_severity, data["severity"].as_f64())
            && severity < min
        {
            return Ok(Verdict::Drop);
        }
        let text = self
            .0
            .text
            .replace("$id", &signal.id)
            .replace("$type", &signal.type_)
            .replace("$source", &signal.source)
            .replace("$subject", signal.subject.as_deref().unwrap_or(""));
        let mut message = json!({ "text": text });
        if let Some(channel) = &self.0.channel {
            message["channel"] = json!(channel);
        }
        // A new body; the host keeps the signal's other attributes.
        Ok(Verdict::json_data(message.to_string()))
    }
}

jido_dispatch_sdk::export_transform!(SlackMessage);

#[cfg(test)]
mod tests {
    use super::*;
    use jido_dispatch_sdk::Signal;

    fn signal(severity: f64) -> Signal {
        Signal {
            id: "1".into(),
            source: "/monitor".into(),
            type_: "alert.raised".into(),
            specversion: "1.0".into(),
            subject: Some("db".into()),
            time: None,
            datacontenttype: None,
            dataschema: None,
            data: Some(Data::Json(json!({ "severity": severity }).to_string())),
            extensions: vec![],
        }
    }

    #[test]
    fn shapes_a_slack_message_and_drops_low_severity() {
        let t = SlackMessage(Options {
            text: default_text(),
            channel: Some("#ops".into()),
            min_severity: Some(3.0),
        });
        let out = t.transform(Incoming::from(&signal(5.0))).expect("ok").applied_to(&signal(5.0));
        let out = out.expect("kept");
        let Some(Data::Json(body)) = out.data else { panic!("json") };
        assert_eq!(
            serde_json::from_str::<Value>(&body).expect("json"),
            json!({"text": "*alert.raised* from /monitor", "channel": "#ops"})
        );
        assert!(matches!(t.transform(Incoming::from(&signal(1.0))), Ok(Verdict::Drop)));
    }
}
