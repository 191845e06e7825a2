"""A delivery adapter in Python: logs "<type> from <source>" for every signal through the
host's `log` import. Built into a component with componentize-py.

`app.py` implements the `adapter` interface's functions; `adapter.py` (the module named after
the interface, as componentize-py expects) implements its `target` resource."""

import json

from wit_world import exports

from adapter import check_options


class Adapter(exports.Adapter):
    def validate_opts(self, opts: str) -> str:
        return json.dumps(check_options(opts))
