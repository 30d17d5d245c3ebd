// tests/fakes/twilio/sign.js: prints X-Twilio-Signature for a form webhook as
// the official `twilio` package computes it.
// usage: node sign.js AUTH_TOKEN URL name=value...
const twilio = require("twilio");
const [token, url, ...pairs] = process.argv.slice(2);
const params = {};
for (const p of pairs) {
  const i = p.indexOf("=");
  const k = p.slice(0, i), v = p.slice(i + 1);
  if (k in params) params[k] = [].concat(params[k], v); else params[k] = v;
}
process.stdout.write(twilio.getExpectedTwilioSignature(token, url, params) + "\n");
