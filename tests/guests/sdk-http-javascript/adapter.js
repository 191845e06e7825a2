// Test-only component: delivers every signal in CloudEvents binary mode to its `url` with the
// JavaScript SDK's `sendSignal` (built by guest-examples/javascript/build.sh DIR).
import { send } from "jido:dispatch/http@0.1.0";
import { deliverEach, parseOptions, sendSignal, urlOption } from "../../../adapters/sdk/javascript/jido.js";

function checkOptions(opts) {
  return { url: urlOption(parseOptions(opts, ["url"]), "url") };
}

class Target {
  constructor(options) {
    this.url = options.url;
  }

  static open(opts) {
    return new Target(checkOptions(opts));
  }

  deliver(signal) {
    sendSignal(send, { url: this.url, timeoutMs: 5000 }, signal);
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
