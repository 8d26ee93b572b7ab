// End-to-end test of the dispatcher console and the live wall map: a
// dispatcher logs in with a token, clicks a building on the map and gets
// its grid card (as /api/v1/locate answers it, names and phones unmasked),
// reports an incident through the form, sees it in the open list with a
// running SLA clock and moves it through the lifecycle with the buttons
// (only legal transitions offered, the history growing). Meanwhile a second
// browser context shows the wall map with a viewer token: the incident
// arrives through the event stream without a reload (pulsing marker, the
// "latest" list, the open-incident KPI) and no caller's name or phone ever
// reaches its page. An address typed in the console finds the grid too.
// Screenshots go to test-artifacts/ (dispatch-*.png, wallmap-live.png).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { artifacts, useBrowser, mapIdle, screenPoint, centre as geomCentre } from './harness.mjs';

let city, browser, base, desk, wallp;
let skipReason = '';

const consoleReady = () => window.dispatch && window.dispatch.ready;
const CALLER = { name: '欧阳振华', phone: '13987654321' };

useBrowser({
  roles: ['dispatcher', 'viewer'],
  pages: 2,
  ready: (s) => {
    ({ city, browser } = s);
    base = city.base;
    skipReason = s.skip;
    [desk, wallp] = s.pages;
  },
});

// centre of a building's footprint
const centre = (f) => geomCentre(f.geometry);

const OPEN = 'reported,accepted,dispatched,responded,resolved';

// pickBuilding finds a building whose centre lies inside a grid with no
// incident drawn within ~80 m (a click there must hit the map, not a dot).
async function pickBuilding(offset) {
  const tok = city.tokens.dispatcher;
  const fc = await city.getJSON(`/api/v1/layers/buildings?limit=40&offset=${offset}`);
  for (const f of fc.features) {
    const [lon, lat] = centre(f);
    const d = 0.001;
    const near = await city.getJSON(`/api/v1/incidents?status=${OPEN}&bbox=${lon - d},${lat - d},${lon + d},${lat + d}&limit=1`, tok);
    if (near.total) continue;
    const want = await city.getJSON(`/api/v1/locate?lon=${lon}&lat=${lat}`, tok);
    if (want.match === 'inside' && want.grid && want.grid.code === f.properties.grid_code) return { f, lon, lat, want };
  }
  throw new Error('no clear building found');
}

// offered lists the transitions the console offers, as target states.
const offered = (page) => page.$$eval('#actions button.act', (bs) => [...new Set(bs.map((b) => b.dataset.to))].sort());

async function waitStatus(page, id, status) {
  await page.waitForFunction(([i, s]) => {
    const d = document.getElementById('detail');
    return !d.hidden && d.dataset.id === i && d.dataset.status === s && !document.querySelector('#actions button:disabled');
  }, [id, status], { timeout: 20_000 });
}

const historyLength = (page) => page.locator('#history li').count();

test('dispatcher console: grid card, incident form, SLA list, lifecycle; the wall map follows live', { timeout: 600_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const tokens = city.tokens;
  const page = desk.page;
  const wall = wallp.page;

  // ---- the wall map, with a viewer token ----
  await wall.goto(`${base}/?access_token=${encodeURIComponent(tokens.viewer)}`, { waitUntil: 'domcontentloaded' });
  await mapIdle(wall);
  await wall.waitForFunction(() => window.wall.live && window.wall.incidents.length > 0, null, { timeout: 30_000 });
  await wall.waitForFunction(() => document.getElementById('kpi-open').textContent !== '—');
  const openBefore = (await city.getJSON('/api/v1/stats')).open_incidents;
  assert.equal((await wall.textContent('#kpi-open')).trim(), openBefore.toLocaleString('en-US'));
  await wall.evaluate(() => { window.__sameDocument = true; }); // gone if the page reloads
  assert.ok(await wall.isVisible('#latest'), 'the latest-incidents panel is hidden on a wall with a token');

  // ---- the console: log in through the login box ----
  await page.goto(`${base}/dispatch.html`, { waitUntil: 'domcontentloaded' });
  await mapIdle(page, consoleReady);
  assert.ok(await page.isVisible('#login'), 'no login box without a token');
  await page.screenshot({ path: join(artifacts, 'dispatch-login.png') });
  await page.fill('#token', 'gm_wrong');
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#login-error:not([hidden])');
  assert.match(await page.textContent('#login-error'), /令牌无效/);
  await page.fill('#token', tokens.dispatcher);
  await page.click('#login-form button[type=submit]');
  await page.waitForFunction(() => window.dispatch.user?.role === 'dispatcher' && window.dispatch.live, null, { timeout: 30_000 });
  assert.ok(await page.isHidden('#login'));
  assert.equal(await page.evaluate(() => sessionStorage.getItem('gridmap.dispatch.token')), tokens.dispatcher);
  await page.waitForSelector('#incidents li.inc');
  const openList = await city.getJSON(`/api/v1/incidents?status=reported,accepted,dispatched,responded&limit=1`, tokens.dispatcher);
  assert.match(await page.textContent('#list-count'), new RegExp(`共 ${openList.total.toLocaleString('en-US')} 件`));

  // ---- click a building: its grid card ----
  const { lon, lat, want } = await pickBuilding(4000);
  await page.evaluate(([x, y]) => window.map.jumpTo({ center: [x, y], zoom: 16.5 }), [lon, lat]);
  await mapIdle(page, consoleReady);
  const at = await screenPoint(page, [lon, lat]);
  await page.mouse.click(at.x, at.y);
  await page.waitForSelector(`#card[data-grid="${want.grid.code}"]`, { timeout: 20_000 });
  const card = await page.textContent('#card');
  const g = want.grid;
  for (const [what, text] of [['grid', g.name], ['code', g.code], ['community', g.community.name], ['street', g.street.name],
    ['district', g.district.name], ['grid head', g.head.name], ['grid head phone', g.head.phone]]) {
    assert.ok(card.includes(text), `card lacks the ${what} ${text}`);
  }
  assert.doesNotMatch(g.head.phone, /\*/, 'the dispatcher should see phones unmasked');
  for (const c of g.cadres) assert.ok(card.includes(c.name) && card.includes(c.phone), `card lacks cadre ${c.name} ${c.phone}`);
  if (want.nearest_station) {
    assert.ok(card.includes(want.nearest_station.name), 'card lacks the nearest station');
    const dm = want.nearest_station.distance_m;
    assert.equal((await page.textContent('[data-testid="station-distance"]')).trim(), dm < 1000 ? `${Math.round(dm)} 米` : `${(dm / 1000).toFixed(2)} 公里`);
  }
  await page.screenshot({ path: join(artifacts, 'dispatch-card.png') });

  // ---- report an incident through the form ----
  await page.selectOption('#category', 'safety.fire');
  assert.match(await page.textContent('#category-note'), /受理时限 15 分钟/);
  await page.fill('#description', '3号楼楼道堆放纸箱杂物，堵塞消防通道');
  await page.fill('#caller-name', CALLER.name);
  await page.fill('#caller-phone', CALLER.phone);
  const [req, resp] = await Promise.all([
    page.waitForRequest((r) => r.url().endsWith('/api/v1/incidents') && r.method() === 'POST'),
    page.waitForResponse((r) => r.url().endsWith('/api/v1/incidents') && r.request().method() === 'POST'),
    page.click('#create-submit'),
  ]);
  assert.ok(req.headers()['idempotency-key'], 'no Idempotency-Key on the POST');
  assert.equal(resp.status(), 201);
  const created = await resp.json();
  assert.equal(created.grid_code, g.code, 'the incident went to another grid');
  const id = created.id;
  const replay = await fetch(`${base}/api/v1/incidents`, {
    method: 'POST', body: req.postData(),
    headers: { Authorization: `Bearer ${tokens.dispatcher}`, 'Content-Type': 'application/json', 'Idempotency-Key': req.headers()['idempotency-key'] },
  });
  assert.equal((await replay.json()).id, id, 'a retry with the same key made another incident');

  // in the open list, with a running SLA clock, and open in the detail panel
  const row = page.locator(`#incidents li.inc[data-id="${id}"]`);
  await row.waitFor({ timeout: 10_000 });
  assert.match(await row.textContent(), /消防通道堵塞、楼道堆物/);
  const clock1 = (await row.locator('.sla').textContent()).trim();
  assert.match(clock1, /^受理剩余 00:1\d:\d\d$/, `SLA clock reads ${clock1}`);
  await page.waitForFunction(([i, c]) => document.querySelector(`#incidents li[data-id="${i}"] .sla`).textContent.trim() !== c, [id, clock1], { timeout: 5000 });
  await waitStatus(page, id, 'reported');
  assert.match(await page.textContent('[data-testid="caller"]'), new RegExp(CALLER.phone));
  assert.deepEqual(await offered(page), ['accepted', 'duplicate', 'rejected'], 'transitions offered from reported');
  assert.equal(await historyLength(page), 1);
  await page.screenshot({ path: join(artifacts, 'dispatch-created.png') });

  // ---- the wall map got it live: marker, list entry, KPI ----
  await wall.waitForFunction((i) => document.querySelector(`#latest-list li[data-id="${i}"]`), id, { timeout: 20_000 });
  assert.ok(await wall.locator(`.inc-marker.pulse[data-id="${id}"]`).count() === 1, 'no pulsing marker for the new incident');
  const entry = await wall.textContent(`#latest-list li[data-id="${id}"]`);
  assert.match(entry, /消防通道堵塞、楼道堆物/);
  assert.match(entry, /待受理/);
  assert.equal(await wall.evaluate(() => window.wall.incidents[0].id), id, 'the new incident does not head the list');
  await wall.waitForFunction((n) => document.getElementById('kpi-open').textContent.trim() === n,
    (openBefore + 1).toLocaleString('en-US'), { timeout: 20_000 });
  await wall.waitForFunction((name) => document.querySelector('#latest-list').textContent.includes(name), g.name, { timeout: 10_000 });
  assert.ok(await wall.evaluate(() => window.__sameDocument), 'the wall map reloaded');
  const wallHTML = await wall.content();
  for (const secret of [CALLER.name, CALLER.phone, g.head.phone]) {
    assert.ok(!wallHTML.includes(secret), `the wall map's page holds personal data: ${secret}`);
  }
  await wall.evaluate(([x, y]) => window.map.jumpTo({ center: [x, y], zoom: 14.5 }), [lon, lat]);
  await mapIdle(wall);
  await wall.screenshot({ path: join(artifacts, 'wallmap-live.png') });

  // ---- the lifecycle, with the buttons ----
  await page.fill('#note', '已电话联系网格长核实');
  await page.click('#actions button[data-to="accepted"]');
  await waitStatus(page, id, 'accepted');
  assert.equal(await historyLength(page), 2);
  assert.deepEqual(await offered(page), ['dispatched', 'duplicate', 'rejected', 'resolved'], 'transitions offered from accepted');
  assert.match(await row.locator('.sla').textContent(), /^办结剩余/);
  // rejecting needs a reason: said before anything is sent
  await page.click('#actions button[data-to="rejected"]');
  await page.waitForSelector('#detail-error:not([hidden])');
  assert.match(await page.textContent('#detail-error'), /原因/);
  // a wrong duplicate_of comes back from the API, in words
  await page.fill('#dup-of', 'NO-SUCH-INCIDENT');
  await page.click('#actions button[data-to="duplicate"]');
  await page.waitForFunction(() => /内容不符合要求：duplicate_of: no incident NO-SUCH-INCIDENT/.test(document.getElementById('detail-error').textContent));
  assert.equal(await historyLength(page), 2);

  // whistle: the category's departments are ticked
  const ticked = await page.$$eval('#actions fieldset.deps input:checked', (is) => is.map((i) => i.value).sort());
  assert.deepEqual(ticked, ['emergency_management', 'street_enforcement']);
  await page.click('#actions button[data-to="dispatched"]');
  await waitStatus(page, id, 'dispatched');
  assert.equal(await historyLength(page), 3);
  assert.match(await page.textContent('[data-testid="departments"]'), /应急管理/);
  assert.deepEqual(await offered(page), ['dispatched', 'responded'], 'transitions offered from dispatched');
  assert.equal(await page.locator('#actions button[data-to="responded"]').count(), 2, 'one report button per department');
  await page.screenshot({ path: join(artifacts, 'dispatch-transitions.png') });
  // the wall's entry follows
  await wall.waitForFunction((i) => document.querySelector(`#latest-list li[data-id="${i}"]`)?.dataset.status === 'dispatched', id, { timeout: 20_000 });
  assert.equal(await wall.locator(`.inc-marker.pulse[data-id="${id}"]`).count(), 0, 'the marker still pulses once dispatched');

  await page.click('#actions button[data-to="responded"][data-dep="emergency_management"]');
  await waitStatus(page, id, 'responded');
  assert.deepEqual(await offered(page), ['resolved', 'responded']);
  assert.equal(await page.locator('#actions button[data-to="responded"]').count(), 1, 'a department that reported is offered again');
  await page.click('#actions button[data-to="responded"][data-dep="street_enforcement"]');
  await page.waitForFunction(() => !document.querySelector('#actions button[data-to="responded"]') && !document.querySelector('#actions button:disabled'));
  assert.deepEqual(await offered(page), ['resolved'], 'transitions offered once every department reported');
  assert.equal(await historyLength(page), 5);

  await page.click('#actions button[data-to="resolved"]');
  await waitStatus(page, id, 'resolved');
  assert.deepEqual(await offered(page), ['accepted', 'closed']);
  await row.waitFor({ state: 'detached', timeout: 10_000 }); // no longer open
  await page.fill('#note', '现场已清理，回访满意');
  await page.click('#actions button[data-to="closed"]');
  await page.waitForFunction((i) => document.getElementById('detail').dataset.status === 'closed', id);
  assert.deepEqual(await offered(page), [], 'a closed incident offers no transition');
  assert.equal(await historyLength(page), 7);
  const hist = await page.textContent('#history');
  for (const w of ['上报', '受理', '吹哨派单', '部门报到', '办结', '结案', '现场已清理']) assert.ok(hist.includes(w), `history lacks ${w}`);
  const server = await city.getJSON(`/api/v1/incidents/${id}`, tokens.dispatcher);
  assert.equal(server.incident.status, 'closed');
  assert.equal(server.history.length, 7);
  await wall.waitForFunction((i) => document.querySelector(`#latest-list li[data-id="${i}"]`)?.dataset.status === 'closed', id, { timeout: 20_000 });
  assert.equal(await wall.locator(`.inc-marker[data-id="${id}"]`).count(), 0, 'a closed incident keeps its marker');
  await wall.waitForFunction((n) => document.getElementById('kpi-open').textContent.trim() === n,
    openBefore.toLocaleString('en-US'), { timeout: 20_000 });

  // ---- an address typed in the console ----
  const other = (await pickBuilding(9000));
  const addr = other.f.properties.address;
  await page.fill('#addr', other.f.properties.compound);
  await page.waitForSelector('#suggest li', { timeout: 10_000 });
  await page.fill('#addr', addr);
  await page.press('#addr', 'Enter');
  await page.waitForSelector(`#card[data-grid="${other.f.properties.grid_code}"]`, { timeout: 20_000 });
  assert.equal(await page.inputValue('#address'), (await city.getJSON(`/api/v1/geocode?q=${encodeURIComponent(addr)}`)).candidates[0].address);
  await page.waitForFunction(() => !window.map.isMoving(), null, { timeout: 20_000 });
  await mapIdle(page, consoleReady);
  await page.screenshot({ path: join(artifacts, 'dispatch-address.png') });

  // ---- coordinates, WGS84 and GCJ-02 ----
  await page.fill('#coords', `${lon.toFixed(6)}, ${lat.toFixed(6)}`);
  await page.click('#coord-form button[type=submit]');
  await page.waitForSelector(`#card[data-grid="${g.code}"]`, { timeout: 20_000 });
  const gcj = await city.getJSON(`/api/v1/locate?lon=${lon.toFixed(6)}&lat=${lat.toFixed(6)}&crs=gcj02`, tokens.dispatcher);
  await page.selectOption('#crs', 'gcj02');
  await page.click('#coord-form button[type=submit]');
  await page.waitForFunction((p) => window.dispatch.locate?.point_wgs84[0] === p[0] && window.dispatch.locate?.point_wgs84[1] === p[1], gcj.point_wgs84, { timeout: 20_000 });
  assert.equal(await page.getAttribute('#card', 'data-grid'), gcj.grid ? gcj.grid.code : '');
  await page.fill('#coords', '200, 34');
  await page.click('#coord-form button[type=submit]');
  await page.waitForSelector('#toast.error:not([hidden])');
  assert.match(await page.textContent('#toast'), /经度须在/);

  assert.deepEqual(desk.external, [], 'the console asked for something outside the binary');
  assert.deepEqual(wallp.external, [], 'the wall map asked for something outside the binary');
  assert.deepEqual(desk.errors().filter((e) => !/HTTP 4\d\d|status of 4\d\d/.test(e)), [], 'console errors on the console');
  assert.deepEqual(wallp.errors(), [], 'console errors on the wall map');
});
