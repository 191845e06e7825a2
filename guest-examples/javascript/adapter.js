// A delivery adapter in JavaScript: logs "<type> from <source>" for every signal through
// the host's `log` import. Built into a component with jco (componentize, QuickJS backend).
import { log } from "jido:dispatch/log@0.1.0";

function checkOptions(opts) {
  let parsed;
  try {
    parsed = JSON.parse(opts);
  } catch (e) {
    throw `options are not valid JSON: ${e.message}`;
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw "options must be a JSON object";
  }
  const unknown = Object.keys(parsed).filter((key) => key !== "level");
  if (unknown.length > 0) {
    throw `${unknown[0]}: unknown option (known: level)`;
  }
  const level = parsed.level ?? "info";
  if (!["debug", "info", "warn", "error"].includes(level)) {
    throw `level: expected one of debug, info, warn, error, got ${JSON.stringify(level)}`;
  }
  return { level };
}

class Target {
  constructor(options) {
    this.level = options.level;
  }

  static open(opts) {
    return new Target(checkOptions(opts));
  }

  deliver(signal) {
    log(this.level, `${signal.type} from ${signal.source}`, []);
  }

  deliverBatch(signals) {
    return signals.map((signal) => {
      try {
        this.deliver(signal);
        return { tag: "ok" };
      } catch (e) {
        return { tag: "err", val: { tag: "permanent", val: { message: String(e), code: "js_error", retryAfterMs: undefined } } };
      }
    });
  }

  healthCheck() {}
}

export const adapter = {
  validateOpts(opts) {
    return JSON.stringify(checkOptions(opts));
  },
  Target,
};
