// tests/integration/vapi_sdk_client.mjs: Vapi's official server SDK
// (@vapi-ai/server-sdk 2.0.1, installed in tests/fakes/vapi_sdk) driving
// hark's REST API, run by test_vapi_sdk.sh. Every check is an assertion on
// what the SDK returns (or throws), so a server that answers differently
// from Vapi fails here the way a user's code would.
//
// Environment: HARK_BASE (http://127.0.0.1:PORT), KEY_A / KEY_B (API keys of
// tenants TENANT_A / TENANT_B), TWILIO_ACCT (the account sid numbers use).
// Prints one "ok: ..." line per group, then "ALL OK" (the shell test wants it);
// the first failed assertion exits 1 with what was expected and what came.
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const require = createRequire(import.meta.url);
const sdkDir = new URL("../fakes/vapi_sdk/", import.meta.url).pathname;
const { VapiClient, VapiError } = require(require.resolve("@vapi-ai/server-sdk", { paths: [sdkDir] }));

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`missing ${k}`);
  return v;
};
const BASE = env("HARK_BASE"), KEY_A = env("KEY_A"), KEY_B = env("KEY_B");
const TENANT_A = env("TENANT_A"), ACCT = env("TWILIO_ACCT");

// Every request the SDK sends goes through this fetch, so the test can count
// retries (the SDK retries 408, 429 and >= 500, never other 4xx).
const sent = [], answers = [], answered5xx = [];
const countingFetch = async (url, init) => {
  const what = `${init?.method ?? "GET"} ${new URL(url).pathname}`;
  sent.push(what);
  const res = await fetch(url, init);
  answers.push(`${what} -> ${res.status}`);
  if (res.status >= 500) answered5xx.push(`${what} -> ${res.status}`);
  return res;
};
const client = (token) => new VapiClient({ token, baseUrl: BASE, fetch: countingFetch, timeoutInSeconds: 30 });
const a = client(KEY_A), b = client(KEY_B);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function stamped(o, what) {
  assert.equal(typeof o, "object", `${what}: an object, got ${JSON.stringify(o)}`);
  assert.match(o.id, UUID, `${what}.id`);
  assert.equal(o.orgId, TENANT_A, `${what}.orgId`);
  assert.match(o.createdAt, ISO, `${what}.createdAt`);
  assert.match(o.updatedAt, ISO, `${what}.updatedAt`);
}

// The promise must reject with a VapiError of this status, after exactly one
// request (no retry).
async function fails(status, promise, what) {
  const before = sent.length;
  try {
    const got = await promise;
    assert.fail(`${what}: want VapiError ${status}, got ${JSON.stringify(got)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.ok(e instanceof VapiError, `${what}: want a VapiError, got ${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.statusCode, status, `${what}: status (body ${JSON.stringify(e.body)})`);
    assert.equal(e.body?.statusCode, status, `${what}: Vapi's error JSON carries statusCode`);
    assert.equal(sent.length - before, 1,
      `${what}: the SDK sent ${sent.length - before} requests (retried?): ${answers.slice(before).join(", ")}`);
    return e;
  }
}

const MODEL = {
  provider: "openai",
  model: "gpt-4o-mini",
  messages: [{ role: "system", content: "You are the bakery's assistant. Be brief." }],
};

async function assistants() {
  const { data: one, rawResponse } = await a.assistants
    .create({
      name: "Bakery",
      firstMessage: "Hello, corner bakery.",
      model: MODEL,
      metadata: { team: "north" },
      hkUnknownField: { kept: [1, "two", null] }, // unknown fields are kept and returned
    })
    .withRawResponse();
  assert.equal(rawResponse.status, 201, "assistants.create status");
  stamped(one, "created assistant");
  assert.equal(one.name, "Bakery");
  assert.equal(one.firstMessage, "Hello, corner bakery.");
  assert.deepEqual(one.model, MODEL, "model comes back as sent");
  assert.deepEqual(one.hkUnknownField, { kept: [1, "two", null] }, "unknown field returned by create");
  assert.deepEqual(one.metadata, { team: "north" });

  await sleep(20); // a later createdAt for the second one
  const two = await a.assistants.create({ name: "Florist", firstMessage: "Flowers here.", model: MODEL });
  stamped(two, "second assistant");
  assert.ok(two.createdAt > one.createdAt, `createdAt order ${one.createdAt} < ${two.createdAt}`);

  const got = await a.assistants.get({ id: one.id });
  assert.deepEqual(got.hkUnknownField, one.hkUnknownField, "unknown field returned by get");
  assert.equal(got.id, one.id);
  assert.equal(got.createdAt, one.createdAt);

  const all = await a.assistants.list();
  assert.ok(Array.isArray(all), `list is a bare array: ${JSON.stringify(all).slice(0, 200)}`);
  const ids = all.map((x) => x.id);
  assert.ok(ids.includes(one.id) && ids.includes(two.id), `list has both: ${ids}`);
  assert.ok(ids.indexOf(two.id) < ids.indexOf(one.id), "newest first");
  const first = await a.assistants.list({ limit: 1 });
  assert.equal(first.length, 1, "limit 1");
  assert.equal(first[0].id, two.id, "limit 1 gives the newest");
  const after = await a.assistants.list({ createdAtGt: one.createdAt });
  assert.deepEqual(after.map((x) => x.id), [two.id], "createdAtGt the first: only the second");
  const before = await a.assistants.list({ createdAtLt: two.createdAt });
  assert.deepEqual(before.map((x) => x.id), [one.id], "createdAtLt the second: only the first");

  await sleep(20);
  const up = await a.assistants.update({ id: one.id, firstMessage: "Hello again, corner bakery." });
  assert.equal(up.id, one.id);
  assert.equal(up.firstMessage, "Hello again, corner bakery.", "update changed firstMessage");
  assert.equal(up.name, "Bakery", "partial update keeps name");
  assert.deepEqual(up.model, MODEL, "partial update keeps model");
  assert.deepEqual(up.hkUnknownField, one.hkUnknownField, "partial update keeps the unknown field");
  assert.equal(up.createdAt, one.createdAt, "createdAt unchanged");
  assert.ok(up.updatedAt > one.updatedAt, `updatedAt moved: ${one.updatedAt} -> ${up.updatedAt}`);
  const reread = await a.assistants.get({ id: one.id });
  assert.equal(reread.firstMessage, "Hello again, corner bakery.", "update stored");
  // null clears a field (the assistant still runs without its metadata)
  const cleared = await a.assistants.update({ id: one.id, metadata: null });
  assert.equal(cleared.metadata, null, "metadata: null clears it");
  assert.equal(cleared.firstMessage, "Hello again, corner bakery.", "the rest kept");
  const moved = await a.assistants.list({ updatedAtGt: two.updatedAt });
  assert.deepEqual(moved.map((x) => x.id), [one.id], "updatedAtGt: only the one updated since");
  const within = await a.assistants.list({ createdAtGe: one.createdAt, createdAtLe: two.createdAt });
  assert.equal(within.length, 2, "createdAtGe/Le are inclusive");

  // an assistant hark cannot run is a 400 naming the field, not a 5xx the SDK retries
  const bad = await fails(400, a.assistants.create({ model: { provider: "no-such-llm", model: "x" } }), "bad model");
  assert.match(JSON.stringify(bad.body.message), /model/, "400 names the field");

  // another tenant: 404 for every id of A, and its list does not show them
  await fails(404, b.assistants.get({ id: one.id }), "B gets A's assistant");
  await fails(404, b.assistants.update({ id: one.id, name: "stolen" }), "B updates A's assistant");
  await fails(404, b.assistants.delete({ id: one.id }), "B deletes A's assistant");
  const bl = await b.assistants.list();
  assert.ok(!bl.some((x) => x.id === one.id || x.id === two.id), "B's list has none of A's");
  assert.equal((await a.assistants.get({ id: one.id })).name, "Bakery", "B's update changed nothing");

  const del = await a.assistants.delete({ id: two.id });
  assert.equal(del.id, two.id, "delete returns the object");
  assert.equal(del.name, "Florist", "delete returns the whole object");
  await fails(404, a.assistants.get({ id: two.id }), "get after delete");
  await fails(404, a.assistants.delete({ id: two.id }), "delete twice");
  assert.ok(!(await a.assistants.list()).some((x) => x.id === two.id), "deleted one not listed");
  console.log("ok: assistants create/list/get/update/delete");
  return got;
}

async function tools() {
  const fn = {
    name: "check_stock",
    description: "How many loaves are left",
    parameters: { type: "object", properties: { bread: { type: "string" } }, required: ["bread"] },
  };
  const { data: t, rawResponse } = await a.tools
    .create({ type: "function", function: fn, async: false, hkNote: "kept" })
    .withRawResponse();
  assert.equal(rawResponse.status, 201, "tools.create status");
  stamped(t, "tool");
  assert.equal(t.type, "function");
  assert.deepEqual(t.function, fn, "function comes back as sent");
  assert.equal(t.hkNote, "kept", "unknown tool field kept");
  assert.equal((await a.tools.get({ id: t.id })).function.name, "check_stock");
  const list = await a.tools.list({ limit: 10 });
  assert.ok(Array.isArray(list) && list.some((x) => x.id === t.id), "tools.list has it");

  await sleep(20);
  const fn2 = { ...fn, description: "Loaves left, by kind" };
  const up = await a.tools.update({ id: t.id, body: { type: "function", function: fn2 } });
  assert.deepEqual(up.function, fn2, "tools.update replaced function");
  assert.equal(up.hkNote, "kept", "tools.update is partial");
  assert.ok(up.updatedAt > t.updatedAt, "tool updatedAt moved");

  await fails(400, a.tools.create({ type: "function", function: { name: "has spaces" } }), "bad tool name");
  await fails(400, a.tools.update({ id: t.id, body: { function: { name: "" } } }), "update to a bad name");
  await fails(404, b.tools.get({ id: t.id }), "B gets A's tool");
  await fails(404, b.tools.update({ id: t.id, body: { type: "function", function: fn } }), "B updates A's tool");

  const del = await a.tools.delete({ id: t.id });
  assert.equal(del.id, t.id, "tool delete returns the object");
  assert.deepEqual(del.function, fn2, "deleted tool whole");
  await fails(404, a.tools.get({ id: t.id }), "tool get after delete");
  console.log("ok: tools create/list/get/update/delete");
}

async function phoneNumbers(assistant) {
  const { data: n, rawResponse } = await a.phoneNumbers
    .create({
      provider: "twilio",
      number: "+15550142",
      twilioAccountSid: ACCT,
      twilioAuthToken: "not-to-be-echoed",
      name: "Shop line",
      assistantId: assistant.id,
    })
    .withRawResponse();
  assert.equal(rawResponse.status, 201, "phoneNumbers.create status");
  stamped(n, "phone number");
  assert.equal(n.provider, "twilio");
  assert.equal(n.number, "+15550142");
  assert.equal(n.assistantId, assistant.id);
  assert.equal(n.twilioAccountSid, ACCT);
  assert.equal(n.twilioAuthToken, undefined, "the auth token is never echoed");
  assert.equal((await a.phoneNumbers.get({ id: n.id })).name, "Shop line");

  // more numbers, for the pages
  const more = [];
  for (const [num, name] of [["+15550143", "Back office"], ["+15550144", "Deliveries"]]) {
    await sleep(15);
    more.push(await a.phoneNumbers.create({ provider: "twilio", number: num, twilioAccountSid: ACCT, name }));
  }
  const list = await a.phoneNumbers.list();
  assert.ok(Array.isArray(list), "phoneNumbers.list is a bare array");
  assert.deepEqual(list.map((x) => x.number), ["+15550144", "+15550143", "+15550142"], "all three, newest first");
  assert.equal((await a.phoneNumbers.list({ limit: 2 })).length, 2, "phone number limit");

  // /v2/phone-number, paged: through the SDK and through plain fetch
  const p2 = await a.phoneNumbers.phoneNumberControllerFindAllPaginated({ limit: 2, page: 2, sortOrder: "ASC" });
  assert.deepEqual(p2.results.map((x) => x.number), ["+15550144"], "page 2 of 2 ascending");
  assert.deepEqual(p2.metadata, { itemsPerPage: 2, totalItems: 3, currentPage: 2, totalPages: 2 }, "page metadata");
  const res = await fetch(`${BASE}/v2/phone-number?page=1&limit=2&search=deliv`, {
    headers: { Authorization: `Bearer ${KEY_A}` },
  });
  assert.equal(res.status, 200);
  const p1 = await res.json();
  assert.deepEqual(p1.results.map((x) => x.name), ["Deliveries"], "search by name");
  assert.equal(p1.metadata.totalItems, 1);
  const pb = await b.phoneNumbers.phoneNumberControllerFindAllPaginated({});
  assert.equal(pb.metadata.totalItems, 0, "B's pages hold none of A's numbers");

  await sleep(20);
  const up = await a.phoneNumbers.update({ id: n.id, body: { provider: "twilio", name: "Front counter" } });
  assert.equal(up.name, "Front counter", "phoneNumbers.update with provider in the body");
  assert.equal(up.number, "+15550142", "number kept");
  assert.equal(up.assistantId, assistant.id, "assistantId kept");
  assert.ok(up.updatedAt > n.updatedAt, "phone number updatedAt moved");

  const detached = await a.phoneNumbers.update({ id: more[0].id, body: { provider: "twilio", assistantId: null } });
  assert.equal(detached.assistantId, null, "assistantId: null detaches the number");
  const attached = await a.phoneNumbers.update({ id: more[0].id, body: { assistantId: assistant.id } });
  assert.equal(attached.assistantId, assistant.id, "and attaches it again");
  await fails(400, a.phoneNumbers.create({ provider: "twilio", number: "555-0100", twilioAccountSid: ACCT }), "not E.164");
  await fails(400, a.phoneNumbers.create({ provider: "twilio", number: "+15550142", twilioAccountSid: ACCT }), "a registered number");
  await fails(400, a.phoneNumbers.update({ id: n.id, body: { assistantId: "00000000-0000-4000-8000-000000000000" } }), "unknown assistant");
  await fails(404, b.phoneNumbers.get({ id: n.id }), "B gets A's number");
  await fails(404, b.phoneNumbers.update({ id: n.id, body: { provider: "twilio", name: "x" } }), "B updates A's number");
  await fails(404, b.phoneNumbers.delete({ id: n.id }), "B deletes A's number");

  const del = await a.phoneNumbers.delete({ id: more[1].id });
  assert.equal(del.number, "+15550144", "number delete returns the object");
  await fails(404, a.phoneNumbers.get({ id: more[1].id }), "number get after delete");
  assert.equal((await a.phoneNumbers.list()).length, 2, "two numbers left");
  console.log("ok: phone numbers create/list/v2 pages/get/update/delete");
  return n;
}

async function calls(assistant, number) {
  const customer = { number: "+15557654321" };
  const { data: c, rawResponse } = await a.calls
    .create({ assistantId: assistant.id, phoneNumberId: number.id, customer, name: "Bread reminder" })
    .withRawResponse();
  assert.equal(rawResponse.status, 201, "calls.create status");
  stamped(c, "call");
  assert.equal(c.type, "outboundPhoneCall");
  assert.equal(c.status, "queued");
  assert.equal(c.assistantId, assistant.id);
  assert.equal(c.customer?.number, customer.number);
  assert.match(c.phoneCallProviderId, /^CA[0-9a-f]{32}$/, "the Twilio CallSid");
  assert.equal(c.name, "Bread reminder");
  console.log(`CALLSID ${c.phoneCallProviderId}`);

  const got = await a.calls.get({ id: c.id });
  assert.equal(got.id, c.id);
  assert.equal(got.phoneCallProviderId, c.phoneCallProviderId);
  const list = await a.calls.list();
  assert.ok(Array.isArray(list) && list.some((x) => x.id === c.id), "calls.list has it");
  const byAssistant = await a.calls.list({ assistantId: assistant.id, limit: 5 });
  assert.deepEqual(byAssistant.map((x) => x.id), [c.id], "calls.list by assistantId");
  assert.deepEqual((await a.calls.list({ phoneNumberId: number.id })).map((x) => x.id), [c.id], "calls.list by phoneNumberId");
  assert.deepEqual(await a.calls.list({ createdAtGt: c.createdAt }), [], "calls.list createdAtGt the call: none");
  assert.deepEqual((await a.calls.list({ createdAtGe: c.createdAt })).map((x) => x.id), [c.id], "calls.list createdAtGe");
  const other = await a.calls.list({ assistantId: "00000000-0000-4000-8000-000000000000" });
  assert.deepEqual(other, [], "calls.list of another assistant: empty");

  const up = await a.calls.update({ id: c.id, name: "Bread reminder (Friday)" });
  assert.equal(up.name, "Bread reminder (Friday)", "calls.update name");
  assert.equal((await a.calls.get({ id: c.id })).name, "Bread reminder (Friday)", "name stored");

  // a 4xx on POST /call is one request: the SDK retries >= 500, which could ring twice
  await fails(400, a.calls.create({ assistantId: assistant.id, phoneNumberId: number.id }), "POST /call without customer");
  await fails(400, a.calls.create({ assistantId: assistant.id, phoneNumberId: number.id, customer: { number: "5557654321" } }), "customer not E.164");
  await fails(400, a.calls.create({ phoneNumberId: number.id, customer }), "no assistant");
  await fails(404, b.calls.get({ id: c.id }), "B gets A's call");
  await fails(404, b.calls.update({ id: c.id, name: "x" }), "B renames A's call");
  await fails(404, b.calls.delete({ id: c.id }), "B deletes A's call");
  // B naming A's assistant and number in a create: Vapi answers 400 naming the field
  await fails(400, b.calls.create({ assistantId: assistant.id, phoneNumberId: number.id, customer }), "B calls with A's ids");

  const del = await a.calls.delete({ id: c.id });
  assert.equal(del.id, c.id, "call delete returns the object");
  assert.equal(del.name, "Bread reminder (Friday)", "the deleted call whole");
  await fails(404, a.calls.get({ id: c.id }), "call get after delete");
  console.log("ok: calls create/list/get/update/delete");
}

async function auth() {
  const bad = client("sk-not-a-key-" + "0".repeat(32));
  await fails(401, bad.assistants.list(), "a bad token");
  await fails(401, bad.calls.create({ assistantId: "x", customer: { number: "+15557654321" } }), "a bad token on POST /call");
  const none = new VapiClient({ token: "", baseUrl: BASE, fetch: countingFetch });
  await fails(401, none.tools.list(), "no token");
  console.log("ok: auth 401");
}

// GET /openapi.json (no credential) describes every request the SDK sent
async function openapi() {
  const res = await fetch(`${BASE}/openapi.json`);
  assert.equal(res.status, 200, "GET /openapi.json without a credential");
  const doc = await res.json();
  assert.equal(doc.openapi, "3.1.0");
  assert.equal(doc.servers[0].url, BASE, "servers from the Host");
  const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => [m.toUpperCase(), new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`)]));
  const undocumented = [...new Set(sent)].filter((req) => {
    const [method, path] = req.split(" ");
    return !routes.some(([m, re]) => m === method && re.test(path));
  });
  assert.deepEqual(undocumented, [], "requests the SDK sent that /openapi.json does not describe");
  console.log(`ok: /openapi.json describes all ${new Set(sent).size} distinct requests the SDK sent`);
}

try {
  await auth();
  const assistant = await assistants();
  await tools();
  const number = await phoneNumbers(assistant);
  await calls(assistant, number);
  await openapi();
  assert.deepEqual(answered5xx, [], "hark answered 5xx (the SDK retries those)");
  console.log(`requests sent: ${sent.length}`);
  console.log("ALL OK");
} catch (e) {
  console.error(`FAIL: ${e.message}`);
  if (e.actual !== undefined || e.expected !== undefined)
    console.error(`  actual: ${JSON.stringify(e.actual)}\n  expected: ${JSON.stringify(e.expected)}`);
  if (e.body) console.error(`  body: ${JSON.stringify(e.body)}`);
  process.exit(1);
}
