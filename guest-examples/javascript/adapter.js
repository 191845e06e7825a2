// A delivery adapter in JavaScript: logs "<type> from <source>" for every signal through
// the host's `log` import. Built into a component with jco (componentize, QuickJS backend);
// `build.sh` bundles the guest SDK (adapters/sdk/javascript/jido.js) in front of this file.
import { log } from "jido:dispatch/log@0.1.0";
import { deliverEach, oneOf, parseOptions } from "../../adapters/sdk/javascript/jido.js";

function checkOptions(opts) {
  const options = parseOptions(opts, ["level"]);
  return { level: oneOf(options, "level", ["debug", "info", "warn", "error"], "info") };
}

class Target {
  constructor(options) {
    this.level = options.level;
  }

  static open(opts) {
    return new Target(checkOptions(opts));
  }

  // Throw retryable(code, message) or permanent(code, message) (from jido.js) to fail.
  deliver(signal) {
    log(this.level, `${signal.type} from ${signal.source}`, []);
  }

  deliverBatch(signals) {
    return deliverEach(this, signals);
  }

  healthCheck() {}
}

export const adapter = {
  validateOpts(opts) {
    return JSON.stringify(checkOptions(opts));
  },
  Target,
};
