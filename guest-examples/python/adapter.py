"""The `target` resource of the `adapter` interface."""

from typing import List

from componentize_py_types import Ok, Result
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
        results: List[Result[None, types.DeliveryError]] = []
        for signal in signals:
            self.deliver(signal)
            results.append(Ok(None))
        return results

    def health_check(self) -> None:
        return None
