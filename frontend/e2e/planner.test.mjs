// End-to-end test of the planner page (/planner.html) in Debian's Chromium:
// the deviation choropleth and its legend, the worst grids, a grid's
// measures; then, for a community with grids outside ±10%, a proposal shown
// before and after on two synced maps with improved measures, a manual move
// of a compound, a refused move with its reason, and apply after the
// confirmation dialog — checked against /api/v1/plan/versions and
// /api/v1/plan/measures. The shared set-up is in harness.mjs; screenshots go
// to test-artifacts/planner-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { artifacts, useBrowser, openPage, mapIdle, canvasSample, screenPoint, centre } from './harness.mjs';

let city, browser, opened, page;
let skipReason = '';

const ready = () => window.planner && window.planner.ready;
const idle = () => mapIdle(page, ready);

// afterIdle waits until the "after" map has drawn what it was given.
async function afterIdle() {
  await page.waitForFunction(() => window.mapAfter && window.mapAfter.loaded(), null, { timeout: 120_000 });
  await page.evaluate(() => new Promise((resolve) => {
    const m = window.mapAfter;
    m.once('idle', resolve);
    m.triggerRepaint();
  }));
  await idle();
}

// sampleOf is canvasSample of the before (window.map) or after
// (window.mapAfter) map; grey pixels (background, land, outlines) are not
// painted.
const sampleOf = (which) => canvasSample(page, {
  map: which === 'after' ? 'mapAfter' : 'map', step: 16,
  isBackground: ([r, g, b]) => Math.max(r, g, b) - Math.min(r, g, b) < 12,
});

const ringCentre = centre;

// api calls the server as the planner would; past the per-token rate limit
// (the probing below sends many requests) it waits as told and retries.
async function api(path, token, body) {
  for (;;) {
    const r = await fetch(city.base + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (r.status === 429) {
      await r.arrayBuffer();
      await new Promise((res) => setTimeout(res, 1000 * (Number(r.headers.get('Retry-After')) || 1)));
      continue;
    }
    return { status: r.status, body: await r.json() };
  }
}

// A planner's laptop (1366×768), not the wall's 1920×1080: the page must
// work there, and the software renderer draws its two maps twice as fast.
useBrowser({
  roles: ['planner', 'viewer'],
  viewport: { width: 1366, height: 768 },
  ready: (s) => {
    ({ city, browser } = s);
    skipReason = s.skip;
    [opened] = s.pages;
    page = opened?.page;
  },
});

test('a viewer token is refused at the planner login', { timeout: 120_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const o = await openPage(browser, city.base, { width: 1280, height: 800 });
  await o.page.goto(`${city.base}/planner.html?access_token=${city.tokens.viewer}`, { waitUntil: 'domcontentloaded' });
  await o.page.waitForSelector('#login:not([hidden])');
  await o.page.waitForFunction(() => document.getElementById('login-error').textContent !== '');
  assert.match(await o.page.textContent('#login-error'), /没有规划权限/);
  assert.equal(await o.page.evaluate(() => window.planner.authed), false);
  assert.doesNotMatch(o.page.url(), /access_token/, 'the token stays in the address bar');
  await o.ctx.close();
});

test('the planner: choropleth, measures, proposal before/after, edits, apply', { timeout: 900_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const token = city.tokens.planner;
  const gm = await city.getJSON('/api/v1/plan/measures?level=grid');
  assert.equal(gm.grids.length, 1230);
  const v0 = await city.getJSON('/api/v1/plan/versions');

  // ---- the choropleth ------------------------------------------------
  const t0 = Date.now();
  await page.goto(`${city.base}/planner.html?access_token=${token}`, { waitUntil: 'domcontentloaded' });
  await idle();
  console.log(`planner idle ${Date.now() - t0} ms after navigation`);
  assert.equal(await page.evaluate(() => window.planner.authed), true, 'the planner token was not accepted');
  assert.ok(await page.isHidden('#login'), 'login box still shown');
  assert.doesNotMatch(page.url(), /access_token/, 'the token stays in the address bar');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('gridmap.planner.token')), token);

  const rendered = await page.evaluate(() => {
    const fs = window.map.queryRenderedFeatures({ layers: ['grids-fill'] });
    return new Set(fs.map((f) => f.properties.code)).size;
  });
  assert.ok(rendered > 1000, `only ${rendered} grids rendered city-wide`);
  // Every grid's class is its deviation's, as the server measures it.
  const wrong = await page.evaluate((grids) => {
    let bad = 0;
    for (const g of grids) {
      const want = g.within_target ? 3 : g.deviation < 0 ? (g.deviation < -0.3 ? 0 : g.deviation < -0.2 ? 1 : 2) : g.deviation > 0.3 ? 6 : g.deviation > 0.2 ? 5 : 4;
      if (window.map.getFeatureState({ source: 'grids', id: g.code }).cls !== want) bad++;
    }
    return bad;
  }, gm.grids);
  assert.equal(wrong, 0, `${wrong} grids coloured in the wrong class`);
  const px = await canvasSample(page);
  console.log(`city view: ${px.painted}/${px.total} sampled pixels painted, ${px.colours} colours`);
  assert.ok(px.colours >= 5, `only ${px.colours} colours: no diverging choropleth`);
  const legend = await page.$$eval('#legend-items .li', (els) => els.map((e) => ({ band: e.classList.contains('band'), text: e.textContent, n: Number(e.querySelector('.n').textContent.replace(/,/g, '')) })));
  assert.equal(legend.length, 7, 'legend classes');
  assert.equal(legend.reduce((s, l) => s + l.n, 0), 1230, 'legend counts');
  const band = legend.filter((l) => l.band);
  assert.equal(band.length, 1, 'the ±10% band is not highlighted in the legend');
  assert.match(band[0].text, /±10%/);
  assert.equal(band[0].n, gm.grids.filter((g) => g.within_target).length, 'grids within ±10%');
  assert.equal((await page.textContent('#sum-over')).trim(), `${gm.summary.grids_over_tolerance.toLocaleString('en-US')} 个`);
  await page.screenshot({ path: join(artifacts, 'planner-city.png') });

  // ---- the worst grids; a grid's measures ------------------------------
  const worst = gm.grids.filter((g) => !g.within_target).sort((a, b) => Math.abs(b.deviation) - Math.abs(a.deviation));
  const first = await page.getAttribute('#worst li:first-child', 'data-code');
  assert.equal(first, worst[0].code, 'the worst grid heads the list');
  await page.click('#worst li:nth-child(2)');
  await page.waitForFunction(() => !window.map.isMoving(), null, { timeout: 30_000 });
  await idle();
  const w2 = worst[1];
  assert.equal(await page.evaluate(() => window.planner.selectedGrid), w2.code);
  const card = await page.textContent('#grid-card');
  for (const want of [w2.name, 'Polsby-Popper', 'Reock', '连通', '户/干部', '事件/千户', '公顷', '服务站点']) {
    assert.ok(card.includes(want), `grid card lacks ${want}`);
  }
  assert.ok(card.includes(w2.households.toLocaleString('en-US')), 'grid card lacks the households');
  // station reach as the coverage engine counts it
  assert.match(await page.textContent('[data-testid="station-reach"]'),
    new RegExp(`^${w2.station_covered ? '已覆盖' : '未覆盖'}：${(100 * w2.station_reach_share).toFixed(1)}% `));
  const sign = w2.deviation > 0 ? '+' : '−';
  assert.equal((await page.textContent('[data-testid="grid-deviation"]')).trim(), `${sign}${Math.abs(100 * w2.deviation).toFixed(1)}%`);
  const inView = await page.evaluate((code) => window.map.queryRenderedFeatures({ layers: ['grids-fill'] }).some((f) => f.properties.code === code), w2.code);
  assert.ok(inView, 'flying to the grid left it out of view');
  // A click on the map selects the grid under it.
  await page.click('#grid-card [data-close="grid"]');
  assert.equal(await page.evaluate(() => window.planner.selectedGrid), null);
  const wf = (await city.getJSON('/api/v1/plan/grids')).features.find((f) => f.properties.code === w2.code);
  const at = await screenPoint(page, await page.evaluate((g) => window.planner.labelPoint(g), wf.geometry));
  await page.mouse.click(at.x, at.y);
  await page.waitForFunction((c) => window.planner.selectedGrid === c, w2.code, { timeout: 10_000 });
  await page.waitForSelector(`#grid-card[data-grid="${w2.code}"]:not([hidden])`);
  await idle();
  await page.screenshot({ path: join(artifacts, 'planner-grid.png') });

  // ---- a community outside ±10%: proposal, before and after ------------
  const cm = await city.getJSON('/api/v1/plan/measures?level=community');
  const comm = cm.communities.filter((c) => c.grids_over_tolerance >= 2 && c.grids >= 4 && !c.fixed)
    .sort((a, b) => b.max_abs_deviation - a.max_abs_deviation)[0];
  assert.ok(comm, 'no community with grids outside ±10%');
  console.log(`community ${comm.code} ${comm.name}: ${comm.grids_over_tolerance}/${comm.grids} grids over, max ${(100 * comm.max_abs_deviation).toFixed(1)}%`);
  await page.fill('#comm-filter', comm.name);
  await page.click(`#communities li[data-code="${comm.code}"]`);
  await page.waitForSelector(`#comm-card[data-community="${comm.code}"]`);
  await page.waitForFunction(() => window.planner.compounds && window.planner.compounds.features.length > 0, null, { timeout: 30_000 });
  await page.fill('#seed', '1');
  await page.click('#btn-propose');
  await page.waitForSelector('#plan-card:not([hidden]) [data-testid="compare-summary"]', { timeout: 120_000 });
  await page.waitForFunction(() => window.planner.compare && window.mapAfter, null, { timeout: 60_000 });
  await afterIdle();
  const planId = await page.evaluate(() => window.planner.plan.id);
  const figs = await page.evaluate(() => window.planner.figures);
  console.log(`before: ${figs.before.over} over, max ${(100 * figs.before.max).toFixed(1)}%, PP ${figs.before.pp.toFixed(3)}; after: ${figs.after.over} over, max ${(100 * figs.after.max).toFixed(1)}%, PP ${figs.after.pp.toFixed(3)}`);
  assert.equal(figs.before.over, comm.grids_over_tolerance, 'before figures are not the community in force');
  assert.ok(figs.after.over < figs.before.over, 'the proposal did not bring grids within ±10%');
  assert.ok(figs.after.max < figs.before.max, 'the proposal did not lower the largest deviation');
  assert.equal(figs.after.noncontig, 0, 'a grid is not contiguous after the proposal');
  const proposal = await page.evaluate(() => window.planner.proposal);
  assert.ok(proposal.moves.length > 0, 'the proposal moved nothing');
  assert.equal(proposal.after.grids_over_tolerance, figs.after.over, 'the page and the engine disagree on the grids over ±10% after');
  // What moved, as the page lists it, is what the engine proposed.
  const listed = await page.$$eval('[data-testid="moves"] li', (els) => els.map((e) => e.dataset.compound).sort());
  assert.deepEqual(listed, proposal.moves.map((m) => m.compound).sort(), 'moved compounds listed');
  // What it disturbs, against the lower bound, as the page says it.
  const dis = proposal.disruption;
  assert.ok(dis && dis.households_moved === proposal.moved_households && dis.compounds_moved === proposal.moves.length && dis.bound.households > 0,
    `disruption ${JSON.stringify(dis)}`);
  const note = await page.evaluate(() => ({ hh: document.querySelector('[data-testid="moved-hh"]')?.textContent, ratio: document.querySelector('[data-testid="ratio"]')?.textContent }));
  console.log(`moved ${dis.households_moved} households (bound ${dis.bound.households}, ${dis.ratio_to_bound.toFixed(2)}×), ${dis.compounds_moved} compounds, ${dis.grids_touched} grids touched`);
  assert.equal(Number(note.hh.replace(/[^0-9]/g, '')), dis.households_moved, 'households moved shown');
  assert.equal(note.ratio, dis.ratio_to_bound.toFixed(2), 'ratio to the bound shown');
  // Each moved compound lists who its households leave and join.
  const handovers = await page.$$eval('[data-testid="moves"] li', (els) => els.map((e) => {
    const r = e.querySelector('[data-testid="reassign"]');
    return { code: e.dataset.compound, before: r ? Number(r.dataset.before) : -1, after: r ? Number(r.dataset.after) : -1, text: r ? r.textContent : '' };
  }));
  for (const h of handovers) {
    const m = proposal.moves.find((x) => x.compound === h.code);
    assert.ok(m.reassign.before.length > 0 && m.reassign.after.length > 0, `move ${h.code} without people`);
    assert.deepEqual([h.before, h.after], [m.reassign.before.length, m.reassign.after.length], `move ${h.code}: people listed`);
    assert.ok(h.text.includes('网格长') && !/1[3-9]\d{9}/.test(h.text), `move ${h.code}: handover text ${h.text}`);
    for (const a of [...m.reassign.before, ...m.reassign.after]) assert.ok(/^.\*+$|^.$/u.test(a.name), `name ${a.name} is not masked`);
  }
  // Both sides are drawn, next to each other, and show the community.
  const panes = await page.evaluate(() => {
    const a = document.getElementById('map').getBoundingClientRect(), b = document.getElementById('map-after').getBoundingClientRect();
    return { a: [a.left, a.width], b: [b.left, b.width] };
  });
  assert.ok(panes.b[0] >= panes.a[0] + panes.a[1] - 4 && panes.a[1] > 300 && panes.b[1] > 300, `maps not side by side: ${JSON.stringify(panes)}`);
  const sides = await page.evaluate((code) => {
    const codes = (m) => new Set(m.queryRenderedFeatures({ layers: ['grids-fill'] }).map((f) => f.properties.code).filter((c) => c.startsWith(code)));
    return { before: codes(window.map).size, after: codes(window.mapAfter).size, zb: window.map.getZoom(), za: window.mapAfter.getZoom() };
  }, comm.code);
  assert.ok(sides.before >= comm.grids && sides.after >= comm.grids, `community grids rendered: before ${sides.before}, after ${sides.after}`);
  assert.ok(Math.abs(sides.zb - sides.za) < 1e-6, 'the two maps are not in sync');
  for (const w of ['before', 'after']) {
    const s = await sampleOf(w);
    console.log(`${w} map: ${s.painted}/${s.total} painted, ${s.colours} colours`);
    assert.ok(s.painted > s.total * 0.2 && s.colours >= 3, `${w} map looks blank`);
  }
  // The after map colours by the deviation after.
  const afterCls = await page.evaluate(() => [...window.planner.after.grids.values()].filter((g) => g.changed)
    .map((g) => [window.mapAfter.getFeatureState({ source: 'grids', id: g.code }).cls, g.cls]));
  assert.ok(afterCls.length > 0 && afterCls.every(([a, b]) => a === b), 'after map classes');
  await page.screenshot({ path: join(artifacts, 'planner-compare.png') });

  // ---- manual edits: find one the engine accepts and one it refuses ------
  // A probe plan replays the proposal; each candidate is sent with a
  // bogus second edit, so the batch never commits (edits are all or
  // nothing) and the index of the failure says whether the candidate passed.
  const planView = (await api(`/api/v1/plans/${planId}`, token)).body;
  const probe = (await api('/api/v1/plans', token, { name: 'probe' })).body;
  assert.equal((await api(`/api/v1/plans/${probe.id}/edits`, token, { edits: planView.edits })).status, 200);
  const state = await page.evaluate(() => ({
    compounds: window.planner.compounds.features.map((f) => ({ code: f.properties.code, geometry: f.geometry, grid: window.planner.after.compoundGrid.get(f.properties.code) || f.properties.grid_code, hh: window.planner.compoundHH.get(f.properties.code) || 0 })),
    grids: [...window.planner.after.grids.values()].filter((g) => g.community === window.planner.community).map((g) => ({ code: g.code, hh: g.households })),
  }));
  const gridHH = new Map(state.grids.map((g) => [g.code, g.hh]));
  const target = state.grids.reduce((s, g) => s + g.hh, 0) / state.grids.length;
  const overAfter = (from, to, hh) => state.grids.filter((g) => {
    const h = g.hh - (g.code === from ? hh : 0) + (g.code === to ? hh : 0);
    return Math.abs(h - target) / target > 0.1 + 1e-12;
  }).length;
  let accepted = null, refused = null;
  const enough = () => accepted && accepted.score[0] <= figs.after.over && refused && refused.reason === 'non_contiguous';
  for (const c of state.compounds) {
    if (enough()) break;
    for (const g of state.grids) {
      if (g.code === c.grid) continue;
      const cand = { kind: 'move', compounds: [c.code], to: g.code };
      const r = await api(`/api/v1/plans/${probe.id}/edits`, token, { edits: [cand, { kind: 'move', compounds: ['0'], to: g.code }] });
      assert.equal(r.status, 422);
      if (r.body.edit === 1) {
        const score = [overAfter(c.grid, g.code, c.hh), c.hh];
        if (!accepted || score[0] < accepted.score[0] || (score[0] === accepted.score[0] && score[1] < accepted.score[1])) accepted = { c, to: g.code, score };
      } else if (!refused || (refused.reason !== 'non_contiguous' && r.body.reason === 'non_contiguous')) {
        refused = { c, to: g.code, reason: r.body.reason, detail: r.body.detail };
      }
    }
  }
  assert.ok(accepted, 'no compound of the community can be moved');
  assert.ok(refused, 'no move of the community is refused');
  console.log(`manual move: ${accepted.c.code} (${accepted.c.hh} households) ${accepted.c.grid} → ${accepted.to}; refused: ${refused.c.code} → ${refused.to} (${refused.reason})`);

  // pick clicks a compound on the after map: at a point inside it, or on
  // one of its buildings (the edit then names the compound by it).
  const pick = async (c, geometry = c.geometry) => {
    // Centre the compound on the after map (the maps follow each other), then click it there.
    await page.evaluate((p) => window.mapAfter.jumpTo({ center: p }), ringCentre(c.geometry));
    await afterIdle();
    const pt = await page.evaluate((p) => {
      const q = window.mapAfter.project(p);
      const r = window.mapAfter.getCanvas().getBoundingClientRect();
      return { x: r.left + q.x, y: r.top + q.y };
    }, await page.evaluate((g) => window.planner.labelPoint(g), geometry));
    await page.mouse.click(pt.x, pt.y);
    await page.waitForFunction((code) => window.planner.picked.has(code), c.code, { timeout: 10_000 });
  };

  // The refused move shows its reason and changes nothing.
  const editsBefore = await page.evaluate(() => window.planner.plan.edits.length);
  await pick(refused.c);
  await page.selectOption('#move-to', refused.to);
  await page.click('#btn-move');
  await page.waitForSelector('#refusal:not([hidden])', { timeout: 30_000 });
  await page.waitForFunction(() => !window.planner.busy);
  const reasonText = await page.textContent('#refusal');
  assert.ok(reasonText.includes(refused.reason), `refusal lacks its reason code: ${reasonText}`);
  assert.ok(reasonText.includes(refused.detail), `refusal lacks the engine's detail: ${reasonText}`);
  assert.match(await page.textContent('[data-testid="refusal-reason"]'), /[\u4e00-\u9fff]/, 'the reason is not explained in Chinese');
  assert.equal(await page.evaluate(() => window.planner.plan.edits.length), editsBefore, 'a refused edit was recorded');
  await afterIdle();
  await page.screenshot({ path: join(artifacts, 'planner-refused.png') });
  await page.click('#btn-clear-pick');

  // The accepted move, picked by clicking one of the compound's buildings.
  const bld = await page.evaluate((code) => {
    const f = window.planner.detail.buildings.features.find((x) => x.properties.compound_code === code);
    return f && { code: f.properties.code, geometry: f.geometry };
  }, accepted.c.code);
  assert.ok(bld, `compound ${accepted.c.code} has no building`);
  await pick(accepted.c, bld.geometry);
  assert.equal(await page.evaluate((c) => window.planner.pickedBy.get(c), accepted.c.code), bld.code, 'the click did not pick the building');
  await page.selectOption('#move-to', accepted.to);
  await page.click('#btn-move');
  await page.waitForFunction((n) => window.planner.plan.edits.length === n + 1 && !window.planner.busy, editsBefore, { timeout: 30_000 });
  await page.waitForSelector('#refusal', { state: 'hidden' });
  const lastEdit = await page.evaluate(() => window.planner.plan.edits.at(-1));
  assert.deepEqual([lastEdit.kind, lastEdit.buildings, lastEdit.to], ['move', [bld.code], accepted.to], 'the move does not name the building clicked');
  const moved = await page.evaluate((code) => window.planner.after.compoundGrid.get(code), accepted.c.code);
  assert.equal(moved, accepted.to, 'the moved compound is not in its new grid after');
  assert.equal(await page.evaluate((code) => window.mapAfter.getFeatureState({ source: 'compounds', id: code }).moved, accepted.c.code),
    accepted.c.code.startsWith(accepted.to) ? false : true, 'the moved compound is not marked on the after map');
  const hhAfter = await page.evaluate((code) => window.planner.after.grids.get(code).households, accepted.to);
  assert.equal(hhAfter, gridHH.get(accepted.to) + accepted.c.hh, 'households of the receiving grid');
  await afterIdle();
  await page.screenshot({ path: join(artifacts, 'planner-moved.png') });

  // ---- apply, after confirming -----------------------------------------
  const final = await page.evaluate((code) => ({
    figs: window.planner.figures,
    grids: [...window.planner.after.grids.values()].filter((g) => g.community === code).map((g) => [g.code, g.households]).sort(),
  }), comm.code);
  // Cancelling the dialog applies nothing.
  await page.click('#btn-apply');
  await page.waitForSelector('#confirm[open]');
  await page.click('#confirm-cancel');
  await page.waitForSelector('#confirm', { state: 'hidden' });
  assert.equal((await city.getJSON('/api/v1/plan/versions')).current, v0.current, 'cancel applied the plan');
  await page.click('#btn-apply');
  await page.waitForSelector('#confirm[open]');
  assert.match(await page.textContent('#confirm-body'), /变更网格/);
  // The dialog says the plan's effect on station coverage, as the server counts it.
  const cov = await page.evaluate(() => window.planner.diff.coverage);
  assert.ok(cov && cov.before && cov.after, 'the plan diff has no coverage effect');
  assert.match(await page.textContent('#confirm-body [data-testid="plan-coverage"]'),
    new RegExp(`站点覆盖网格 ${cov.before.grids_covered.toLocaleString('en-US')} → ${cov.after.grids_covered.toLocaleString('en-US')}`));
  await page.screenshot({ path: join(artifacts, 'planner-confirm.png') });
  await page.click('#confirm-ok');
  await page.waitForSelector('#applied:not([hidden]) [data-testid="applied-version"]', { timeout: 120_000 });
  await page.waitForFunction(() => !window.planner.compare);
  await idle();

  const vs = await city.getJSON('/api/v1/plan/versions');
  assert.equal(vs.current, v0.current + 1, 'no new layout version');
  const nv = vs.versions.find((v) => v.version === vs.current);
  assert.equal(nv.plan_id, planId, 'the new version is not the plan');
  assert.equal((await page.textContent('[data-testid="applied-version"]')).trim(), `第 ${vs.current} 版`);
  assert.equal((await page.textContent('#sum-version')).trim(), `第 ${vs.current} 版`);
  const live = await city.getJSON(`/api/v1/plan/measures?level=grid&community=${comm.code}`);
  assert.equal(live.layout_version, vs.current);
  assert.deepEqual(live.grids.map((g) => [g.code, g.households]).sort(), final.grids, 'the live grids are not the plan the page showed');
  const liveOver = live.grids.filter((g) => !g.within_target).length;
  assert.equal(liveOver, final.figs.after.over, 'grids over ±10% live vs the page');
  assert.ok(liveOver < comm.grids_over_tolerance, 'the live layout is no better than before');
  // The map shows the new version: its classes are the live measures'.
  const stale = await page.evaluate((grids) => grids.filter((g) => {
    const want = g.within_target ? 3 : g.deviation < 0 ? (g.deviation < -0.3 ? 0 : g.deviation < -0.2 ? 1 : 2) : g.deviation > 0.3 ? 6 : g.deviation > 0.2 ? 5 : 4;
    const f = window.planner.gridFeature.get(g.code);
    return window.map.getFeatureState({ source: 'grids', id: g.code }).cls !== want || !f || f.properties.households !== g.households;
  }).length, live.grids);
  assert.equal(stale, 0, 'the map still shows the old version of the community');
  const plans = (await api('/api/v1/plans', token)).body.plans;
  assert.equal(plans.find((p) => p.id === planId).status, 'applied');
  await page.screenshot({ path: join(artifacts, 'planner-applied.png') });

  // ---- a new plan on the new version: split a grid along a drawn line ----
  await page.click('#btn-manual');
  await page.waitForFunction((id) => window.planner.plan && window.planner.plan.id !== id && window.planner.compare, planId, { timeout: 60_000 });
  await afterIdle();
  const plan2 = await page.evaluate(() => window.planner.plan);
  assert.equal(plan2.base_version, vs.current, 'the new plan is not on the version in force');
  const grids2 = await page.evaluate((code) => [...window.planner.after.grids.values()].filter((g) => g.community === code)
    .map((g) => ({ code: g.code, hh: g.households, geometry: g.geometry })), comm.code);
  const probe2 = (await api('/api/v1/plans', token, { name: 'probe line' })).body;
  let cut = null;
  for (const g of grids2) {
    const ring = g.geometry.coordinates[0];
    const xs = ring.map((p) => p[0]), ys = ring.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, dx = (x1 - x0) * 0.04, dy = (y1 - y0) * 0.04;
    for (const line of [[[cx, y1 - dy], [cx, y0 + dy]], [[x0 + dx, cy], [x1 - dx, cy]]]) {
      const r = await api(`/api/v1/plans/${probe2.id}/edits`, token, { edits: [{ kind: 'split', grid: g.code, line }, { kind: 'move', compounds: ['0'], to: g.code }] });
      if (r.body.edit === 1) { cut = { grid: g, line }; break; }
    }
    if (cut) break;
  }
  assert.ok(cut, 'no grid of the community can be split by a straight line');
  console.log(`split ${cut.grid.code} (${cut.grid.hh} households) along ${JSON.stringify(cut.line)}`);
  await page.evaluate((line) => window.mapAfter.fitBounds([line[0], line[1]], { padding: 150, duration: 0, maxZoom: 17 }), cut.line);
  await afterIdle();
  await page.click('#btn-draw');
  await page.waitForSelector('#draw-hint:not([hidden])');
  for (const p of cut.line) {
    const pt = await page.evaluate((q) => {
      const x = window.mapAfter.project(q);
      const r = window.mapAfter.getCanvas().getBoundingClientRect();
      return { x: r.left + x.x, y: r.top + x.y };
    }, p);
    await page.mouse.click(pt.x, pt.y);
  }
  await page.waitForFunction(() => window.planner.drawing && window.planner.drawing.points.length === 2);
  await afterIdle();
  await page.screenshot({ path: join(artifacts, 'planner-drawline.png') });
  await page.click('#btn-draw-done');
  await page.waitForFunction(() => window.planner.plan.edits.length === 1 && !window.planner.busy, null, { timeout: 30_000 });
  const split = await page.evaluate(() => window.planner.plan.edits[0]);
  assert.equal(split.kind, 'split');
  assert.equal(split.grid, cut.grid.code, 'the line was taken for another grid');
  assert.equal(split.line.length, 2);
  assert.ok(await page.isHidden('#refusal'), 'the split was refused');
  const created = await page.evaluate(() => [...window.planner.after.grids.values()].filter((g) => g.created).map((g) => ({ code: g.code, hh: g.households })));
  assert.equal(created.length, 1, 'the split created no grid');
  assert.ok(created[0].code.startsWith(comm.code));
  const rest = await page.evaluate((code) => window.planner.after.grids.get(code).households, cut.grid.code);
  assert.equal(rest + created[0].hh, cut.grid.hh, 'the split grid and the new grid do not add up');
  const rowNew = await page.textContent(`[data-testid="compare-grids"] tr[data-code="${created[0].code}"]`);
  assert.match(rowNew, /新建/);
  await afterIdle();
  await page.screenshot({ path: join(artifacts, 'planner-split.png') });

  assert.deepEqual(opened.external, [], 'the page asked for something outside the binary');
  // The refused edit's 422 is the one failed request the browser reports.
  const errors = opened.errors().filter((e) => !/status of 422/.test(e));
  assert.deepEqual(errors, [], 'console errors');
});
