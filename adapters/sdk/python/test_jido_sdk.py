"""Unit tests of the Python SDK (run: python3 -m unittest discover -s adapters/sdk/python):
the shared classification table, options, CloudEvents encoding, the batch default."""

import json
import pathlib
import unittest
from dataclasses import dataclass
from typing import Any, List, Optional, Tuple

import jido_sdk as sdk

TABLE = json.loads((pathlib.Path(__file__).parent.parent / "classifications.json").read_text())


# Stand-ins for generated WIT classes: the SDK reads the case from the class name.
@dataclass
class Error_Timeout:  # noqa: N801
    pass


@dataclass
class Error_Connect:  # noqa: N801
    value: str


@dataclass
class Error_PoolTimeout:  # noqa: N801
    pass


@dataclass
class Error_Denied:  # noqa: N801
    value: str


@dataclass
class Error_InvalidRequest:  # noqa: N801
    value: str


@dataclass
class Error_TooLarge:  # noqa: N801
    value: int


ERRORS = {
    "timeout": lambda d: Error_Timeout(),
    "connect": Error_Connect,
    "pool-timeout": lambda d: Error_PoolTimeout(),
    "denied": Error_Denied,
    "invalid-request": Error_InvalidRequest,
    "too-large": Error_TooLarge,
}


@dataclass
class ExtensionValue_Text:  # noqa: N801
    value: str


@dataclass
class ExtensionValue_Integer:  # noqa: N801
    value: int


@dataclass
class ExtensionValue_Boolean:  # noqa: N801
    value: bool


@dataclass
class Data_Json:  # noqa: N801
    value: str


@dataclass
class Data_Binary:  # noqa: N801
    value: bytes


@dataclass
class Signal:
    id: str
    source: str
    type: str
    specversion: str = "1.0"
    subject: Optional[str] = None
    time: Optional[str] = None
    datacontenttype: Optional[str] = None
    dataschema: Optional[str] = None
    data: Any = None
    extensions: List[Tuple[str, Any]] = ()


@dataclass
class Response:
    status: int
    headers: List[Tuple[str, str]]
    body: bytes


class ClassificationTable(unittest.TestCase):
    def test_agrees_with_the_shared_table(self) -> None:
        url = TABLE["url"]
        for row in TABLE["cases"]:
            with self.subTest(row=row):
                if "error" in row:
                    got: Optional[sdk.Err] = sdk.classify_error(url, ERRORS[row["error"]](row.get("detail")))
                else:
                    headers = [tuple(pair) for pair in row.get("headers", [])]
                    got = sdk.classify_response(url, row["status"], headers, row.get("body", "").encode())
                if row["outcome"] == "ok":
                    self.assertIsNone(got)
                    continue
                assert got is not None
                kind = "retryable" if isinstance(got.value, sdk.DeliveryError_Retryable) else "permanent"
                self.assertEqual(kind, row["outcome"])
                self.assertEqual(got.value.value.code, row["code"])
                self.assertEqual(got.value.value.retry_after_ms, row["retry_after_ms"])
                if "message" in row:
                    self.assertEqual(got.value.value.message, row["message"])
        self.assertGreaterEqual(len(TABLE["cases"]), 25)


class Options(unittest.TestCase):
    def refused(self, pattern: str, call: Any) -> None:
        with self.assertRaises(sdk.Err) as caught:
            call()
        self.assertRegex(str(caught.exception.value), pattern)

    def test_errors_name_the_option(self) -> None:
        self.refused(r"^options are not valid JSON: ", lambda: sdk.parse_options("{", ["a"]))
        self.refused(r"^options must be a JSON object$", lambda: sdk.parse_options("[]", ["a"]))
        self.refused(r"^b: unknown option \(known: a\)$", lambda: sdk.parse_options('{"b":1}', ["a"]))
        opts = sdk.parse_options('{"url":"https://x/hook","n":5,"level":"warn"}', ["url", "n", "level"])
        self.assertEqual(sdk.url_option(opts, "url"), "https://x/hook")
        self.assertEqual(sdk.integer_option(opts, "n", 1, 1, 10), 5)
        self.refused(r"^n: must be 1\.\.=10, got 11$", lambda: sdk.integer_option({"n": 11}, "n", 1, 1, 10))
        self.refused(r"^n: expected an integer", lambda: sdk.integer_option({"n": True}, "n", 1, 1, 10))
        self.assertEqual(sdk.one_of(opts, "level", ["info", "warn"], "info"), "warn")
        self.refused(r'^level: expected one of info, got "x"$', lambda: sdk.one_of({"level": "x"}, "level", ["info"], "info"))
        self.refused(r"^url: required$", lambda: sdk.string_option({}, "url"))
        self.assertTrue(sdk.boolean_option({}, "b", True))
        self.refused(r"header injection", lambda: sdk.headers_option({"h": {"X-A": "v\r\nX-B: w"}}, "h"))
        self.refused(r"not a valid token", lambda: sdk.headers_option({"h": {"X A": "v"}}, "h"))
        for bad in ["ftp://x", "example.com", "https://u:p@x", "https://", "http://x:99999", "http://a b"]:
            self.refused(r"^url: ", lambda bad=bad: sdk.url_option({"url": bad}, "url"))
        for good in ["http://127.0.0.1:8080", "http://[::1]:80/x", "https://example.com/hook?x=1"]:
            self.assertEqual(sdk.url_option({"url": good}, "url"), good)


class CloudEvents(unittest.TestCase):
    def test_binary_and_structured_mode(self) -> None:
        signal = Signal(
            "1", "/shop eu", "order.created", subject="café", data=Data_Json('{"n":1}'),
            extensions=[("tier", ExtensionValue_Integer(2)), ("vip", ExtensionValue_Boolean(True))],
        )
        headers, body = sdk.binary(signal)
        got = dict(headers)
        self.assertEqual(got["ce-source"], "/shop%20eu")
        self.assertEqual(got["ce-subject"], "caf%C3%A9")
        self.assertEqual((got["ce-tier"], got["ce-vip"]), ("2", "true"))
        self.assertEqual(got["content-type"], "application/json")
        self.assertEqual(body, b'{"n":1}')
        event = json.loads(sdk.to_json(signal))
        self.assertEqual(event, {"specversion": "1.0", "id": "1", "source": "/shop eu", "type": "order.created",
                                 "subject": "café", "tier": 2, "vip": True, "data": {"n": 1}})
        raw = Signal("1", "/s", "t", data=Data_Binary(b"\x01\x02\x03"))
        self.assertEqual(json.loads(sdk.to_json(raw))["data_base64"], "AQID")
        self.assertEqual(sdk.merge_headers([("content-type", "a")], {"Content-Type": "b"}), [("Content-Type", "b")])

    def test_send_signal_raises_the_classified_failure(self) -> None:
        sent: List[Any] = []

        def ok(request: Any) -> Response:
            sent.append(request)
            return Response(204, [], b"")

        make = lambda *parts: parts  # noqa: E731
        signal = Signal("1", "/s", "t")
        sdk.send_signal(ok, make, {"method": "POST", "url": "http://h/x", "headers": {"authorization": "k"}, "timeout_ms": 500}, signal)
        method, url, headers, _body, timeout = sent[0]
        self.assertEqual((method, url, timeout, headers[-1]), ("POST", "http://h/x", 500, ("authorization", "k")))

        def refused(request: Any) -> Response:
            raise sdk.Err(Error_Denied("no grant"))

        with self.assertRaises(sdk.Err) as caught:
            sdk.send_signal(refused, make, {"method": "POST", "url": "http://h/x"}, signal)
        self.assertEqual(caught.exception.value.value.code, "egress_denied")

    def test_the_batch_default_delivers_one_by_one(self) -> None:
        def deliver(signal: Any) -> None:
            if signal == 2:
                raise sdk.retryable("busy", "later", 1000)
            if signal == 3:
                raise ValueError("boom")

        results = sdk.deliver_each(deliver, [1, 2, 3])
        self.assertIsInstance(results[0], sdk.Ok)
        self.assertEqual(results[1].value.value.retry_after_ms, 1000)
        self.assertEqual(results[2].value.value.message, "ValueError: boom")


if __name__ == "__main__":
    unittest.main()
