"""The `target` resource of the `adapter` interface."""

from typing import List

from componentize_py_types import Result
from jido_sdk import deliver_each
from wit_world.exports import adapter
from wit_world.imports import log, types

from options import LEVELS, check_options


class Target(adapter.Target):
    def __init__(self, level: str):
        self.level = LEVELS[level]

    @classmethod
    def open(cls, opts: str) -> "Target":
        return cls(check_options(opts)["level"])

    def deliver(self, signal: types.Signal) -> None:
        log.log(self.level, f"{signal.type} from {signal.source}", [])

    def deliver_batch(self, signals: List[types.Signal]) -> List[Result[None, types.DeliveryError]]:
        return deliver_each(self.deliver, signals)

    def health_check(self) -> None:
        return None
