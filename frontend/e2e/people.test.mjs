// End-to-end test of the 人员与报到 page (/people.html) in Debian's
// Chromium: the organiser's summary and tables, the map of gaps and
// overloads, the rules set in their form, a grid's assignments from a click on the rules report, a new
// head assigned through the forms (the rule's violation goes away), the
// pairing proposal applied, a refused list file with its rows and columns;
// and a viewer who sees counts and unit names but no one's name. The
// shared set-up is in harness.mjs; screenshots go to test-artifacts/people-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { artifacts, useBrowser, openPage, join } from './harness.mjs';

let city, browser, page;
let skipReason = '';

useBrowser({
  roles: ['organiser', 'viewer'],
  ready: (s) => {
    ({ city, browser } = s);
    skipReason = s.skip;
    page = s.pages[0]?.page;
  },
});

const ready = () => window.people && window.people.ready;

async function report(token) {
  return city.getJSON('/api/v1/people/report', token);
}

test('the organiser manages people, assignments and pairings', { timeout: 900_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const token = city.tokens.organiser;
  const before = await report(token);
  assert.equal(before.violations.length, 5, 'the demo city has its five deliberate violations');

  await page.goto(`${city.base}/people.html?access_token=${token}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(ready, null, { timeout: 180_000 });
  assert.doesNotMatch(page.url(), /access_token/);
  assert.match(await page.textContent('#who-name'), /组织部/);
  assert.equal(await page.textContent('#sum-viol'), '5');
  // The staff table: names and phones for the organiser, 50 a page.
  const rows = await page.$$eval('#staff-table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.equal(rows.length, 50);
  assert.match(rows[0][5], /^1\d{10}$/, 'a phone number');
  // Sorting by a header.
  await page.click('#staff-table th[data-sort="joined"]');
  const joined = await page.$$eval('#staff-table tbody tr td:nth-child(8)', (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(joined, [...joined].sort(), 'sorted by the joining day');
  // The map: every grid drawn, the problem grids marked.
  await page.waitForFunction(() => window.people.problemGrids && window.map.getLayer('marks'), null, { timeout: 60_000 });
  await page.evaluate(() => new Promise((r) => { window.map.once('idle', r); window.map.triggerRepaint(); }));
  const problems = await page.evaluate(() => window.people.problemGrids);
  assert.ok(problems.some((p) => p.state === 'head') && problems.some((p) => p.state === 'worker') && problems.some((p) => p.state === 'over'),
    `gaps and overloads marked: ${JSON.stringify(problems)}`);
  await page.screenshot({ path: join(artifacts, 'people-staff.png') });

  // The rules report; a click on the headless grid opens its assignments.
  await page.click('[data-tab=rules]');
  await page.waitForSelector('#rules-table tr[data-subject]');
  const reasons = await page.textContent('#rules-table tbody');
  assert.match(reasons, /网格无网格长/, 'the count rules are said in Chinese');
  assert.match(reasons, /干部帮包 \d+ 个网格（上限 \d+ 个）/);
  // The rules form: a looser limit of grids per cadre clears the
  // cadre's violation, rules that cannot hold are refused with the reason
  // and change nothing, and the limit goes back.
  assert.equal(await page.inputValue('#rule-max-grids'), String(before.rules.max_grids_per_cadre));
  const limit = before.violations.find((v) => v.rule === 'cadre_load').count;
  await page.fill('#rule-max-grids', String(limit));
  await page.click('#rules-form button[type=submit]');
  // The summary and the report are two requests after the save: wait
  // for both to show the new limit, whichever lands last.
  await page.waitForFunction((text) => document.getElementById('sum-viol').textContent === '4'
    && document.getElementById('rules-report').textContent.includes(text), `干部最多帮包 ${limit} 个网格`, { timeout: 60_000 });
  assert.ok(!(await report(token)).violations.some((v) => v.rule === 'cadre_load'), 'the looser limit clears the cadre');
  assert.match(await page.textContent('#rules-report'), /4 项问题/);
  await page.screenshot({ path: join(artifacts, 'people-rules-set.png') });
  await page.fill('#rule-district-min', '3');
  await page.click('#rules-form button[type=submit]');
  await page.waitForFunction(() => /规则未保存/.test(document.getElementById('toast').textContent), null, { timeout: 30_000 });
  assert.match(await page.textContent('#toast'), /district_units_per_community/);
  assert.equal((await report(token)).rules.district_units_per_community.min, 1, 'a refused change writes nothing');
  await page.fill('#rule-district-min', '1');
  await page.fill('#rule-max-grids', String(before.rules.max_grids_per_cadre));
  await page.click('#rules-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('sum-viol').textContent === '5', null, { timeout: 60_000 });
  await page.click('[data-tab=rules]');
  await page.waitForSelector('#rules-table tr[data-subject]');
  await page.screenshot({ path: join(artifacts, 'people-rules.png') });
  const headless = before.violations.find((v) => v.rule === 'grid_head').subject;
  await page.click(`#rules-table tr[data-subject="${headless}"]`);
  await page.waitForSelector('#served-table');
  assert.match(await page.textContent('#served-table'), /当日无人在岗|网格员|帮包干部/);
  assert.doesNotMatch(await page.textContent('#served-table tbody'), /网格长/, 'no head on the headless grid');

  // A new head through the forms: create the person, assign them.
  await page.click('[data-tab=staff]');
  await page.click('#staff-new');
  await page.fill('#dialog [name=name]', '周新任');
  await page.selectOption('#dialog [name=role]', 'head');
  await page.fill('#dialog [name=phone]', '1390000');
  await page.click('#dialog-ok');
  await page.waitForFunction(() => document.getElementById('dialog-error').textContent !== '');
  assert.match(await page.textContent('#dialog-error'), /not a phone number/, 'a bad phone is refused with the reason');
  await page.fill('#dialog [name=phone]', '13900002222');
  await page.click('#dialog-ok');
  await page.waitForSelector('#dialog', { state: 'hidden' });
  const created = await city.getJSON('/api/v1/people/staff?q=周新任', token);
  assert.equal(created.total, 1);
  const id = created.staff[0].id;
  await page.click('[data-tab=grid]');
  await page.fill('#grid-code', headless);
  await page.click('#grid-form button[type=submit]');
  await page.waitForSelector('#assign-form:not([hidden])');
  await page.fill('#assign-staff', id);
  await page.click('#assign-form button[type=submit]');
  await page.waitForFunction((name) => document.getElementById('served-table')?.textContent.includes(name), '周新任', { timeout: 60_000 });
  await page.screenshot({ path: join(artifacts, 'people-grid.png') });
  const after = await report(token);
  assert.equal(after.violations.length, 4);
  assert.ok(!after.violations.some((v) => v.rule === 'grid_head'), 'the grid has its head');
  await page.waitForFunction(() => document.getElementById('sum-viol').textContent === '4', null, { timeout: 60_000 });
  // The wall map's grid card (locate) shows the new head at once.
  const gridFeature = (await city.getJSON(`/api/v1/people/grids/${headless}`, token)).served.find((a) => a.duty === 'head');
  assert.equal(gridFeature.name, '周新任');

  // The pairing proposal: one move, applied after review.
  await page.click('[data-tab=units]');
  await page.waitForSelector('#moves-table');
  assert.equal(await page.$$eval('#moves-table tbody tr', (r) => r.length), 1);
  await page.screenshot({ path: join(artifacts, 'people-units.png') });
  await page.click('#apply-proposal');
  await page.waitForFunction(() => /无需调整/.test(document.getElementById('proposal').textContent), null, { timeout: 60_000 });
  assert.equal((await report(token)).violations.length, 2);

  // A bad list file is refused whole, with its rows and columns.
  await page.click('[data-tab=files]');
  await page.waitForFunction(() => document.getElementById('file-list').options.length > 0);
  await page.selectOption('#file-list', 'assignments');
  const bad = join(city.work, 'bad.csv');
  writeFileSync(bad, `人员编号,网格编码,职责,起始日期\n${id},${headless},网格员,2026-02-30\nNOPE,${headless},网格员,2026-11-01\n`);
  const n = (await city.getJSON(`/api/v1/people/grids/${headless}`, token)).history.length;
  await page.setInputFiles('#file-upload', bad);
  await page.waitForSelector('[data-testid=import-refused]');
  const probs = await page.$$eval('#file-result tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(probs.map((p) => [p[0], p[1]]), [['2', '4'], ['3', '1']], JSON.stringify(probs));
  assert.equal((await city.getJSON(`/api/v1/people/grids/${headless}`, token)).history.length, n, 'nothing written');
  await page.screenshot({ path: join(artifacts, 'people-import.png') });
});

test('a viewer sees counts and unit names, no personal names', { timeout: 300_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const o = await openPage(browser, city.base, { width: 1600, height: 900 });
  await o.page.goto(`${city.base}/people.html?access_token=${city.tokens.viewer}`, { waitUntil: 'domcontentloaded' });
  await o.page.waitForFunction(ready, null, { timeout: 180_000 });
  assert.match(await o.page.textContent('#staff-table tbody'), /只能看到人数统计/);
  assert.ok(await o.page.isHidden('#staff-new'), 'no edit buttons for a viewer');
  await o.page.click('[data-tab=units]');
  await o.page.waitForSelector('#unit-table tbody tr');
  assert.match(await o.page.textContent('#unit-table tbody'), /机关党委|党支部/);
  const text = await o.page.evaluate(() => document.body.innerText);
  assert.doesNotMatch(text, /1[3-9]\d{9}/, 'no phone number on a viewer\'s page');
  await o.page.screenshot({ path: join(artifacts, 'people-viewer.png') });
  await o.ctx.close();
});
