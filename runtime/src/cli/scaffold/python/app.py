"""{{name}}: a jido-dispatch adapter in Python (componentize-py). This module holds
`validate-opts`; `adapter.py` (named after the WIT interface) the target."""

import json

from wit_world import exports

from adapter import check_options


class Adapter(exports.Adapter):
    def validate_opts(self, opts: str) -> str:
        return json.dumps(check_options(opts))
