// A transform in JavaScript: shapes each signal into a Slack incoming-webhook message
// (`{"text": ..., "channel": ...}`), dropping signals whose `data.severity` is below
// `min_severity`. Built into a component of the dispatch-transform world with jco
// (componentize, QuickJS backend) by `build.sh`. Returning `undefined` drops the signal for
// the target; throwing a string fails the delivery (a permanent `transform_failed`).
import { log } from "jido:dispatch/log@0.1.0";

const KNOWN = ["text", "channel", "min_severity"];

function checkOptions(text) {
  let opts;
  try {
    opts = JSON.parse(text);
  } catch (e) {
    throw `options are not JSON: ${e.message}`;
  }
  if (typeof opts !== "object" || opts === null || Array.isArray(opts)) throw "options must be a JSON object";
  for (const key of Object.keys(opts)) {
    if (!KNOWN.includes(key)) throw `${key}: unknown option (known: ${KNOWN.join(", ")})`;
  }
  const options = { text: opts.text ?? "*$type* from $source" };
  if (typeof options.text !== "string" || options.text.trim() === "") throw "text: must be a non-empty string";
  if (opts.channel !== undefined) {
    if (typeof opts.channel !== "string" || !/^[#@]/.test(opts.channel)) throw "channel: must start with # or @";
    options.channel = opts.channel;
  }
  if (opts.min_severity !== undefined) {
    if (typeof opts.min_severity !== "number") throw "min_severity: must be a number";
    options.min_severity = opts.min_severity;
  }
  return options;
}

class Transformer {
  constructor(options) {
    this.options = options;
  }

  static open(opts) {
    return new Transformer(checkOptions(opts));
  }

  transform(signal) {
    let data = null;
    if (signal.data && signal.data.tag === "json") {
      try {
        data = JSON.parse(signal.data.val);
      } catch (e) {
        throw `data is not JSON: ${e.message}`;
      }
    }
    const severity = data && typeof data.severity === "number" ? data.severity : undefined;
    if (this.options.min_severity !== undefined && severity !== undefined && severity < this.options.min_severity) {
      log("debug", `dropped ${signal.id}: severity ${severity}`, []);
      return undefined;
    }
    const text = this.options.text
      .replaceAll("$id", signal.id)
      .replaceAll("$type", signal.type)
      .replaceAll("$source", signal.source)
      .replaceAll("$subject", signal.subject ?? "");
    const message = { text };
    if (this.options.channel) message.channel = this.options.channel;
    return {
      ...signal,
      datacontenttype: "application/json",
      data: { tag: "json", val: JSON.stringify(message) },
    };
  }
}

export const transform = {
  validateOpts(opts) {
    return JSON.stringify(checkOptions(opts));
  },
  Transformer,
};
