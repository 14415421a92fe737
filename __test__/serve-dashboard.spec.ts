/** The dashboard (GET /) in headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core): it loads, its charts and counters move while decisions flow, a refused
 * reload shows among the recent errors, and the console stays clean. Writes a screenshot. */
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { badRulesText, records, rulesDir } from './helpers/live-kit';
import { call, startTestService, tempFiles } from './helpers/serve-kit';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

test('the dashboard loads, its charts update while decisions flow, no console errors', async (t) => {
  const { file } = rulesDir('v1');
  const dir = tempFiles({ token: 'dash-token' });
  const s = await startTestService({ rules: file, adminTokenFile: join(dir, 'token') });
  t.teardown(() => s.close());
  // A refused reload, for the recent errors.
  const refused = await call(`${s.url}/v1/rules`, 'POST', badRulesText('v2'), {
    'content-type': 'application/yaml',
    authorization: 'Bearer dash-token',
  });
  t.is(refused.status, 400);

  let sending = true;
  const payload = records(500);
  const traffic = (async () => {
    while (sending) await call(`${s.url}/v1/decide/batch`, 'POST', payload, { 'content-type': 'application/x-ndjson' });
  })();
  t.teardown(async () => {
    sending = false;
    await traffic;
  });

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.goto(`${s.url}/`);

  // Page-side code as strings: this project's TypeScript has no DOM types.
  const polls = async () => Number(await page.evaluate('document.body.dataset.polls'));
  const mixChart = () => page.evaluate<string>("document.getElementById('chart-mix').toDataURL()");
  const flowing = 'Number(document.body.dataset.polls) >= 3 && Number(document.body.dataset.rate) > 0';
  await page.waitForFunction(flowing, null, { timeout: 60_000 });
  const before = { polls: await polls(), chart: await mixChart() };
  await page.waitForFunction(`Number(document.body.dataset.polls) >= ${before.polls + 2}`, null, { timeout: 60_000 });
  t.not(await mixChart(), before.chart, 'the decision mix chart was redrawn with new data');
  t.is(await page.textContent('#rules-version'), 'v1');
  t.is(await page.textContent('#ready'), 'ready');
  const ruleRows = await page.$$eval('#rules-table tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
  t.deepEqual([...ruleRows].sort(), ['big', 'listed']);
  t.regex((await page.textContent('#errors')) ?? '', /rules/);
  t.regex((await page.textContent('#mix-legend')) ?? '', /BLOCK/);
  t.true(Number(await page.evaluate('document.body.dataset.records')) > 0);

  const shot = join(mkdtempSync(join(tmpdir(), 'blazerules-dashboard-')), 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.log(`screenshot: ${shot}`);
  t.deepEqual(problems, []);
});
