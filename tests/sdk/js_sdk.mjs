// Drives the official CloudEvents JavaScript SDK for the interop tests.
//
//   node js_sdk.mjs send URL   posts events to URL in structured, binary and batched mode and
//                              prints what it sent (one JSON object per event, a JSON array)
//   node js_sdk.mjs parse      reads {"headers": {...}, "body_base64": "..."} on stdin, parses
//                              it with the SDK and prints the event (same shape as `send`)
import { CloudEvent, HTTP } from "cloudevents";

/** The event as plain JSON: attributes, extensions and data (bytes as {"base64": …}). */
function describe(event) {
  const attributes = {};
  for (const [name, value] of Object.entries(event)) {
    if (name === "data" || name === "data_base64" || value === undefined) continue;
    attributes[name] = value;
  }
  let data = event.data;
  // The SDK decodes `data_base64` into a typed array of byte values (not always a
  // Uint8Array): the same bytes.
  if (ArrayBuffer.isView(data)) data = { base64: Buffer.from(Array.from(data)).toString("base64") };
  return { attributes, data };
}

function event(id, data, extra) {
  return new CloudEvent({
    id,
    source: "/sdk/js",
    type: "sdk.js",
    subject: 'café/ü 100% "done"',
    time: "2026-12-01T10:00:00.000Z",
    tenant: "acme",
    attempt: 3,
    urgent: true,
    data,
    ...extra,
  });
}

async function post(url, headers, body) {
  const response = await fetch(url, { method: "POST", headers, body });
  if (response.status !== 202) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
}

async function send(url) {
  const sent = [];
  const structured = event("js-structured", { n: 1, text: "héllo" }, { datacontenttype: "application/json" });
  let message = HTTP.structured(structured);
  await post(url, message.headers, message.body);
  sent.push(structured);
  const binary = event("js-binary", { n: 2 }, { datacontenttype: "application/json" });
  message = HTTP.binary(binary);
  await post(url, message.headers, message.body);
  sent.push(binary);
  const raw = event("js-bytes", new Uint8Array([0, 1, 2, 255, 254]), { datacontenttype: "application/octet-stream" });
  message = HTTP.binary(raw);
  await post(url, message.headers, message.body);
  sent.push(raw);
  const batch = [
    event("js-batch-1", { n: 3 }, { datacontenttype: "application/json" }),
    event("js-batch-2", new Uint8Array([7, 8, 9]), { datacontenttype: "application/octet-stream" }),
  ];
  const body = "[" + batch.map((e) => HTTP.structured(e).body).join(",") + "]";
  await post(url, { "content-type": "application/cloudevents-batch+json" }, body);
  sent.push(...batch);
  console.log(JSON.stringify(sent.map(describe)));
}

async function parse() {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const request = JSON.parse(input);
  const body = Buffer.from(request.body_base64, "base64");
  const contentType = Object.entries(request.headers).find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? "";
  // The SDK takes a string body for JSON and bytes otherwise.
  const textual = /json|text/.test(contentType);
  const parsed = HTTP.toEvent({ headers: request.headers, body: textual ? body.toString("utf8") : body });
  console.log(JSON.stringify(describe(Array.isArray(parsed) ? parsed[0] : parsed)));
}

if (process.argv[2] === "send") await send(process.argv[3]);
else await parse();
