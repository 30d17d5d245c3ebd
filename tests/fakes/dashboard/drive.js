// tests/fakes/dashboard/drive.js: drives Debian's chromium (headless, through
// playwright-core) through the dashboard served by `hark serve`, for
// tests/integration/test_dashboard.sh. Reads its setup from the environment
// the test exports: BASE, EMAIL, PASSWORD, CALL (a script placing one fake
// Twilio call: CALL N NUMBER), NUMBER, AGENT1 (its agent), AGENT2 (the agent
// the number moves to), JWT_SECRET (to mint an expired session), SHOTS (screenshot dir),
// CHROMIUM. Every step checks what a user would see; the first failed check
// exits 1 with what was expected. Any CSP violation or page error fails too.
'use strict';
const { chromium } = require('playwright-core');
const { spawn } = require('child_process');
const crypto = require('crypto');
const path = require('path');

const env = (k) => { if (!process.env[k]) throw new Error(`drive.js: ${k} is not set`); return process.env[k]; };
const BASE = env('BASE'), SHOTS = env('SHOTS');
const problems = [];
let step = 'start';
const log = (m) => console.log(`drive: ${m}`);
function check(cond, msg) { if (!cond) throw new Error(`${step}: ${msg}`); }

function placeCall(n, number, ...opts) {
  const p = spawn('bash', [env('CALL'), String(n), number, ...opts], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  return new Promise((resolve, reject) => p.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`call ${n} exited ${code}`)))));
}

// poll fn (in node) until it returns a truthy value
async function until(what, fn, ms = 30000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${step}: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

// each page is screenshotted once it is complete: check its contrast then
async function shot(page, name) {
  await contrast(page);
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

// every input, select and textarea has an accessible name
async function labelled(page) {
  const bad = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label') &&
      !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
    .map((el) => el.outerHTML.slice(0, 80)));
  check(bad.length === 0, `controls without a label: ${bad.join(' | ')}`);
}

// WCAG contrast of every visible text (4.5:1; 3:1 for large text) against
// the first opaque background behind it; disabled controls are exempt
async function contrast(page) {
  const bad = await page.evaluate(() => {
    const rgb = (c) => { const m = c.match(/[\d.]+/g) || []; return m.map(Number); };
    const lum = ([r, g, b]) => [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
    const bg = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || c[3] > 0.9) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el || el.closest('[disabled], :disabled, option, title, .skip')) continue;
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') continue;
      const s = getComputedStyle(el), size = parseFloat(s.fontSize), bold = Number(s.fontWeight) >= 700;
      const L1 = lum(rgb(s.color)), L2 = lum(bg(el));
      const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
      const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
      if (ratio < need) out.push(`"${n.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}:1`);
    }
    return out;
  });
  check(bad.length === 0, `text below WCAG AA contrast: ${bad.slice(0, 5).join(' | ')}`);
}

async function api(page, p) {
  return page.evaluate(async (u) => {
    const r = await fetch(u, { credentials: 'same-origin' });
    return { status: r.status, body: await r.json().catch(() => null) };
  }, p);
}

function b64url(buf) { return Buffer.from(buf).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'); }

(async () => {
  const browser = await chromium.launch({ executablePath: env('CHROMIUM'),
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--mute-audio'] });
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  page.on('console', (m) => { if (/Content.Security.Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  try {
    // 1. login: a wrong password is shown inline; keyboard alone logs in
    step = 'login';
    await page.goto(BASE + '/');
    await page.getByRole('heading', { name: 'Log in to hark' }).waitFor();
    await labelled(page);
    await page.getByLabel('Email').fill(env('EMAIL'));
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#login-error', { hasText: 'Wrong email or password' }).waitFor({ timeout: 10000 });
    check(await page.locator('#top').isHidden(), 'the navigation shows before login');
    await shot(page, 'login');
    await page.getByLabel('Password').fill(env('PASSWORD'));
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'Live calls' }).waitFor({ timeout: 10000 });
    // the session cookie is HttpOnly: scripts cannot read it
    check(!(await page.evaluate(() => document.cookie)).includes('hark_session'), 'the session cookie is readable by scripts');
    check((await context.cookies()).some((c) => c.name === 'hark_session' && c.httpOnly && c.sameSite === 'Strict'),
      'no HttpOnly SameSite=Strict hark_session cookie');
    // keyboard: Tab reaches the navigation and a focused link shows a focus ring
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => { const el = document.activeElement; const s = getComputedStyle(el);
      return { tag: el.tagName, outline: s.outlineStyle, width: parseFloat(s.outlineWidth) }; });
    check(ring.tag === 'A' && ring.outline !== 'none' && ring.width >= 2, `keyboard focus not visible: ${JSON.stringify(ring)}`);

    // 2. a call placed by the fake Twilio caller shows in Live calls, then its words in the live transcript
    step = 'live calls';
    await page.locator('#live-conn', { hasText: 'active call' }).waitFor({ timeout: 15000 });
    const placed = Date.now();
    const call1 = placeCall(1, env('NUMBER'));
    const row = page.locator('#live-calls tr[data-call-id]').first();
    await row.waitFor({ timeout: 30000 });
    log(`call 1 in Live calls ${Date.now() - placed} ms after the fake caller was started (webhook, stream, event)`);
    const state = await row.locator('.state').textContent();
    check(/Listening|Thinking|Speaking/.test(state), `state shown: ${state}`);
    check(/•|\*/.test(await row.locator('td').nth(1).textContent()), 'the caller number is not masked');
    const t0 = await row.locator('.tick').textContent();
    await until('the duration to tick', async () => (await row.locator('.tick').textContent()) !== t0, 5000);
    await shot(page, 'live');
    const liveId = await row.getAttribute('data-call-id');
    await row.locator('a').click();
    step = 'live transcript';
    await page.getByRole('heading', { name: 'Live transcript' }).waitFor();
    // count the greyed interim lines the page shows while the caller speaks
    await page.evaluate(() => {
      window.__interim = 0;
      window.__speaking = 0;
      new MutationObserver(() => {
        if (/Caller speaking/.test(document.getElementById('live-speech').textContent)) window.__speaking++;
      }).observe(document.getElementById('live-speech'), { childList: true, characterData: true, subtree: true });
      new MutationObserver((ms) => ms.forEach((m) => m.addedNodes.forEach((n) => {
        if (n.classList && n.classList.contains('interim')) window.__interim++;
      }))).observe(document.querySelector('.transcript'), { childList: true });
    });
    await until('the caller\'s words in the live transcript', async () =>
      (await page.locator('.transcript .line.user .text').allTextContents()).some((t) => /bread/i.test(t)), 45000);
    await until('an agent line in the live transcript', async () =>
      (await page.locator('.transcript .line.assistant .text').count()) > 0, 30000);
    await shot(page, 'live_transcript');
    await page.locator('#live-ended').waitFor({ state: 'visible', timeout: 60000 });
    // every interim line was replaced by its final text
    check(await page.locator('.transcript .line.interim').count() === 0, 'interim lines left after the call ended');
    const interim = await page.evaluate(() => window.__interim);
    check(interim >= 1, 'no interim (greyed) caller words were shown while the caller spoke');
    check(await page.evaluate(() => window.__speaking) >= 1, 'the caller was never shown speaking (call.speech)');
    log(`live transcript: ${interim} interim lines shown, all replaced by finals`);
    // the agent ended the call with its endCall tool: the tool call is shown live
    await page.locator('.transcript .line.tool', { hasText: 'endCall' }).first().waitFor({ timeout: 5000 });
    check(/assistant-ended-call/.test(await page.locator('#live-ended').textContent()), 'the ended reason is not shown');
    const sid1 = await call1;
    log(`call 1 ${sid1} (live id ${liveId}) ended`);
    await page.getByRole('link', { name: 'All live calls' }).click();
    await page.locator('#live-conn').waitFor();
    await until('the ended call to leave Live calls', async () =>
      (await page.locator(`#live-calls tr[data-call-id="${liveId}"]`).count()) === 0 &&
      (await page.locator('#live-calls .empty').count()) === 1, 5000);

    // 3. history: the call is there; its detail plays the recording; one waterfall row per turn
    step = 'history';
    await page.goto(BASE + '/#/calls');
    await page.getByRole('heading', { name: 'Call history' }).waitFor();
    const hrow = page.locator('#call-list tr[data-call-id]').first();
    await hrow.waitFor({ timeout: 15000 });
    await labelled(page);
    await shot(page, 'calls');
    const callId = await hrow.getAttribute('data-call-id');
    const rec = await api(page, `/call/${callId}`);
    check(rec.status === 200 && rec.body.phoneCallProviderId === sid1, `newest call is not call 1: ${JSON.stringify(rec.body && rec.body.phoneCallProviderId)}`);
    // text search in transcripts finds it by a caller's word, and not by a word nobody said
    const filtered = (part) => page.waitForFunction((p) => location.hash.includes(p), part, { timeout: 10000 });
    await page.getByLabel('Text in transcript').fill('bread');
    await page.getByRole('button', { name: 'Apply' }).click();
    await filtered('q=bread');
    await page.locator(`#call-list tr[data-call-id="${callId}"]`).waitFor({ timeout: 10000 });
    await page.getByLabel('Text in transcript').fill('zebra');
    await page.getByRole('button', { name: 'Apply' }).click();
    await filtered('q=zebra');
    await page.locator('#call-list .empty').waitFor({ timeout: 10000 });
    await page.goto(BASE + '/#/calls');
    await page.locator(`#call-list tr[data-call-id="${callId}"]`).waitFor({ timeout: 10000 });
    // the agent filter keeps it; another agent's filter does not
    await page.getByLabel('Agent', { exact: true }).selectOption(env('AGENT2'));
    await page.getByRole('button', { name: 'Apply' }).click();
    await filtered(`assistantId=${env('AGENT2')}`);
    await page.locator('#call-list .empty').waitFor({ timeout: 10000 });
    await page.goto(BASE + '/#/calls');
    const opened = Date.now();
    await page.locator(`#call-list tr[data-call-id="${callId}"] a`).click();
    step = 'call detail';
    await page.locator('#player').waitFor();
    await until('the waveform decoded from the WAV', async () => Number(await page.locator('canvas.waveform').getAttribute('data-channels')) >= 1, 20000);
    log(`call detail with its waveform drawn ${Date.now() - opened} ms after the click`);
    const turns = (rec.body.metadata && rec.body.metadata.hark && rec.body.metadata.hark.turns) || [];
    check(turns.length >= 1, 'the call has no turns with latency marks');
    const rows = await page.locator('.waterfall g.turn').count();
    check(rows === turns.length, `waterfall rows ${rows}, turns ${turns.length}`);
    // by keyboard: focus the first line's seek button and press Enter
    await page.locator('.seekline:not([disabled])').first().focus();
    await page.keyboard.press('Enter');
    const played = await until('the recording to play', async () => {
      const t = await page.evaluate(() => document.getElementById('player').currentTime);
      return t > 0.5 ? t : 0;
    }, 15000);
    await page.evaluate(() => document.getElementById('player').pause());
    const tool = page.locator('section', { hasText: 'Tool calls' }).locator('tbody tr', { hasText: 'endCall' });
    check(/ended/.test(await tool.textContent()), 'the endCall tool call and its result are not in the call detail');
    check((await page.locator('#ended-reason').textContent()) === 'assistant-ended-call', 'ended reason in the detail');
    log(`recording played to ${played.toFixed(2)} s; ${rows} waterfall rows`);
    await shot(page, 'call_detail');

    // 4. edit an agent (an invalid value is shown inline first), assign the number; the next call uses both
    step = 'agent edit';
    await page.goto(BASE + '/#/agents');
    await page.getByRole('heading', { name: 'Agents' }).waitFor();
    await shot(page, 'agents');
    await page.locator(`tr[data-agent-id="${env('AGENT2')}"] a`).click();
    await page.getByLabel('First message').waitFor();
    await labelled(page);
    const maxd = page.getByLabel('Max duration (seconds)');
    await maxd.fill('5');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const errId = `#${await maxd.getAttribute('id')}-err`;
    await page.locator(errId, { hasText: 'maxDurationSeconds' }).waitFor({ timeout: 10000 });
    check(await maxd.getAttribute('aria-invalid') === 'true', 'the invalid field is not marked');
    await shot(page, 'agent_form');
    await maxd.fill('600');
    await page.getByLabel('First message').fill('Florist here, we have fresh tulips today.');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('#status', { hasText: 'Saved' }).waitFor({ timeout: 10000 });
    const a2 = await api(page, `/assistant/${env('AGENT2')}`);
    check(a2.body.firstMessage === 'Florist here, we have fresh tulips today.' && a2.body.maxDurationSeconds === 600,
      `agent not saved: ${JSON.stringify(a2.body)}`);

    step = 'assign number';
    await page.goto(BASE + '/#/numbers');
    await page.getByRole('heading', { name: 'Phone numbers' }).waitFor();
    await labelled(page);
    await page.getByLabel(`Agent for ${env('NUMBER')}`).selectOption(env('AGENT2'));
    await page.locator('tr', { hasText: env('NUMBER') }).getByRole('button', { name: 'Assign' }).click();
    await page.locator('tr', { hasText: env('NUMBER') }).locator('.ok', { hasText: 'Saved' }).waitFor({ timeout: 10000 });
    // search Twilio's numbers for sale (fake_twilio_rest) and buy one for the first agent
    await page.getByLabel('Area code').fill('510');
    await page.getByLabel('Assign to').selectOption({ label: 'Bakery' });
    await page.getByRole('button', { name: 'Search' }).click();
    const sale = page.locator('#available tr', { hasText: '+15105550101' });
    await sale.waitFor({ timeout: 10000 });
    await sale.getByRole('button', { name: 'Buy' }).click();
    await page.locator('#number-list tr', { hasText: '+15105550101' }).waitFor({ timeout: 10000 });
    const bought = (await api(page, '/phone-number')).body.find((n) => n.number === '+15105550101');
    check(bought && bought.assistantId === env('AGENT1'), `bought number not registered for the agent: ${JSON.stringify(bought)}`);
    await shot(page, 'numbers');
    // call 2, watched live: its caller talks over the agent's second reply (a barge-in, marked)
    step = 'call 2 live';
    await page.goto(BASE + '/#/live');
    await page.locator('#live-conn', { hasText: 'active call' }).waitFor({ timeout: 15000 });
    const call2 = placeCall(2, env('NUMBER'), '--barge-in-ms', '700');
    const row2 = page.locator('#live-calls tr[data-call-id]').first();
    await row2.waitFor({ timeout: 30000 });
    check((await row2.locator('td').first().textContent()) === 'Florist', 'call 2 is not shown with the Florist agent');
    await row2.locator('a').click();
    await page.locator('.transcript .line.assistant', { hasText: 'fresh tulips' }).first().waitFor({ timeout: 30000 });
    await page.locator('.transcript .line.barge').first().waitFor({ timeout: 60000 });
    await shot(page, 'live_barge_in');
    const sid2 = await call2;
    const c2 = await until('call 2 in the history', async () => {
      const r = await api(page, `/call/${sid2}`);
      return r.status === 200 && (r.body.messages || []).length ? r.body : null;
    }, 20000);
    check(c2.assistantId === env('AGENT2'), `call 2 went to ${c2.assistantId}, not ${env('AGENT2')}`);
    check(c2.messages.some((m) => m.role === 'bot' && /fresh tulips/.test(m.message)), 'call 2 did not greet with the edited first message');

    // 5. overview and API keys (created: shown once; revoked)
    step = 'overview';
    await page.goto(BASE + '/#/overview');
    await page.locator('#stat-today .value').waitFor({ timeout: 10000 });
    check(Number(await page.locator('#stat-range .value').textContent()) >= 2, 'calls in range is under 2');
    const v2v = await page.locator('tr', { hasText: 'Bakery' }).locator('td').allTextContents();
    check(v2v.length === 4 && /^\d+ ms$/.test(v2v[2]) && /^\d+ ms$/.test(v2v[3]), `Bakery's p50/p95 voice-to-voice: ${v2v.join(' | ')}`);
    await shot(page, 'overview');
    step = 'api keys';
    await page.goto(BASE + '/#/keys');
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByLabel('Key name').fill('dashboard test');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.locator('#new-key-value').inputValue({ timeout: 10000 });
    check(/^hk_/.test(key), `new key shown: ${key}`);
    const krow = page.locator('#key-list tr', { hasText: 'dashboard test' });
    check(!(await krow.textContent()).includes(key), 'the key list shows the whole key');
    await shot(page, 'keys');
    page.once('dialog', (d) => d.accept());
    await krow.getByRole('button', { name: /Revoke/ }).click();
    await krow.locator('td', { hasText: 'revoked' }).waitFor({ timeout: 10000 });

    // 6. an expired session returns to login: the session cookie re-signed with exp in the past
    step = 'session expiry';
    const ck = (await context.cookies()).find((c) => c.name === 'hark_session');
    const parts = ck.value.split('.');
    check(parts.length === 3, 'the session cookie is not a JWT');
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
    claims.exp = Math.floor(Date.now() / 1000) - 60;
    if (claims.iat) claims.iat = claims.exp - 3600;
    const head = parts[0], body = b64url(JSON.stringify(claims));
    const sig = b64url(crypto.createHmac('sha256', env('JWT_SECRET')).update(`${head}.${body}`).digest());
    await context.addCookies([{ ...ck, value: `${head}.${body}.${sig}` }]);
    await page.getByRole('link', { name: 'Call history' }).click();
    await page.getByRole('heading', { name: 'Log in to hark' }).waitFor({ timeout: 10000 });
    check(/expired/i.test(await page.locator('#status').textContent()), 'no "session expired" message');
    check(await page.locator('#top').isHidden(), 'the navigation stays after expiry');

    // log in again, then log out: back at login, and the old cookie opens nothing
    step = 'logout';
    await page.getByLabel('Email').fill(env('EMAIL'));
    await page.getByLabel('Password').fill(env('PASSWORD'));
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Live calls' }).waitFor({ timeout: 10000 });
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in to hark' }).waitFor({ timeout: 10000 });
    check((await api(page, '/auth/me')).status === 401, 'still logged in after logging out');
    await page.goto(BASE + '/#/calls');
    await page.getByRole('heading', { name: 'Log in to hark' }).waitFor({ timeout: 10000 });

    check(problems.length === 0, problems.join('\n'));
    log('all steps passed');
    await browser.close();
  } catch (e) {
    console.error(`FAIL: ${e.message}`);
    if (problems.length) console.error(problems.join('\n'));
    await page.screenshot({ path: path.join(SHOTS, 'failure.png'), fullPage: true }).catch(() => {});
    await browser.close();
    process.exit(1);
  }
})();
