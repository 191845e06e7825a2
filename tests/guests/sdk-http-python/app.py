"""Test-only component: delivers every signal in CloudEvents binary mode to its `url` with the
Python SDK's `send_signal` (built by guest-examples/python/build.sh DIR). This module holds
`validate-opts`; `adapter.py` the target."""

import json

from wit_world import exports

from adapter import check_options


class Adapter(exports.Adapter):
    def validate_opts(self, opts: str) -> str:
        return json.dumps(check_options(opts))
