// End-to-end test of the command-centre wall map: builds the gridmap binary
// (with the frontend embedded), generates the demo city, serves it on a free
// port, and drives Debian's Chromium through playwright-core: the map must
// render grids (rendered features and canvas pixels), show the city's KPIs,
// highlight a grid on hover and open its card on click, and fetch nothing
// from outside the binary. Screenshots go to test-artifacts/ at the repo root.
// The shared set-up is in harness.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { artifacts, useBrowser, mapIdle as idle, canvasSample as sample, screenPoint } from './harness.mjs';

let city, browser, page, base, opened;
let skipReason = ''; // set only when Chromium cannot be installed here

const getJSON = (path) => city.getJSON(path);
const mapIdle = () => idle(page);
const canvasSample = () => sample(page);

useBrowser({
  // the places records run up to today (CST), as make run generates them
  generate: ['--places-as-of', new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10)],
  ready: (s) => {
    ({ city, browser } = s);
    base = city.base;
    skipReason = s.skip;
    [opened] = s.pages;
    page = opened?.page;
  },
});

test('the wall map renders the grids, the KPIs and a grid card, offline', { timeout: 600_000 }, async (t) => {
  if (skipReason) return t.skip(skipReason);
  const stats = await getJSON('/api/v1/stats');
  assert.equal(stats.grids, 1230);

  // Browsers get the page at / (OGC API clients asking for JSON get the landing document).
  const t0 = Date.now();
  await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
  await mapIdle();
  console.log(`map idle ${Date.now() - t0} ms after navigation`);

  const renderedGrids = () => page.evaluate(() => {
    const fs = window.map.queryRenderedFeatures({ layers: window.wall.gridFillLayers });
    return {
      n: fs.length, codes: new Set(fs.map((f) => f.properties.code)).size, source: window.wall.gridSource,
      fromTiles: fs.filter((f) => f.layer.id === 'grids-fill' && f.sourceLayer === 'grids').length,
      zoom: window.map.getZoom(),
    };
  });
  const rendered = await renderedGrids();
  console.log(`grid layer from ${rendered.source}: ${rendered.n} rendered features, ${rendered.codes} grids`);
  assert.ok(rendered.n > 0, 'no grid features rendered');
  assert.ok(rendered.codes > 1000, `only ${rendered.codes} grids rendered in the city-wide view`);

  const px = await canvasSample();
  console.log(`canvas ${px.width}x${px.height}: ${px.painted}/${px.total} sampled pixels painted, ${px.colours} colours`);
  // City-wide, the urban areas are a small part of the prefecture.
  assert.ok(px.painted > px.total * 0.005, `canvas looks blank: ${px.painted} of ${px.total} pixels painted`);
  assert.ok(px.colours >= 4, `only ${px.colours} colours on the map`);

  // KPIs as the server counts them.
  const kpi = async (id) => (await page.textContent(`#${id}`)).trim();
  await page.waitForFunction(() => document.getElementById('kpi-grids').textContent !== '—');
  assert.equal(await kpi('kpi-grids'), '1,230');
  assert.equal(await kpi('kpi-households'), stats.households.toLocaleString('en-US'));
  assert.equal(await kpi('kpi-cadres'), stats.cadres_deployed.toLocaleString('en-US'));
  assert.equal(await kpi('kpi-stations'), stats.stations.toLocaleString('en-US'));
  assert.equal(await kpi('kpi-coverage'), `${stats.coverage_pct.toFixed(1)}%`);
  assert.equal(await kpi('kpi-open'), stats.open_incidents.toLocaleString('en-US'));
  // The places figures: the three rates, property complaints, timely
  // visits and station stars, as /api/v1/stats gives them.
  const pl = stats.places;
  assert.ok(pl, 'stats without places figures');
  assert.equal(await kpi('kpi-committee'), `${(100 * pl.committee_rate.value).toFixed(1)}%`);
  assert.equal(await kpi('kpi-professional'), `${(100 * pl.professional_rate.value).toFixed(1)}%`);
  assert.equal(await kpi('kpi-partyorg'), `${(100 * pl.party_org_rate.value).toFixed(1)}%`);
  assert.equal(await kpi('kpi-complaints'), pl.complaints_12m.toLocaleString('en-US'));
  assert.equal(await kpi('kpi-stars'), pl.mean_stars.toFixed(2));
  assert.match(await page.textContent('#kpi-professional-d'), /较2020年初 \+\d/);
  const legend = await page.locator('#legend-items .li').count();
  assert.ok(legend >= 3, `legend has ${legend} classes`);
  await page.screenshot({ path: join(artifacts, 'wallmap-city.png') });

  // Another measure recolours the grids.
  await page.click('#measures button[data-measure="coverage"]');
  await mapIdle();
  assert.equal(await page.getAttribute('#measures button[data-measure="coverage"]', 'aria-checked'), 'true');
  assert.match(await page.textContent('#legend-title'), /站点覆盖/);
  // A district row flies to that district's urban area.
  const rows = await page.locator('#districts tbody tr').count();
  assert.equal(rows, 1 + stats.by_district.filter((d) => d.grids > 0).length, 'district table rows');
  const d0 = stats.by_district.find((d) => d.grids > 0);
  await page.click(`#districts tr[data-code="${d0.code}"]`);
  await page.waitForFunction(() => !window.map.isMoving(), null, { timeout: 30_000 });
  await mapIdle();
  assert.equal(await page.evaluate(() => window.wall.district), d0.code);
  const dpx = await canvasSample();
  console.log(`district view: ${dpx.painted}/${dpx.total} sampled pixels painted, ${dpx.colours} colours`);
  assert.ok(dpx.painted > dpx.total * 0.1, `district view mostly blank: ${dpx.painted} of ${dpx.total} pixels painted`);
  await page.screenshot({ path: join(artifacts, 'wallmap-coverage.png') });

  // Zoom to a building inside a known grid, hover it, click it.
  const b = (await getJSON('/api/v1/layers/buildings?limit=1&offset=4000')).features[0];
  const ring = b.geometry.coordinates[0];
  const lon = ring.slice(0, -1).reduce((s, p) => s + p[0], 0) / (ring.length - 1);
  const lat = ring.slice(0, -1).reduce((s, p) => s + p[1], 0) / (ring.length - 1);
  const want = await getJSON(`/api/v1/locate?lon=${lon}&lat=${lat}`);
  assert.ok(want.grid, 'the building centre is in no grid');
  await page.evaluate(([x, y]) => window.map.jumpTo({ center: [x, y], zoom: 15.5 }), [lon, lat]);
  await mapIdle();
  const close = await renderedGrids();
  console.log(`at z${close.zoom.toFixed(1)}: ${close.n} grid features (${close.fromTiles} from vector tiles)`);
  assert.ok(close.n > 0, 'no grids rendered close up');
  if (stats.tiles_url) assert.ok(close.fromTiles > 0, 'the server has vector tiles but the grids close up are not drawn from them');
  const at = await screenPoint(page, [lon, lat]);

  await page.mouse.move(at.x - 3, at.y - 3);
  await page.mouse.move(at.x, at.y);
  await page.waitForFunction(() => window.wall.hovered, null, { timeout: 10_000 });
  assert.equal(await page.evaluate(() => window.wall.hovered), want.grid.code);
  assert.ok(await page.isVisible('#tip'), 'no hover tip');

  await page.mouse.click(at.x, at.y);
  await page.waitForSelector('#card:not([hidden]) [data-testid="grid-code"]', { timeout: 30_000 });
  assert.equal((await page.textContent('#card [data-testid="grid-code"]')).trim(), want.grid.code);
  const card = await page.textContent('#card');
  assert.ok(card.includes(want.grid.name), `card lacks the grid name ${want.grid.name}`);
  assert.ok(card.includes(want.grid.community.name), 'card lacks the community');
  assert.ok(card.includes(want.grid.head.name), 'card lacks the grid head');
  if (want.nearest_station) assert.ok(card.includes(want.nearest_station.name), 'card lacks the nearest station');
  await mapIdle();
  const sel = await page.evaluate(() => window.wall.selected);
  assert.equal(sel, want.grid.code);
  await page.screenshot({ path: join(artifacts, 'wallmap-card.png') });

  // A fresh load straight into a measure and a district (as a wall's
  // start-up URL would say) draws it with its legend.
  await page.goto(`${base}/?measure=households&district=${d0.code}`, { waitUntil: 'domcontentloaded' });
  await mapIdle();
  assert.equal(await page.getAttribute('#measures button[data-measure="households"]', 'aria-checked'), 'true');
  assert.equal(await page.locator('#legend-items .li').count(), 5, 'households legend classes');
  assert.ok((await renderedGrids()).n > 0, 'no grids rendered in the district view');
  await page.screenshot({ path: join(artifacts, 'wallmap-households.png') });

  assert.deepEqual(opened.external, [], 'the page asked for something outside the binary');
  assert.deepEqual(opened.errors(), [], 'console errors');
});
