"""Option checking shared by `app.py` (validate-opts) and `adapter.py` (the target)."""

import json
from componentize_py_types import Err
from wit_world.imports import log

LEVELS = {"debug": log.Level.DEBUG, "info": log.Level.INFO, "warn": log.Level.WARN, "error": log.Level.ERROR}


def check_options(opts: str) -> dict:
    try:
        parsed = json.loads(opts)
    except ValueError as e:
        raise Err(f"options are not valid JSON: {e}")
    if not isinstance(parsed, dict):
        raise Err("options must be a JSON object")
    unknown = [key for key in parsed if key != "level"]
    if unknown:
        raise Err(f"{unknown[0]}: unknown option (known: level)")
    level = parsed.get("level", "info")
    if level not in LEVELS:
        raise Err(f"level: expected one of debug, info, warn, error, got {json.dumps(level)}")
    return {"level": level}


