"""Drives the official CloudEvents Python SDK (v2 core API) for the interop tests.

  python_sdk.py send URL   posts events to URL in structured, binary and batched mode and
                           prints what it sent (one JSON object per event, a JSON array)
  python_sdk.py parse      reads {"headers": {...}, "body_base64": "..."} on stdin, parses
                           it with the SDK and prints the event (same shape as `send`)
"""

import base64
import json
import sys
import urllib.request
from datetime import datetime, timezone

from cloudevents.core.bindings import http
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent


def describe(event, binary=False):
    """The event as plain JSON: attributes (time in RFC 3339 with Z) and data. With
    `binary`, attributes as this SDK writes them into `ce-*` headers (it writes a boolean
    with Python's `str`, `True`, not the canonical `true`)."""
    attributes = {}
    for name, value in event.get_attributes().items():
        if isinstance(value, datetime):
            value = value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        elif binary and isinstance(value, bool):
            value = str(value)
        attributes[name] = value
    data = event.get_data()
    if isinstance(data, str) and "json" not in (event.get_datacontenttype() or ""):
        # The SDK hands non-JSON bodies that are valid UTF-8 back as text: the same bytes.
        data = data.encode()
    if isinstance(data, (bytes, bytearray)):
        data = {"base64": base64.b64encode(data).decode()}
    return {"attributes": attributes, "data": data}


def post(url, headers, body):
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request) as response:
        if response.status != 202:
            raise SystemExit(f"{url} answered {response.status}")


def event(id, data, **extra):
    attributes = {
        "id": id,
        "source": "/sdk/python",
        "type": "sdk.python",
        "subject": "café/ü 100% \"done\"",
        "time": datetime(2026, 12, 1, 10, 0, 0, tzinfo=timezone.utc),
        "tenant": "acme",
        "attempt": 3,
        "urgent": True,
    }
    attributes.update(extra)
    return CloudEvent(attributes=attributes, data=data)


def send(url):
    sent = []  # (event, sent in binary mode)
    structured = event("py-structured", {"n": 1, "text": "héllo"}, datacontenttype="application/json")
    message = http.to_structured_event(structured)
    post(url, message.headers, message.body)
    sent.append((structured, False))
    binary = event("py-binary", {"n": 2}, datacontenttype="application/json")
    message = http.to_binary_event(binary)
    post(url, message.headers, message.body)
    sent.append((binary, True))
    raw = event("py-bytes", bytes([0, 1, 2, 255, 254]), datacontenttype="application/octet-stream")
    message = http.to_binary_event(raw)
    post(url, message.headers, message.body)
    sent.append((raw, True))
    batch = [event("py-batch-1", {"n": 3}, datacontenttype="application/json"),
             event("py-batch-2", bytes([7, 8, 9]), datacontenttype="application/octet-stream")]
    body = b"[" + b",".join(JSONFormat().write(e) for e in batch) + b"]"
    post(url, {"content-type": "application/cloudevents-batch+json"}, body)
    sent.extend((e, False) for e in batch)
    print(json.dumps([describe(e, binary) for e, binary in sent]))


def parse():
    request = json.load(sys.stdin)
    message = http.HTTPMessage(headers=request["headers"], body=base64.b64decode(request["body_base64"]))
    print(json.dumps(describe(http.from_http_event(message))))


if __name__ == "__main__":
    if sys.argv[1] == "send":
        send(sys.argv[2])
    else:
        parse()
