"""jido-dispatch guest SDK for Python adapters (componentize-py).

Mirrors the Rust SDK (adapters/sdk/src): the same option errors (`key: message`), the same
CloudEvents HTTP encoding and the same response classification (the shared table
adapters/sdk/classifications.json). The adapter passes the host's `send` (from
`wit_world.imports.http`) to `send_signal`, so the module also runs, and is tested, outside a
component; there the WIT types are stand-ins with the same fields.
"""

import base64
import calendar
import json
import re
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

try:  # inside a component: the generated bindings
    from componentize_py_types import Err, Ok
    from wit_world.imports.types import DeliveryError_Permanent, DeliveryError_Retryable, Failure
except ImportError:  # outside (the SDK's own tests): stand-ins of the same shape
    from dataclasses import dataclass

    @dataclass
    class Failure:  # type: ignore[no-redef]
        message: str
        code: Optional[str]
        retry_after_ms: Optional[int]

    @dataclass
    class DeliveryError_Retryable:  # type: ignore[no-redef]  # noqa: N801
        value: Failure

    @dataclass
    class DeliveryError_Permanent:  # type: ignore[no-redef]  # noqa: N801
        value: Failure

    class Err(Exception):  # type: ignore[no-redef]
        def __init__(self, value: Any):
            super().__init__(value)
            self.value = value

    @dataclass
    class Ok:  # type: ignore[no-redef]
        value: Any


# ---- options ---------------------------------------------------------------------------

_MISSING = object()


def parse_options(opts: str, known: Sequence[str]) -> Dict[str, Any]:
    """Parses the options JSON into a dict, refusing keys outside `known` (raises `Err(text)`)."""
    try:
        parsed = json.loads(opts)
    except ValueError as e:
        raise Err(f"options are not valid JSON: {e}")
    if not isinstance(parsed, dict):
        raise Err("options must be a JSON object")
    unknown = [key for key in parsed if key not in known]
    if unknown:
        raise Err(f"{unknown[0]}: unknown option (known: {', '.join(known)})")
    return parsed


def string_option(options: Dict[str, Any], key: str, default: Any = _MISSING) -> str:
    """A string option; `default` when absent (no default: required)."""
    value = options.get(key, default)
    if value is _MISSING:
        raise Err(f"{key}: required")
    if not isinstance(value, str):
        raise Err(f"{key}: expected a string, got {json.dumps(value)}")
    return value


def one_of(options: Dict[str, Any], key: str, choices: Sequence[str], default: str) -> str:
    """One of `choices`; `default` when absent."""
    value = options.get(key, default)
    if value not in choices:
        raise Err(f"{key}: expected one of {', '.join(choices)}, got {json.dumps(value)}")
    return value


def integer_option(options: Dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    """An integer in `low..=high`; `default` when absent."""
    value = options.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Err(f"{key}: expected an integer, got {json.dumps(value)}")
    if not low <= value <= high:
        raise Err(f"{key}: must be {low}..={high}, got {value}")
    return value


def boolean_option(options: Dict[str, Any], key: str, default: bool) -> bool:
    """A boolean; `default` when absent."""
    value = options.get(key, default)
    if not isinstance(value, bool):
        raise Err(f"{key}: expected true or false, got {json.dumps(value)}")
    return value


def url_option(options: Dict[str, Any], key: str) -> str:
    """An absolute http(s) URL without userinfo (the Rust SDK's `check_url`)."""
    url = string_option(options, key)

    def fail(why: str) -> None:
        raise Err(f"{key}: {why}, got {json.dumps(url)}")

    scheme, sep, rest = url.partition("://")
    if not sep:
        fail("expected an absolute http:// or https:// URL")
    if scheme.lower() not in ("http", "https"):
        fail("only http and https URLs are allowed")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" in authority:
        fail("userinfo (user:password@) is not allowed in the URL")
    v6 = authority.startswith("[")
    host = authority[1:].split("]")[0] if v6 else authority.rsplit(":", 1)[0]
    if not host:
        fail("the URL has no host")
    if not v6 and ":" in authority:
        port = authority.rsplit(":", 1)[1]
        if not port.isdigit() or not port.isascii() or int(port) > 65535:
            fail("the port is not a number 0..=65535")
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        fail("the URL contains spaces or control characters")
    return url


_TOKEN = re.compile(r"^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$")


def headers_option(options: Dict[str, Any], key: str) -> Dict[str, str]:
    """A map of header names (HTTP tokens) to values without CR, LF or NUL; `{}` when absent."""
    headers = options.get(key, {})
    if not isinstance(headers, dict):
        raise Err(f"{key}: expected a map of header names to values")
    for name, value in headers.items():
        if not _TOKEN.match(name):
            raise Err(f"{key}: header name {json.dumps(name)} is not a valid token")
        if not isinstance(value, str):
            raise Err(f"{key}: header {json.dumps(name)} must be a string")
        if any(c in value for c in "\r\n\0"):
            raise Err(f"{key}: header {json.dumps(name)} has CR, LF or NUL in its value (header injection)")
    return headers


# ---- failures --------------------------------------------------------------------------


def retryable(code: str, message: str, retry_after_ms: Optional[int] = None) -> Err:
    """A transient failure (the host retries per the target's retry_policy): `raise` it."""
    return Err(DeliveryError_Retryable(Failure(message, code, retry_after_ms)))


def permanent(code: str, message: str) -> Err:
    """A final failure that retrying cannot fix: `raise` it."""
    return Err(DeliveryError_Permanent(Failure(message, code, None)))


def deliver_each(deliver: Callable[[Any], None], signals: List[Any]) -> List[Any]:
    """The batch default: `deliver` each signal in turn, one result each. An exception that
    is not a delivery error becomes a permanent `exception` failure with its text."""
    results: List[Any] = []
    for signal in signals:
        try:
            deliver(signal)
            results.append(Ok(None))
        except Err as e:
            failed = e.value
            if not isinstance(failed, (DeliveryError_Retryable, DeliveryError_Permanent)):
                failed = permanent("exception", str(failed)).value
            results.append(Err(failed))
        except Exception as e:  # noqa: BLE001 - any exception of the adapter is one failed signal
            results.append(Err(permanent("exception", f"{type(e).__name__}: {e}").value))
    return results


# ---- CloudEvents over HTTP -------------------------------------------------------------

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


def _tag(value: Any) -> str:
    """The WIT variant case of an extension value or data (`text`, `boolean`, `integer`,
    `json`, `binary`), from the generated class name (`ExtensionValue_Text`, …)."""
    return type(value).__name__.rsplit("_", 1)[-1].lower()


def to_json(signal: Any) -> str:
    """The signal as CloudEvents JSON text (structured mode)."""
    event: Dict[str, Any] = {
        "specversion": signal.specversion,
        "id": signal.id,
        "source": signal.source,
        "type": signal.type,
    }
    for key in ("subject", "time", "datacontenttype", "dataschema"):
        if getattr(signal, key, None) is not None:
            event[key] = getattr(signal, key)
    for name, value in signal.extensions or []:
        event[name] = value.value
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    data = signal.data
    if data is not None and _tag(data) == "json":
        text = f'{text[:-1]},"data":{data.value}}}'
    elif data is not None:
        text = f'{text[:-1]},"data_base64":"{base64.b64encode(bytes(data.value)).decode()}"}}'
    return text


def encode_header(value: str) -> str:
    """Percent-encodes bytes outside printable ASCII, and space, `"` and `%`."""
    return "".join(
        chr(b) if 0x21 <= b <= 0x7E and b not in (0x22, 0x25) else f"%{b:02X}" for b in value.encode("utf-8")
    )


def binary(signal: Any) -> Tuple[List[Tuple[str, str]], bytes]:
    """Headers and body of the signal in binary mode (attributes as `ce-*` headers)."""
    headers = [
        ("ce-specversion", signal.specversion),
        ("ce-id", encode_header(signal.id)),
        ("ce-source", encode_header(signal.source)),
        ("ce-type", encode_header(signal.type)),
    ]
    for key in ("subject", "time", "dataschema"):
        if getattr(signal, key, None) is not None:
            headers.append((f"ce-{key}", encode_header(getattr(signal, key))))
    for name, value in signal.extensions or []:
        kind = _tag(value)
        text = encode_header(value.value) if kind == "text" else ("true" if value.value is True else "false" if value.value is False else str(value.value))
        headers.append((f"ce-{name}", text))
    body = b""
    data = signal.data
    if data is not None and _tag(data) == "json":
        headers.append(("content-type", signal.datacontenttype or "application/json"))
        body = data.value.encode("utf-8")
    elif data is not None:
        headers.append(("content-type", signal.datacontenttype or "application/octet-stream"))
        body = bytes(data.value)
    return headers, body


def structured(signal: Any) -> Tuple[List[Tuple[str, str]], bytes]:
    """Headers and body of the signal in structured mode."""
    return [("content-type", STRUCTURED_CONTENT_TYPE)], to_json(signal).encode("utf-8")


def merge_headers(base: List[Tuple[str, str]], extra: Dict[str, str]) -> List[Tuple[str, str]]:
    """Adds `extra` to `base`, replacing same-named headers (case-insensitively)."""
    names = {name.lower() for name in extra}
    return [(n, v) for n, v in base if n.lower() not in names] + list(extra.items())


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DATE = re.compile(r"^\s*\w{3}, (\d{2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT\s*$")


def parse_http_date(text: str) -> Optional[int]:
    """An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) as Unix seconds, or None."""
    m = _DATE.match(text)
    if not m or m.group(2) not in _MONTHS:
        return None
    day, year, h, mi, s = (int(m.group(i)) for i in (1, 3, 4, 5, 6))
    try:
        return calendar.timegm((year, _MONTHS.index(m.group(2)) + 1, day, h, mi, s, 0, 0, 0))
    except (ValueError, OverflowError):
        return None


def retry_after_ms(headers: List[Tuple[str, str]], now: Optional[float] = None) -> Optional[int]:
    """`Retry-After` in milliseconds: delta-seconds, or an HTTP date counted from `now`."""
    found = next((value for name, value in headers if name.lower() == "retry-after"), None)
    if found is None:
        return None
    value = found.strip()
    if value.isdigit() and value.isascii():
        return int(value) * 1000
    at = parse_http_date(value)
    if at is None:
        return None
    return max(0, at - int(time.time() if now is None else now)) * 1000


def classify_response(url: str, status: int, headers: List[Tuple[str, str]], body: bytes) -> Optional[Err]:
    """None for 2xx; else the failure to raise: 408, 425, 429 and 5xx retryable (with
    Retry-After), other statuses permanent."""
    if 200 <= status < 300:
        return None
    snippet = bytes(body[:200]).decode("utf-8", errors="replace")
    message = f"{url} answered {status}" + (f": {snippet}" if snippet else "")
    code = f"http_{status}"
    if status in (408, 425, 429) or status >= 500:
        return retryable(code, message, retry_after_ms(headers))
    return permanent(code, message)


def classify_error(url: str, error: Any) -> Err:
    """The failure for a transport error (the WIT `http.error` variant)."""
    kind = type(error).__name__.rsplit("_", 1)[-1].lower()
    detail = getattr(error, "value", None)
    if kind == "timeout":
        return retryable("timeout", f"{url} did not answer in time")
    if kind == "connect":
        return retryable("connect", f"{url}: {detail}")
    if kind == "pooltimeout":
        return retryable("pool_timeout", f"{url}: no free connection-pool slot in time")
    if kind == "denied":
        return permanent("egress_denied", f"{url}: {detail}")
    if kind == "invalidrequest":
        return permanent("invalid_request", f"{url}: {detail}")
    if kind == "toolarge":
        return permanent("too_large", f"{url}: a body exceeded the {detail}-byte cap")
    return retryable("connect", f"{url}: {error}")


def send_signal(send: Callable[[Any], Any], make_request: Callable[..., Any], target: Dict[str, Any], signal: Any) -> None:
    """Sends `signal` with the host's `send` and raises the classified failure unless it was
    delivered. `make_request(method, url, headers, body, timeout_ms)` builds the WIT request
    (`lambda *a: http.Request(*a)` with `method` an `http.Method`); `target` has `url`,
    `method`, `headers` ({name: value}), `timeout_ms` and `mode` (binary or structured)."""
    headers, body = structured(signal) if target.get("mode") == "structured" else binary(signal)
    request = make_request(
        target["method"], target["url"], merge_headers(headers, target.get("headers", {})), body, target.get("timeout_ms")
    )
    try:
        response = send(request)
    except Err as e:
        raise classify_error(target["url"], e.value)
    failure = classify_response(target["url"], response.status, response.headers, response.body)
    if failure is not None:
        raise failure
