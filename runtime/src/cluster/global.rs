//! Global names over NATS request/reply: the node that registers a name answers on its
//! subject; a sender's request sees the remote receiver's ack, `timeout`, or
//! `process_not_found` when nobody serves the name.

use std::sync::PoisonError;
use std::time::Duration;

use async_nats::{HeaderMap, Request, client::RequestErrorKind};

use super::responder::{self, Serving};
use super::{Cluster, H_SYNC, H_TIMEOUT, header};
use crate::mailbox::{ChannelError, Mailboxes, Scope};
use crate::signal::Signal;

fn global_subject(name: &str) -> String {
    format!("jido.global.{}", hex::encode(name))
}

impl Cluster {
    /// Sends to a global name served by some node (possibly this one, through NATS too).
    pub(crate) async fn send_global(
        &self,
        name: &str,
        signal: &Signal,
        sync: bool,
        timeout: Duration,
    ) -> Result<(), ChannelError> {
        self.check_connected().map_err(ChannelError::Unavailable)?;
        let millis = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        let mut headers = HeaderMap::new();
        headers.insert(H_SYNC, if sync { "1" } else { "0" });
        headers.insert(H_TIMEOUT, millis.to_string().as_str());
        let request = Request::new().headers(headers).payload(signal.to_json().into()).timeout(Some(timeout));
        let who = format!("global name `{name}`");
        match self.client.send_request(global_subject(name), request).await {
            Ok(reply) => decode_reply(&reply.payload),
            Err(e) => Err(match e.kind() {
                RequestErrorKind::NoResponders => ChannelError::NotFound(format!(
                    "no process registered under the global name `{name}` on any node"
                )),
                RequestErrorKind::TimedOut => {
                    ChannelError::Timeout(format!("no acknowledgement from the {who} within {millis} ms"))
                }
                _ => ChannelError::Unavailable(format!("request to NATS at {} failed: {e}", self.url)),
            }),
        }
    }

    /// Starts answering requests for the global name `name` (registered on this node). A
    /// subscription still lingering from the name's last close here is taken back.
    pub(crate) async fn serve_global(&self, name: &str) -> Result<(), String> {
        if let Some(responder) = self.responders.lock().unwrap_or_else(PoisonError::into_inner).get(name)
            && responder.is_serving()
        {
            responder.set_open(true);
            return Ok(());
        }
        let sub = self
            .client
            .subscribe(global_subject(name))
            .await
            .map_err(|e| format!("cannot serve global name `{name}` over NATS: {e}"))?;
        let serving = Serving {
            client: self.client.clone(),
            mailboxes: self.mailboxes.clone(),
            responders: self.responders.clone(),
            name: name.to_owned(),
        };
        let old = self
            .responders
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), responder::spawn(serving, sub));
        if let Some(old) = old {
            old.task.abort();
        }
        self.client.flush().await.map_err(|e| format!("cannot serve global name `{name}` over NATS: {e}"))
    }

    /// Stops serving `name` (its mailbox closed). Its subscription lingers a little, so
    /// requests already on their way are answered `process_not_found`, not left to time out.
    pub(crate) fn stop_global(&self, name: &str) {
        if let Some(responder) = self.responders.lock().unwrap_or_else(PoisonError::into_inner).get(name) {
            responder.set_open(false);
        }
    }
}

pub(super) async fn answer(
    mailboxes: &Mailboxes,
    name: &str,
    message: &async_nats::Message,
) -> Result<(), ChannelError> {
    let headers = message.headers.as_ref();
    let sync = header(headers, H_SYNC).as_deref() != Some("0");
    let millis = header(headers, H_TIMEOUT).and_then(|t| t.parse::<u64>().ok()).unwrap_or(5000);
    let text = std::str::from_utf8(&message.payload)
        .map_err(|_| ChannelError::NotAlive("relayed signal is not UTF-8".to_owned()))?;
    let signal = Signal::from_json(text)
        .map_err(|e| ChannelError::NotAlive(format!("relayed signal is invalid: {e}")))?;
    let id = mailboxes.lookup(Scope::Global, name)?;
    mailboxes.send(id, signal, sync, Duration::from_millis(millis)).await
}

pub(super) fn encode_reply(outcome: &Result<(), ChannelError>) -> Vec<u8> {
    let value = match outcome {
        Ok(()) => serde_json::json!({ "ok": true }),
        Err(error) => {
            let kind = match error {
                ChannelError::NotFound(_) => "not_found",
                ChannelError::NotAlive(_) => "not_alive",
                ChannelError::Timeout(..) => "timeout",
                ChannelError::Full(..) => "full",
                ChannelError::Unavailable(_) => "unavailable",
            };
            serde_json::json!({ "ok": false, "kind": kind, "message": error.to_string() })
        }
    };
    value.to_string().into_bytes()
}

fn decode_reply(payload: &[u8]) -> Result<(), ChannelError> {
    let value: serde_json::Value = serde_json::from_slice(payload)
        .map_err(|_| ChannelError::Unavailable("the remote node sent an unreadable reply".to_owned()))?;
    if value["ok"].as_bool() == Some(true) {
        return Ok(());
    }
    let message = value["message"].as_str().unwrap_or("remote delivery failed").to_owned();
    Err(match value["kind"].as_str() {
        Some("not_found") => ChannelError::NotFound(message),
        Some("not_alive") => ChannelError::NotAlive(message),
        Some("timeout") => ChannelError::Timeout(message),
        Some("full") => ChannelError::Full(message),
        _ => ChannelError::Unavailable(message),
    })
}
