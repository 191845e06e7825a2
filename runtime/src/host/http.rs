//! The [`http`](../../../wit/http.wit) import. Outbound HTTP (pools, egress policy) is
//! not implemented yet: every request is answered `denied` with the reason.

use super::bindings::http::{Error, Host, Request, Response};
use super::state::HostState;

const NOT_YET: &str = "outbound http is not available in this version of the host";

impl Host for HostState {
    async fn send(&mut self, req: Request) -> Result<Response, Error> {
        Err(Error::Denied(format!("{NOT_YET} (request to {})", req.url)))
    }

    async fn send_all(&mut self, reqs: Vec<Request>) -> Vec<Result<Response, Error>> {
        reqs.into_iter().map(|r| Err(Error::Denied(format!("{NOT_YET} (request to {})", r.url)))).collect()
    }
}
