// Unit tests of the JavaScript SDK (run: node --test adapters/sdk/javascript/): the shared
// classification table, options, text and bytes, CloudEvents encoding.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as sdk from "./jido.js";

const table = JSON.parse(readFileSync(new URL("../classifications.json", import.meta.url), "utf8"));

test("classify agrees with the shared table", () => {
  for (const row of table.cases) {
    const outcome = row.error
      ? { error: row.detail === undefined ? { tag: row.error } : { tag: row.error, val: row.detail } }
      : { response: { status: row.status, headers: row.headers ?? [], body: sdk.utf8Encode(row.body ?? "") } };
    const got = sdk.classify(table.url, outcome);
    const name = JSON.stringify(row);
    if (row.outcome === "ok") {
      assert.equal(got, null, name);
      continue;
    }
    assert.equal(got.tag, row.outcome, name);
    assert.equal(got.val.code, row.code, name);
    assert.equal(got.val.retryAfterMs ?? null, row.retry_after_ms, name);
    if (row.message) assert.equal(got.val.message, row.message, name);
  }
  assert.ok(table.cases.length >= 25);
});

test("options fail with the option's name", () => {
  assert.throws(() => sdk.parseOptions("{", ["a"]), /^options are not valid JSON: /);
  assert.throws(() => sdk.parseOptions("[]", ["a"]), /^options must be a JSON object$/);
  assert.throws(() => sdk.parseOptions('{"b":1}', ["a"]), /^b: unknown option \(known: a\)$/);
  const opts = sdk.parseOptions('{"url":"https://x/hook","n":5,"level":"warn","h":{"X-A":"v"}}', ["url", "n", "level", "h"]);
  assert.equal(sdk.urlOption(opts, "url"), "https://x/hook");
  assert.equal(sdk.integerOption(opts, "n", 1, 1, 10), 5);
  assert.throws(() => sdk.integerOption({ n: 11 }, "n", 1, 1, 10), /^n: must be 1\.\.=10, got 11$/);
  assert.equal(sdk.oneOf(opts, "level", ["info", "warn"], "info"), "warn");
  assert.throws(() => sdk.oneOf({ level: "x" }, "level", ["info"], "info"), /^level: expected one of info, got "x"$/);
  assert.throws(() => sdk.stringOption({}, "url"), /^url: required$/);
  assert.equal(sdk.booleanOption({}, "b", true), true);
  assert.deepEqual(sdk.headersOption(opts, "h"), { "X-A": "v" });
  assert.throws(() => sdk.headersOption({ h: { "X-A": "v\r\nX-B: w" } }, "h"), /header injection/);
  assert.throws(() => sdk.headersOption({ h: { "X A": "v" } }, "h"), /not a valid token/);
  for (const bad of ["ftp://x", "example.com", "https://u:p@x", "https://", "http://x:99999", "http://a b"]) {
    assert.throws(() => sdk.urlOption({ url: bad }, "url"), /^url: /, bad);
  }
  for (const good of ["http://127.0.0.1:8080", "http://[::1]:80/x", "https://example.com/hook?x=1"]) {
    assert.equal(sdk.urlOption({ url: good }, "url"), good);
  }
});

test("utf-8 and base64 round-trip without TextEncoder", () => {
  for (const text of ["", "abc", "é", "€ and 𝄞", "\u0000"]) {
    const bytes = sdk.utf8Encode(text);
    assert.deepEqual(Array.from(bytes), Array.from(Buffer.from(text, "utf8")), text);
    assert.equal(sdk.utf8Decode(bytes), text);
    assert.equal(sdk.base64Encode(bytes), Buffer.from(text, "utf8").toString("base64"), text);
    assert.deepEqual(Array.from(sdk.base64Decode(sdk.base64Encode(bytes))), Array.from(bytes));
  }
  assert.equal(sdk.utf8Decode(Uint8Array.from([0x61, 0xff, 0x62, 0xe2, 0x82])), "a\ufffdb\ufffd\ufffd");
  assert.throws(() => sdk.base64Decode("a*b"), /not base64/);
});

test("signals encode as CloudEvents binary and structured mode", () => {
  const signal = {
    id: "1", source: "/shop eu", type: "order.created", specversion: "1.0",
    subject: "café", time: undefined, datacontenttype: undefined, dataschema: undefined,
    data: { tag: "json", val: '{"n":1}' },
    extensions: [["tier", { tag: "integer", val: 2n }], ["vip", { tag: "boolean", val: true }]],
  };
  const { headers, body } = sdk.binary(signal);
  const get = (name) => headers.find(([n]) => n === name)?.[1];
  assert.equal(get("ce-source"), "/shop%20eu");
  assert.equal(get("ce-subject"), "caf%C3%A9");
  assert.equal(get("ce-tier"), "2");
  assert.equal(get("ce-vip"), "true");
  assert.equal(get("content-type"), "application/json");
  assert.equal(sdk.utf8Decode(body), '{"n":1}');
  const event = JSON.parse(sdk.toJson(signal));
  assert.deepEqual(event, { specversion: "1.0", id: "1", source: "/shop eu", type: "order.created", subject: "café", tier: 2, vip: true, data: { n: 1 } });
  const bytes = { ...signal, data: { tag: "binary", val: Uint8Array.from([1, 2, 3]) } };
  assert.equal(JSON.parse(sdk.toJson(bytes)).data_base64, "AQID");
  assert.deepEqual(sdk.mergeHeaders([["content-type", "a"]], { "Content-Type": "b" }), [["Content-Type", "b"]]);
});

test("sendSignal throws the classified failure and the batch default delivers one by one", () => {
  const sent = [];
  const ok = (request) => {
    sent.push(request);
    return { status: 204, headers: [], body: new Uint8Array(0) };
  };
  const signal = { id: "1", source: "/s", type: "t", specversion: "1.0", extensions: [] };
  sdk.sendSignal(ok, { url: "http://h/x", headers: { authorization: "k" }, timeoutMs: 500 }, signal);
  assert.equal(sent[0].method, "post");
  assert.equal(sent[0].timeoutMs, 500);
  assert.deepEqual(sent[0].headers.at(-1), ["authorization", "k"]);
  const refused = () => {
    throw { payload: { tag: "denied", val: "no grant" } };
  };
  assert.throws(() => sdk.sendSignal(refused, { url: "http://h/x" }, signal), (e) => e.tag === "permanent" && e.val.code === "egress_denied");
  const target = {
    deliver(s) {
      if (s.id === "2") throw sdk.retryable("busy", "later", 1000);
      if (s.id === "3") throw new TypeError("boom");
    },
  };
  const results = sdk.deliverEach(target, [{ id: "1" }, { id: "2" }, { id: "3" }]);
  assert.deepEqual(results[0], { tag: "ok" });
  assert.equal(results[1].val.tag, "retryable");
  assert.equal(results[1].val.val.retryAfterMs, 1000);
  assert.deepEqual(results[2].val.val.message, "TypeError: boom");
});
