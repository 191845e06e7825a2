"""Option checking shared by `app.py` (validate-opts) and `adapter.py` (the target), on the
guest SDK (adapters/sdk/python/jido_sdk.py, put on the path by `build.sh`)."""

from jido_sdk import one_of, parse_options
from wit_world.imports import log

LEVELS = {"debug": log.Level.DEBUG, "info": log.Level.INFO, "warn": log.Level.WARN, "error": log.Level.ERROR}


def check_options(opts: str) -> dict:
    options = parse_options(opts, ["level"])
    return {"level": one_of(options, "level", list(LEVELS), "info")}
