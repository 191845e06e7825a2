// jido-dispatch guest SDK for JavaScript adapters (jco componentize, QuickJS backend).
//
// Plain ES module, no imports: the adapter passes the host's `send` (from
// "jido:dispatch/http@0.1.0") to `sendSignal`, so these helpers also run under Node for
// their tests. `build.sh` of an adapter bundles this file with the adapter's source.
// It mirrors the Rust SDK (adapters/sdk/src): same option errors (`key: message`), same
// CloudEvents HTTP encoding, same response classification (adapters/sdk/classifications.json).

// ---- options -------------------------------------------------------------------------

/// Parses the options JSON into an object, refusing keys outside `known`.
export function parseOptions(opts, known) {
  let parsed;
  try {
    parsed = JSON.parse(opts);
  } catch (e) {
    throw `options are not valid JSON: ${e.message}`;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw "options must be a JSON object";
  }
  const unknown = Object.keys(parsed).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw `${unknown[0]}: unknown option (known: ${known.join(", ")})`;
  }
  return parsed;
}

/// A string option; `fallback` when absent (absent and no fallback: required).
export function stringOption(options, key, fallback) {
  const value = options[key] ?? fallback;
  if (value === undefined) throw `${key}: required`;
  if (typeof value !== "string") throw `${key}: expected a string, got ${JSON.stringify(value)}`;
  return value;
}

/// One of `choices`; `fallback` when absent.
export function oneOf(options, key, choices, fallback) {
  const value = options[key] ?? fallback;
  if (!choices.includes(value)) {
    throw `${key}: expected one of ${choices.join(", ")}, got ${JSON.stringify(value)}`;
  }
  return value;
}

/// An integer in `min..=max`; `fallback` when absent.
export function integerOption(options, key, fallback, min, max) {
  const value = options[key] ?? fallback;
  if (!Number.isInteger(value)) throw `${key}: expected an integer, got ${JSON.stringify(value)}`;
  if (value < min || value > max) throw `${key}: must be ${min}..=${max}, got ${value}`;
  return value;
}

/// A boolean; `fallback` when absent.
export function booleanOption(options, key, fallback) {
  const value = options[key] ?? fallback;
  if (typeof value !== "boolean") throw `${key}: expected true or false, got ${JSON.stringify(value)}`;
  return value;
}

/// An absolute http(s) URL without userinfo (the Rust SDK's `check_url`).
export function urlOption(options, key) {
  const url = stringOption(options, key);
  const fail = (why) => {
    throw `${key}: ${why}, got ${JSON.stringify(url)}`;
  };
  const split = url.indexOf("://");
  if (split < 0) fail("expected an absolute http:// or https:// URL");
  const scheme = url.slice(0, split).toLowerCase();
  if (scheme !== "http" && scheme !== "https") fail("only http and https URLs are allowed");
  const authority = url.slice(split + 3).split(/[/?#]/)[0];
  if (authority.includes("@")) fail("userinfo (user:password@) is not allowed in the URL");
  const v6 = authority.startsWith("[");
  const colon = authority.lastIndexOf(":");
  const host = v6 ? authority.slice(1).split("]")[0] : colon >= 0 ? authority.slice(0, colon) : authority;
  if (host === "") fail("the URL has no host");
  if (!v6 && colon >= 0) {
    const port = authority.slice(colon + 1);
    if (!/^[0-9]+$/.test(port) || Number(port) > 65535) fail("the port is not a number 0..=65535");
  }
  if (/[\u0000-\u0020\u007f]/.test(url)) fail("the URL contains spaces or control characters");
  return url;
}

/// A map of header names (HTTP tokens) to values without CR, LF or NUL; `{}` when absent.
export function headersOption(options, key) {
  const headers = options[key] ?? {};
  if (headers === null || typeof headers !== "object" || Array.isArray(headers)) {
    throw `${key}: expected a map of header names to values`;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(name)) {
      throw `${key}: header name ${JSON.stringify(name)} is not a valid token`;
    }
    if (typeof value !== "string") throw `${key}: header ${JSON.stringify(name)} must be a string`;
    if (/[\r\n\u0000]/.test(value)) {
      throw `${key}: header ${JSON.stringify(name)} has CR, LF or NUL in its value (header injection)`;
    }
  }
  return headers;
}

// ---- failures ------------------------------------------------------------------------

/// A transient failure (the host retries per the target's retry_policy). Throw it from
/// `deliver`.
export function retryable(code, message, retryAfterMs) {
  return { tag: "retryable", val: { message, code, retryAfterMs } };
}

/// A final failure that retrying cannot fix. Throw it from `deliver`.
export function permanent(code, message) {
  return { tag: "permanent", val: { message, code, retryAfterMs: undefined } };
}

/// Whether `value` is a delivery error made by `retryable` / `permanent`.
export function isDeliveryError(value) {
  return value !== null && typeof value === "object" && (value.tag === "retryable" || value.tag === "permanent");
}

/// The batch default: `deliver` for each signal in turn, one result each. A thrown value
/// that is not a delivery error becomes a permanent `exception` failure with its text.
export function deliverEach(target, signals) {
  return signals.map((signal) => {
    try {
      target.deliver(signal);
      return { tag: "ok" };
    } catch (e) {
      return { tag: "err", val: isDeliveryError(e) ? e : permanent("exception", describe(e)) };
    }
  });
}

function describe(e) {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return typeof e === "string" ? e : JSON.stringify(e);
}

// ---- text and bytes (QuickJS has no TextEncoder, TextDecoder, btoa or atob) ------------

/// UTF-8 bytes of `text`.
export function utf8Encode(text) {
  const out = [];
  for (const ch of text) {
    let c = ch.codePointAt(0);
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // a lone surrogate
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Uint8Array.from(out);
}

/// The text of UTF-8 `bytes` (invalid sequences become U+FFFD).
export function utf8Decode(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    const need = b < 0x80 ? 0 : b >= 0xf0 && b < 0xf5 ? 3 : b >= 0xe0 ? 2 : b >= 0xc2 && b < 0xe0 ? 1 : -1;
    let c = need === 0 ? b : need === 1 ? b & 31 : need === 2 ? b & 15 : b & 7;
    let ok = need >= 0 && i + need < bytes.length;
    for (let k = 1; ok && k <= need; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) ok = false;
      else c = (c << 6) | (next & 63);
    }
    const min = [0, 0x80, 0x800, 0x10000][need] ?? 0;
    if (!ok || c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
      out += "\ufffd";
      i += 1;
    } else {
      out += String.fromCodePoint(c);
      i += need + 1;
    }
  }
  return out;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (with padding) of `bytes`.
export function base64Encode(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    out += BASE64[a >> 2] + BASE64[((a & 3) << 4) | ((b ?? 0) >> 4)];
    out += b === undefined ? "=" : BASE64[((b & 15) << 2) | ((c ?? 0) >> 6)];
    out += c === undefined ? "=" : BASE64[c & 63];
  }
  return out;
}

/// The bytes of standard base64 `text` (padding optional); throws on other characters.
export function base64Decode(text) {
  const clean = text.replace(/=+$/, "");
  const out = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const digit = BASE64.indexOf(ch);
    if (digit < 0) throw `not base64: ${JSON.stringify(ch)}`;
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 255);
    }
  }
  return Uint8Array.from(out);
}

// ---- CloudEvents over HTTP -----------------------------------------------------------

/// Structured-mode content type.
export const STRUCTURED_CONTENT_TYPE = "application/cloudevents+json; charset=utf-8";

function extensionValue(value) {
  return value.tag === "text" ? value.val : String(value.val);
}

/// The signal as CloudEvents JSON text (structured mode).
export function toJson(signal) {
  const event = { specversion: signal.specversion, id: signal.id, source: signal.source, type: signal.type };
  for (const key of ["subject", "time", "datacontenttype", "dataschema"]) {
    if (signal[key] !== undefined && signal[key] !== null) event[key] = signal[key];
  }
  for (const [name, value] of signal.extensions ?? []) {
    event[name] = value.tag === "integer" ? Number(value.val) : value.val;
  }
  let text = JSON.stringify(event);
  if (signal.data?.tag === "json") text = `${text.slice(0, -1)},"data":${signal.data.val}}`;
  if (signal.data?.tag === "binary") {
    text = `${text.slice(0, -1)},"data_base64":${JSON.stringify(base64Encode(signal.data.val))}}`;
  }
  return text;
}

/// Percent-encodes what the CloudEvents HTTP binding says to: bytes outside printable
/// ASCII, and space, `"` and `%`.
export function encodeHeader(value) {
  let out = "";
  for (const byte of utf8Encode(value)) {
    if (byte >= 0x21 && byte <= 0x7e && byte !== 0x22 && byte !== 0x25) out += String.fromCharCode(byte);
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/// Headers and body of the signal in binary mode (attributes as `ce-*` headers).
export function binary(signal) {
  const headers = [
    ["ce-specversion", signal.specversion],
    ["ce-id", encodeHeader(signal.id)],
    ["ce-source", encodeHeader(signal.source)],
    ["ce-type", encodeHeader(signal.type)],
  ];
  for (const key of ["subject", "time", "dataschema"]) {
    if (signal[key] !== undefined && signal[key] !== null) headers.push([`ce-${key}`, encodeHeader(signal[key])]);
  }
  for (const [name, value] of signal.extensions ?? []) {
    headers.push([`ce-${name}`, value.tag === "text" ? encodeHeader(value.val) : extensionValue(value)]);
  }
  let body = new Uint8Array(0);
  if (signal.data?.tag === "json") {
    headers.push(["content-type", signal.datacontenttype ?? "application/json"]);
    body = utf8Encode(signal.data.val);
  } else if (signal.data?.tag === "binary") {
    headers.push(["content-type", signal.datacontenttype ?? "application/octet-stream"]);
    body = signal.data.val;
  }
  return { headers, body };
}

/// Headers and body of the signal in structured mode.
export function structured(signal) {
  return { headers: [["content-type", STRUCTURED_CONTENT_TYPE]], body: utf8Encode(toJson(signal)) };
}

/// Adds `extra` ({name: value}) to `base` ([[name, value]]), replacing same-named headers.
export function mergeHeaders(base, extra) {
  const names = Object.keys(extra).map((n) => n.toLowerCase());
  return base.filter(([name]) => !names.includes(name.toLowerCase())).concat(Object.entries(extra));
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) into Unix seconds, or null.
export function parseHttpDate(text) {
  const m = /^\s*\w{3}, (\d{2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT\s*$/.exec(text);
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  if (!m || !months.includes(m[2])) return null;
  const ms = Date.UTC(Number(m[3]), months.indexOf(m[2]), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

/// `Retry-After` in milliseconds (delta-seconds, or an HTTP date counted from `nowSeconds`),
/// or undefined.
export function retryAfterMs(headers, nowSeconds = Math.floor(Date.now() / 1000)) {
  const found = headers.find(([name]) => name.toLowerCase() === "retry-after");
  if (!found) return undefined;
  const value = found[1].trim();
  if (/^[0-9]+$/.test(value)) return Number(value) * 1000;
  const at = parseHttpDate(value);
  return at === null ? undefined : Math.max(0, at - nowSeconds) * 1000;
}

/// The outcome of one request: null for 2xx, else the delivery error to throw. `outcome`
/// is `{ response }` or `{ error }` (the WIT `http.error` variant, e.g. `{ tag: "timeout" }`).
/// 408, 425, 429 and 5xx are retryable (with Retry-After); other statuses permanent.
export function classify(url, outcome) {
  if (outcome.response) {
    const { status, headers, body } = outcome.response;
    if (status >= 200 && status < 300) return null;
    const snippet = utf8Decode((body ?? new Uint8Array(0)).slice(0, 200));
    const message = `${url} answered ${status}${snippet ? `: ${snippet}` : ""}`;
    const code = `http_${status}`;
    if ([408, 425, 429].includes(status) || status >= 500) {
      return retryable(code, message, retryAfterMs(headers ?? []));
    }
    return permanent(code, message);
  }
  const { tag, val } = outcome.error ?? {};
  switch (tag) {
    case "timeout":
      return retryable("timeout", `${url} did not answer in time`);
    case "connect":
      return retryable("connect", `${url}: ${val}`);
    case "pool-timeout":
      return retryable("pool_timeout", `${url}: no free connection-pool slot in time`);
    case "denied":
      return permanent("egress_denied", `${url}: ${val}`);
    case "invalid-request":
      return permanent("invalid_request", `${url}: ${val}`);
    case "too-large":
      return permanent("too_large", `${url}: a body exceeded the ${val}-byte cap`);
    default:
      return retryable("connect", `${url}: ${describe(outcome.error)}`);
  }
}

/// Sends `signal` with the host's `send` (import it from "jido:dispatch/http@0.1.0") and
/// throws the classified failure unless it was delivered. `target`: { url, method ("post",
/// "put" or "patch"), headers ({name: value}), timeoutMs, mode ("binary" or "structured") }.
export function sendSignal(send, target, signal) {
  const encoded = target.mode === "structured" ? structured(signal) : binary(signal);
  const request = {
    method: target.method ?? "post",
    url: target.url,
    headers: mergeHeaders(encoded.headers, target.headers ?? {}),
    body: encoded.body,
    timeoutMs: target.timeoutMs,
  };
  let outcome;
  try {
    outcome = { response: send(request) };
  } catch (e) {
    // jco throws an import's error variant, as is or wrapped in `payload`.
    outcome = { error: e?.payload ?? e };
  }
  const failure = classify(target.url, outcome);
  if (failure) throw failure;
}
