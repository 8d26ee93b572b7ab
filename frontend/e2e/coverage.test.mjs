// End-to-end test of the coverage mode (frontend/web/coverage.js, issue 8)
// on the wall map: the "覆盖模式" control turns it on; the grids are drawn
// covered / not covered as /api/v1/coverage counts them, the built grid
// stations' catchments and the buildings out of reach are drawn, the
// panel's figure is the API's and the wall map's KPI; "选址" with a small k
// puts the proposed sites on the map with their gains. A bare page with
// only a MapLibre map gets the same mode (it must not need wall.js).
// Screenshots: test-artifacts/coverage-*.png.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { artifacts, useBrowser, openPage, mapIdle as idle, canvasSample, pixels } from './harness.mjs';

let city, browser, opened, page;
let skipReason = '';

useBrowser({
  ready: (s) => {
    ({ city, browser } = s);
    skipReason = s.skip;
    [opened] = s.pages;
    page = opened?.page;
  },
});

const pct = (share) => `${(100 * share).toFixed(1)}%`;

// settled waits for the map to stop and draw (mapIdle of the harness).
const settled = (ready) => idle(page, ready);

// colourCounts counts the sampled canvas pixels that are clearly green
// (covered grids) and clearly red/orange (grids not covered).
async function colourCounts() {
  const { px } = await pixels(page, { step: 6, offset: 3 });
  let green = 0, red = 0;
  for (const [r, g, b] of px) {
    if (g > 110 && g > r + 40 && g > b + 15) green++;
    if (r > 100 && r > g + 45 && r > b + 30) red++;
  }
  return { green, red };
}

test('coverage mode on the wall map: grids, catchments, holes, the figure and siting', { timeout: 600_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const stats = await city.getJSON('/api/v1/stats');
  const cov = await city.getJSON('/api/v1/coverage?level=grid');
  const catchments = await city.getJSON('/api/v1/coverage/catchments');
  const uncovered = await city.getJSON('/api/v1/coverage/uncovered');
  // One figure: the KPI is the coverage engine's.
  assert.equal(stats.grids_covered, cov.city.grids_covered, 'stats and coverage count different grids');
  assert.equal(stats.coverage_pct.toFixed(1), (100 * cov.city.grid_share).toFixed(1));
  const coveredCodes = new Set(cov.items.filter((g) => g.grids_covered === 1).map((g) => g.code));
  console.log(`coverage ${pct(cov.city.grid_share)} (${cov.city.grids_covered}/${cov.city.grids} grids), `
    + `${catchments.features.length} catchments, ${uncovered.features.length} uncovered buildings (${uncovered.households} households)`);

  await page.goto(`${city.base}/`, { waitUntil: 'domcontentloaded' });
  await settled();
  await page.waitForFunction(() => window.coverageMode && window.coverageMode.ready, null, { timeout: 60_000 });
  await page.waitForFunction(() => document.getElementById('kpi-coverage').textContent !== '—');
  const kpi = (await page.textContent('#kpi-coverage')).trim();
  assert.equal(kpi, pct(cov.city.grid_share), 'the wall map KPI is not the coverage figure');
  const before = await colourCounts();
  assert.equal(await page.evaluate(() => window.coverageMode.on), false);
  assert.ok(await page.isVisible('.cov-toggle'), 'no coverage mode control');
  assert.ok(!(await page.isVisible('.cov-panel')), 'the panel shows before the mode is on');

  // Switch it on.
  const t0 = Date.now();
  await page.click('.cov-toggle');
  await page.waitForFunction(() => window.coverageMode.loaded, null, { timeout: 60_000 });
  const t1 = Date.now();
  await settled(() => window.coverageMode.loaded);
  console.log(`coverage mode drawn ${t1 - t0} ms after the click, idle ${Date.now() - t1} ms later; in the page: ${JSON.stringify(await page.evaluate(() => window.coverageMode.timings))}`);
  assert.equal(await page.getAttribute('.cov-toggle', 'aria-pressed'), 'true');
  assert.ok(await page.isVisible('.cov-panel'), 'no coverage panel');
  assert.match(page.url(), /[?&]coverage=1/, 'the URL does not keep the mode');

  // Grids: rendered with the API's covered flag, both classes present.
  const grids = await page.evaluate(() => {
    const fs = window.map.queryRenderedFeatures({ layers: ['cov-grids-fill'] });
    const byCode = {};
    for (const f of fs) byCode[f.properties.code] = f.properties.covered;
    return byCode;
  });
  const codes = Object.keys(grids);
  const drawnCovered = codes.filter((c) => grids[c]);
  console.log(`rendered ${codes.length} grids: ${drawnCovered.length} covered, ${codes.length - drawnCovered.length} not`);
  assert.ok(codes.length > 1000, `only ${codes.length} grids rendered in coverage mode`);
  for (const c of codes) assert.equal(grids[c], coveredCodes.has(c), `grid ${c} drawn covered=${grids[c]}`);
  assert.ok(drawnCovered.length > 0 && drawnCovered.length < codes.length, 'one colour only');
  // The canvas shows it: green where covered, red/orange where not.
  const on = await colourCounts();
  console.log(`canvas green/red pixels: off ${before.green}/${before.red}, on ${on.green}/${on.red}`);
  assert.ok(on.green > 50 && on.green > 5 * before.green, `no covered (green) grids on the canvas: ${on.green}`);
  assert.ok(on.red > 5, `no uncovered (red) grids on the canvas: ${on.red}`);
  const px = await canvasSample(page);
  assert.ok(px.painted > px.total * 0.005, 'canvas blank in coverage mode');

  // Catchments (the uncovered buildings show from the district view in).
  const drawn = await page.evaluate(() => ({
    catchments: new Set(window.map.queryRenderedFeatures({ layers: ['cov-catchments-line'] }).map((f) => f.properties.code)).size,
    top: window.map.getStyle().layers.slice(-5).map((l) => l.id),
  }));
  console.log(`rendered ${drawn.catchments} catchments; top layers ${drawn.top}`);
  assert.ok(drawn.catchments >= 0.9 * catchments.features.length, `only ${drawn.catchments} of ${catchments.features.length} catchments drawn`);
  assert.ok(drawn.top.every((id) => id.startsWith('cov-')), `coverage layers not on top: ${drawn.top}`);

  // The panel's figure is the API's and the KPI's.
  const figure = (await page.textContent('[data-testid="cov-figure"]')).trim();
  assert.equal(figure, pct(cov.city.grid_share));
  assert.equal(figure, kpi);
  assert.equal(await page.evaluate(() => window.coverageMode.figures.city.grids_covered), stats.grids_covered);
  assert.equal((await page.textContent('[data-testid="cov-target"]')).trim(), '70%');
  const detail = await page.textContent('[data-testid="cov-detail"]');
  assert.ok(detail.includes(cov.city.grids_covered.toLocaleString('zh-CN')), `panel detail lacks the covered grids: ${detail}`);
  await page.screenshot({ path: join(artifacts, 'coverage-city.png') });

  // Siting with a small k.
  const k = 12;
  await page.fill('.cov-siting input[name="k"]', String(k));
  await page.click('.cov-run');
  await page.waitForFunction(() => window.coverageMode.siting, null, { timeout: 120_000 });
  const siting = await page.evaluate(() => window.coverageMode.siting);
  const sites = await page.evaluate(() => window.coverageMode.sites);
  console.log(`siting k=${k}: ${siting.sites} sites, +${siting.gain} households, ${pct(siting.before.grid_share)} → ${pct(siting.after.grid_share)}, ${siting.ms} ms`);
  assert.equal(siting.sites, k);
  assert.equal(sites.length, k);
  assert.equal(siting.before.grids_covered, cov.city.grids_covered, 'siting starts from another figure');
  assert.ok(siting.after.households_covered > siting.before.households_covered, 'the sites cover nobody new');
  assert.ok(siting.upperBound >= siting.after.households_covered);
  const markers = await page.$$eval('.cov-site', (els) => els.map((e) => ({
    gain: Number(e.dataset.gain), text: e.textContent.trim(), size: e.getBoundingClientRect().width, visible: !e.hidden,
  })));
  assert.equal(markers.length, k);
  for (const m of markers) {
    assert.ok(m.gain > 0, 'a site with no gain');
    assert.equal(m.text, m.gain.toLocaleString('zh-CN'), 'marker label is not its gain');
    assert.ok(m.visible);
  }
  assert.equal(markers.reduce((s, m) => s + m.gain, 0), siting.gain);
  const bySize = [...markers].sort((a, b) => a.gain - b.gain);
  assert.ok(bySize[0].size <= bySize[bySize.length - 1].size, 'markers not sized by gain');
  assert.ok(bySize[0].size < bySize[bySize.length - 1].size || bySize[0].gain === bySize[bySize.length - 1].gain);
  // The mouse is still on "选址": the button keeps its colour (MapLibre's
  // control CSS would grey it out on hover).
  const runBg = await page.$eval('.cov-run', (e) => getComputedStyle(e).backgroundColor);
  assert.match(runBg, /^rgb\(255, 2\d\d, \d+\)$/, `选址 button background ${runBg} under the mouse`);
  const result = await page.textContent('[data-testid="cov-result"]');
  assert.ok(result.includes(pct(siting.after.grid_share)), `result lacks the new figure: ${result}`);

  await page.screenshot({ path: join(artifacts, 'coverage-sites.png') });

  // The biggest site close up, with its popup: the hole it fills.
  const best = sites.reduce((a, b) => (b.gain > a.gain ? b : a));
  await page.evaluate((c) => window.map.jumpTo({ center: c, zoom: 14 }), best.lnglat);
  await settled(() => window.coverageMode.loaded);
  await page.click(`.cov-site[data-rank="${best.rank}"]`);
  await page.waitForSelector('.cov-popup', { timeout: 10_000 });
  const popup = await page.textContent('.cov-popup');
  assert.ok(popup.includes(best.gain.toLocaleString('zh-CN')) && popup.includes(best.grid_code), `popup: ${popup}`);
  const near = await page.evaluate(() => ({
    catchments: window.map.queryRenderedFeatures({ layers: ['cov-catchments-fill'] }).length,
    holes: window.map.queryRenderedFeatures({ layers: ['cov-uncovered'] }).length,
  }));
  console.log(`close up: ${near.catchments} catchment features, ${near.holes} uncovered buildings`);
  assert.ok(near.catchments > 0, 'no catchments drawn close up');
  assert.ok(near.holes > 0, 'no uncovered buildings drawn around the best site');
  await page.screenshot({ path: join(artifacts, 'coverage-siting.png') });

  // A district close up: catchments against the roads, the holes between.
  const d = stats.by_district.reduce((a, b) => (b.grids > a.grids ? b : a));
  await page.evaluate((b) => window.map.fitBounds([[b[0], b[1]], [b[2], b[3]]],
    { padding: { top: 60, bottom: 60, left: 520, right: 560 }, duration: 0 }), d.bbox);
  await settled(() => window.coverageMode.loaded);
  const inDistrict = await page.evaluate(() => window.map.queryRenderedFeatures({ layers: ['cov-uncovered'] }).length);
  assert.ok(inDistrict > 0, 'no uncovered buildings drawn in the district view');
  await page.screenshot({ path: join(artifacts, 'coverage-district.png') });

  // Off again: our layers hidden, the markers too, the wall map's grids back.
  await page.click('.cov-toggle');
  await settled();
  const off = await page.evaluate(() => ({
    on: window.coverageMode.on,
    visible: window.coverageMode.layers.filter((id) => window.map.getLayoutProperty(id, 'visibility') !== 'none'),
    rendered: window.map.queryRenderedFeatures({ layers: window.wall.gridFillLayers }).length,
    markers: [...document.querySelectorAll('.cov-site')].filter((e) => !e.hidden).length,
  }));
  assert.equal(off.on, false);
  assert.deepEqual(off.visible, [], 'coverage layers still visible');
  assert.equal(off.markers, 0, 'site markers still visible');
  assert.ok(off.rendered > 0, 'the wall map grids are gone');
  assert.ok(!(await page.isVisible('.cov-panel')));

  assert.deepEqual(opened.external, [], 'the page asked for something outside the binary');
  assert.deepEqual(opened.errors(), [], 'console errors');
});

// The module needs only window.map: a bare page with a MapLibre map and
// coverage.js (as the planner page will be) gets the mode, with ?coverage=1.
test('coverage mode on a bare map page', { timeout: 300_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const cov = await city.getJSON('/api/v1/coverage');
  const bare = await openPage(browser, city.base, { width: 1280, height: 800 });
  const p = bare.page;
  // A page of the binary without scripts of its own, rewritten in place.
  await p.goto(`${city.base}/healthz?coverage=1`);
  await p.setContent(`<!doctype html><html><head><meta charset="utf-8">
    <link rel="stylesheet" href="${city.base}/vendor/maplibre-gl/maplibre-gl.css">
    <link rel="stylesheet" href="${city.base}/coverage.css">
    <style>html,body,#m{margin:0;height:100%;background:#101820}</style></head>
    <body><div id="m"></div>
    <script type="module">
      import * as maplibregl from '${city.base}/vendor/maplibre-gl/maplibre-gl.mjs';
      const map = new maplibregl.Map({ container: 'm', center: [117.45, 34.85], zoom: 9.3,
        style: { version: 8, sources: {}, layers: [{ id: 'bg', type: 'background', paint: { 'background-color': '#101820' } }] },
        canvasContextAttributes: { preserveDrawingBuffer: true } });
      window.map = map;
      map.on('load', () => { document.body.dataset.ready = '1'; });
    </script>
    <script type="module" src="${city.base}/coverage.js"></script></body></html>`);
  await p.waitForFunction(() => window.coverageMode && window.coverageMode.ready, null, { timeout: 60_000 });
  await p.waitForFunction(() => window.coverageMode.loaded, null, { timeout: 60_000 });
  const got = await p.evaluate(() => ({
    on: window.coverageMode.on,
    figure: document.querySelector('[data-testid="cov-figure"]').textContent.trim(),
    grids: window.map.queryRenderedFeatures({ layers: ['cov-grids-fill'] }).length,
  }));
  assert.equal(got.on, true, '?coverage=1 did not turn the mode on');
  assert.equal(got.figure, pct(cov.city.grid_share));
  assert.ok(got.grids > 0, 'no grids drawn on the bare page');
  await p.screenshot({ path: join(artifacts, 'coverage-bare.png') });
  assert.deepEqual(bare.external, []);
  assert.deepEqual(bare.errors(), [], 'console errors on the bare page');
  await bare.ctx.close();
});
