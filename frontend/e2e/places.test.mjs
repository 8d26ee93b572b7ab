// End-to-end test of the places page (/places.html, 物业·志愿·驿站) in
// Debian's Chromium: the header's three rates, complaints, service and
// station figures as the API gives them; the choropleth with its legend
// and the ranking; the volunteers' grid layer with no service target named
// to an anonymous caller or a viewer; stations with their lapsed criteria;
// then, as the organiser, a compound's property service recorded through
// the form (the rate moves by one compound), a station's hours cut (it is
// downgraded at once), and a bad import refused with its row and column.
// Screenshots go to test-artifacts/places-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifacts, useBrowser, openPage, mapIdle, canvasSample } from './harness.mjs';

const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
let city, browser, page;
let skipReason = '';
const ready = () => window.places && window.places.ready;

useBrowser({
  roles: ['organiser', 'viewer'],
  generate: ['--places-as-of', today],
  ready: (s) => {
    ({ city, browser } = s);
    skipReason = s.skip;
    page = s.pages[0]?.page;
  },
});

async function api(path, token, opts = {}) {
  const r = await fetch(city.base + path, {
    method: opts.method || 'GET',
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(opts.body ? { 'Content-Type': 'application/json' } : {}) },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  return { status: r.status, body: await r.json().catch(() => null) };
}

test('anonymous: rates, choropleth, ranking, complaints, services by grid, stations', { timeout: 600_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const t0 = Date.now();
  await page.goto(`${city.base}/places.html`, { waitUntil: 'domcontentloaded' });
  await mapIdle(page, ready);
  console.log(`places page idle ${Date.now() - t0} ms after navigation`);

  // The header: the city's three rates as the API counts them.
  const rates = await city.getJSON(`/api/v1/property/rates?level=city&day=${today}`);
  const at = rates.areas[0].at;
  const chip = async (id) => (await page.textContent(`#${id} b`)).trim();
  assert.equal(await chip('kpi-committee'), `${(100 * at.committee_rate.value).toFixed(1)}%`);
  assert.equal(await chip('kpi-professional'), `${(100 * at.professional_rate.value).toFixed(1)}%`);
  assert.equal(await chip('kpi-partyorg'), `${(100 * at.party_org_rate.value).toFixed(1)}%`);
  assert.match(await page.textContent('#kpi-professional i'), /较2020年初\+/);
  const cov = await city.getJSON('/api/v1/stations/coverage');
  assert.equal(await chip('kpi-stations'), `${(100 * cov.built.grid_share).toFixed(1)}%`);
  assert.match(await page.textContent('#kpi-complaints'), /同比/);

  // The choropleth: every community coloured by its class, a legend of five.
  const fc = await city.getJSON(`/api/v1/property/map?level=community&measure=professional&day=${today}`);
  assert.equal(fc.features.length, 206);
  const classed = await page.evaluate((codes) => codes.filter((c) => (window.map.getFeatureState({ source: 'areas', id: c }).cls ?? -1) >= 0).length, fc.features.map((f) => f.properties.code));
  assert.equal(classed, 206, 'communities without a class');
  const px = await canvasSample(page, { step: 16, isBackground: ([r, g, b]) => Math.max(r, g, b) - Math.min(r, g, b) < 12 });
  console.log(`choropleth: ${px.painted}/${px.total} sampled pixels painted, ${px.colours} colours`);
  assert.ok(px.colours >= 4, `only ${px.colours} colours: no choropleth`);
  assert.equal(await page.locator('#legend .li').count(), 6);
  // The ranking: first and last as the API ranks them.
  const rk = await city.getJSON(`/api/v1/property/ranking?level=community&measure=professional&day=${today}&limit=1000`);
  assert.equal(await page.getAttribute('#p-rank-top li:first-child', 'data-code'), rk.areas[0].code);
  assert.equal(await page.getAttribute('#p-rank-bottom li:first-child', 'data-code'), rk.areas[rk.areas.length - 1].code);
  // Rates by district with the change since 2020, the trend, complaints.
  assert.equal(await page.locator('#p-rates tbody tr').count(), 6);
  assert.equal(await page.locator('#p-rates .pp').count(), 18, 'the change since the base day in every cell');
  assert.ok(await page.locator('#p-trend polyline').count() === 3, 'trend lines');
  const status = await page.$$eval('#p-status tbody tr', (rs) => rs.map((r) => [...r.children].map((c) => c.textContent)));
  const per = Object.fromEntries(status.map((r) => [r[0], Number(r[4])]));
  assert.ok(per['无物业'] > 3 * per['专业化物业'], `complaints per 1,000 households not concentrated without management: ${JSON.stringify(per)}`);
  await page.screenshot({ path: join(artifacts, 'places-property.png') });

  // A community's card from the ranking.
  await page.click('#p-rank-bottom li:first-child');
  await page.waitForSelector('#card:not([hidden]) table');
  assert.match(await page.textContent('#card'), /业委会组建率/);

  // Measure: complaints per 1,000 households, by street.
  await page.selectOption('#p-level', 'street');
  await page.selectOption('#p-measure', 'complaints');
  await page.waitForFunction(() => document.querySelector('#legend h4').textContent.includes('投诉'));
  assert.match(await page.textContent('#p-rank-note'), /街道共 21 个/);

  // Volunteers: counts by grid on the map; no one named.
  await page.click('#tabs button[data-tab="volunteers"]');
  await page.waitForFunction(() => document.querySelectorAll('#v-communities tbody tr').length > 0 && window.places.grids, null, { timeout: 120_000 });
  await mapIdle(page, ready);
  const grids = await page.evaluate(() => window.places.grids.features.filter((f) => (window.map.getFeatureState({ source: 'grids', id: f.properties.code }).cls ?? -1) >= 0).length);
  assert.equal(grids, 1230, 'grids without a class on the services layer');
  assert.equal(await page.evaluate(() => window.map.getLayoutProperty('grids-fill', 'visibility')), 'visible');
  assert.ok(await page.isHidden('#v-overdue'), 'the overdue list shows to an anonymous caller');
  const vcov = await city.getJSON(`/api/v1/volunteers/coverage?level=city&day=${today}`);
  assert.match(await page.textContent('#v-summary'), new RegExp(vcov.summary.targets.toLocaleString('zh-CN')));
  await page.screenshot({ path: join(artifacts, 'places-volunteers.png') });

  // Stations: coverage against 70%, stars, lapsed criteria.
  await page.click('#tabs button[data-tab="stations"]');
  await page.waitForFunction(() => document.querySelectorAll('#s-lapsed tbody tr').length > 0);
  assert.match(await page.textContent('#s-coverage'), /已达到/);
  await page.click('#s-lapsed tbody tr:first-child');
  await page.waitForSelector('#card li.unmet');
  assert.match(await page.textContent('#card'), /评星条件/);
  await page.screenshot({ path: join(artifacts, 'places-stations.png') });
});

test('no service target reaches an anonymous caller or a viewer', { timeout: 300_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const all = await api('/api/v1/volunteers/targets?limit=10000', city.tokens.organiser);
  assert.equal(all.status, 200);
  const phones = all.body.targets.map((x) => x.phone).filter(Boolean);
  assert.ok(phones.length > 1000);
  for (const token of ['', city.tokens.viewer]) {
    assert.equal((await api('/api/v1/volunteers/targets', token)).status, token ? 403 : 401);
    assert.equal((await api('/api/v1/volunteers/overdue', token)).status, token ? 403 : 401);
    const o = await openPage(browser, city.base);
    await o.page.goto(`${city.base}/places.html?tab=volunteers${token ? `&access_token=${token}` : ''}`, { waitUntil: 'domcontentloaded' });
    await mapIdle(o.page, ready);
    await o.page.evaluate(() => new Promise((r) => setTimeout(r, 500)));
    // click a grid with targets: its card counts them, names no one
    const code = await o.page.evaluate(() => [...window.places.gridStats.values()].find((a) => a.targets > 0).code);
    await o.page.evaluate((c) => window.places.show.grid(c), code);
    await o.page.waitForSelector('#card:not([hidden]) dl');
    assert.match(await o.page.textContent('#card'), /服务对象/);
    const html = await o.page.content();
    const leaked = phones.filter((p) => html.includes(p));
    assert.equal(leaked.length, 0, `the page holds ${leaked.length} targets' phones`);
    assert.ok(await o.page.isHidden('#v-overdue'));
    await o.ctx.close();
  }
});

test('the organiser records property, cuts a station\'s hours, imports a bad file', { timeout: 600_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const o = await openPage(browser, city.base);
  const p = o.page;
  await p.goto(`${city.base}/places.html?access_token=${city.tokens.organiser}`, { waitUntil: 'domcontentloaded' });
  await mapIdle(p, ready);
  assert.equal(await p.evaluate(() => window.places.editor), true);
  assert.doesNotMatch(p.url(), /access_token/);
  const before = (await city.getJSON(`/api/v1/property/rates?level=city&day=${today}`)).areas[0].at.professional_rate;

  // A compound without property management gets a company and a committee.
  await p.selectOption('#p-filter', 'none');
  await p.click('#p-search');
  await p.waitForSelector('#p-compounds li[data-compound]');
  const code = await p.getAttribute('#p-compounds li[data-compound]', 'data-compound');
  await p.click('#p-compounds li[data-compound]');
  await p.waitForSelector('#prop-form');
  const co = (await city.getJSON(`/api/v1/property/companies?limit=1&serving=true&day=${today}`)).companies[0];
  await p.selectOption('#prop-form select[name="status"]', 'managed');
  await p.fill('#prop-form input[name="company_code"]', co.code);
  await p.check('#prop-form input[name="committee"]');
  // a committee of four: refused with the reason, nothing written
  await p.fill('#prop-form textarea[name="members"]', '甲一（主任，党员）；乙二（党员）；丙三；丁四');
  await p.click('#prop-form button[type="submit"]');
  await p.waitForSelector('#prop-form .result.bad');
  assert.match(await p.textContent('#prop-form .result'), /odd number|5 to 11/);
  assert.equal((await city.getJSON(`/api/v1/property/rates?level=city&day=${today}`)).areas[0].at.professional_rate.numerator, before.numerator);
  await p.fill('#prop-form textarea[name="members"]', '甲一（主任，党员）；乙二（副主任，党员）；丙三（党员）；丁四；戊五');
  await p.click('#prop-form button[type="submit"]');
  await p.waitForFunction(() => document.querySelector('#prop-form .result.ok'), null, { timeout: 120_000 });
  const after = (await city.getJSON(`/api/v1/property/rates?level=city&day=${today}`)).areas[0].at.professional_rate;
  assert.equal(after.numerator, before.numerator + 1, 'the professional rate did not gain the compound');
  assert.match(await p.textContent('#card'), new RegExp(co.name));
  assert.match(await p.textContent('#card'), /党员 3\/5/);
  await p.screenshot({ path: join(artifacts, 'places-compound.png') });
  void code;

  // A station's hours cut below every level: downgraded at once.
  await p.click('#tabs button[data-tab="stations"]');
  const list = await city.getJSON(`/api/v1/stations?day=${today}&kind=grid_station&status=built&stars=3&limit=1`);
  const st = list.stations[0];
  await p.evaluate((c) => window.places.show.station(c), st.code);
  await p.waitForSelector('#st-form');
  await p.fill('#st-form input[name="hours"]', '1 09:00-10:00');
  await p.click('#st-form button[type="submit"]');
  await p.waitForFunction(() => document.querySelector('#st-form .result.ok'), null, { timeout: 120_000 });
  const now = await city.getJSON(`/api/v1/stations/${st.code}?day=${today}`);
  assert.equal(now.station.stars, 0, 'the station kept its stars');
  assert.equal(now.ratings[now.ratings.length - 1].kind, 'downgrade');
  assert.match(await p.textContent('#card'), /降星/);
  await p.screenshot({ path: join(artifacts, 'places-station.png') });

  // A bad import: refused whole with row and column.
  await p.click('#tabs button[data-tab="files"]');
  const bad = join(city.work, 'bad.csv');
  writeFileSync(bad, `驿站编码,生效日期,建设状态\n${st.code},2026-13-01,建成\nNOPE,${today},规划\n`);
  await p.selectOption('#f-import-list', 'stations');
  await p.setInputFiles('#f-file', bad);
  await p.click('#f-import');
  await p.waitForSelector('#f-result.bad table');
  const rows = await p.$$eval('#f-result tbody tr', (rs) => rs.map((r) => [...r.children].map((c) => c.textContent)));
  // every problem of the file, by row and column: the bad date (B2), the unknown station (A3)
  assert.deepEqual(rows.map((r) => [r[0], r[1].split(' ')[0]]), [['2', 'B'], ['3', 'A']]);
  await p.screenshot({ path: join(artifacts, 'places-import.png') });
  assert.deepEqual(o.errors().filter((e) => !/status of 422/.test(e)), [], 'console errors beyond the refusals asked for');
  assert.deepEqual(o.external, []);
  await o.ctx.close();
});
