"""The `target` resource: one request per signal through the host's `http` import."""

from typing import List

from jido_sdk import deliver_each, parse_options, send_signal, url_option
from wit_world.exports import adapter
from wit_world.imports import http, types


def check_options(opts: str) -> dict:
    return {"url": url_option(parse_options(opts, ["url"]), "url")}


def request(method, url, headers, body, timeout_ms) -> http.Request:
    return http.Request(method, url, headers, body, timeout_ms)


class Target(adapter.Target):
    def __init__(self, url: str):
        self.url = url

    @classmethod
    def open(cls, opts: str) -> "Target":
        return cls(check_options(opts)["url"])

    def deliver(self, signal: types.Signal) -> None:
        target = {"method": http.Method.POST, "url": self.url, "timeout_ms": 5000}
        send_signal(http.send, request, target, signal)

    def deliver_batch(self, signals: List[types.Signal]) -> list:
        return deliver_each(self.deliver, signals)

    def health_check(self) -> None:
        return None
