"""The `target` resource of the `adapter` interface, and the option checks `app.py`
(validate-opts) also uses, on the guest SDK (adapters/sdk/python/jido_sdk.py, put on the path
by `build.sh`)."""

from typing import List

from jido_sdk import deliver_each, one_of, parse_options
from wit_world.exports import adapter
from wit_world.imports import log, types

LEVELS = {"debug": log.Level.DEBUG, "info": log.Level.INFO, "warn": log.Level.WARN, "error": log.Level.ERROR}


def check_options(opts: str) -> dict:
    options = parse_options(opts, ["level"])
    return {"level": one_of(options, "level", list(LEVELS), "info")}


class Target(adapter.Target):
    def __init__(self, level: str):
        self.level = LEVELS[level]

    @classmethod
    def open(cls, opts: str) -> "Target":
        return cls(check_options(opts)["level"])

    # raise retryable(code, message) or permanent(code, message) (from jido_sdk) to fail.
    def deliver(self, signal: types.Signal) -> None:
        log.log(self.level, f"{signal.type} from {signal.source}", [])

    def deliver_batch(self, signals: List[types.Signal]) -> list:
        return deliver_each(self.deliver, signals)

    def health_check(self) -> None:
        return None
