// End-to-end test of the command-centre wall map: builds the gridmap binary
// (with the frontend embedded), generates the demo city, serves it on a free
// port, and drives Debian's Chromium through playwright-core: the map must
// render grids (rendered features and canvas pixels), show the city's KPIs,
// highlight a grid on hover and open its card on click, and fetch nothing
// from outside the binary. Screenshots go to test-artifacts/ at the repo root.
//
// GRIDMAP_BIN=path skips the build (the binary must embed the current dist/).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const artifacts = join(repo, 'test-artifacts');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync',
  // No GPU here: WebGL through SwiftShader, the CPU rasteriser Chromium ships.
  '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

let work, server, base, browser, page;
let skipReason = ''; // set only when Chromium cannot be installed here
const external = []; // requests for anything not served by the binary
const consoleErrors = [];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(url, ms) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch (_) { /* not up yet */ }
    if (Date.now() > until) throw new Error(`${url} not ready after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function getJSON(path) {
  const r = await fetch(base + path);
  assert.equal(r.status, 200, `${path}: HTTP ${r.status}`);
  return r.json();
}

// mapIdle resolves once the map has loaded its tiles and drawn them.
async function mapIdle() {
  await page.waitForFunction(() => window.wall && window.wall.ready, null, { timeout: 180_000 });
  await page.evaluate(() => new Promise((resolve) => {
    const m = window.map;
    if (m.loaded() && m.areTilesLoaded() && !m.isMoving()) {
      m.once('idle', resolve);
      m.triggerRepaint();
    } else {
      m.once('idle', resolve);
    }
  }));
}

// canvasSample reads a lattice of pixels from the map canvas and counts
// those that are not background, and the distinct colours among them.
function canvasSample() {
  return page.evaluate(() => {
    const src = window.map.getCanvas();
    const c = document.createElement('canvas');
    c.width = src.width;
    c.height = src.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(src, 0, 0);
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    let painted = 0, total = 0;
    const colours = new Set();
    for (let y = 5; y < c.height; y += 20) {
      for (let x = 5; x < c.width; x += 20) {
        const i = 4 * (y * c.width + x);
        const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        total++;
        // background #070d18 and the district land #0e1b30 are "not grids"
        const dark = r < 20 && g < 32 && b < 52;
        if (a > 0 && !dark) {
          painted++;
          colours.add(`${r >> 4},${g >> 4},${b >> 4}`);
        }
      }
    }
    return { painted, total, colours: colours.size, width: c.width, height: c.height };
  });
}

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'gridmap-e2e-'));
  let bin = process.env.GRIDMAP_BIN;
  if (!bin) {
    bin = join(work, 'gridmap');
    run('go', ['build', '-o', bin, './cmd/gridmap']);
  }
  const city = join(work, 'city.gpkg');
  run(bin, ['generate', '--out', city, '--seed', '1']);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ['serve', '--data', city, '--addr', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let serverLog = '';
  server.stderr.on('data', (d) => { serverLog = (serverLog + d).slice(-4000); });
  server.on('exit', (code) => { if (code) console.error(`gridmap serve exited ${code}:\n${serverLog}`); });
  await waitReady(`${base}/readyz`, 60_000);

  if (!existsSync(CHROMIUM)) {
    // The Makefile installs it (scripts/ensure-test-deps.sh); try once more here.
    spawnSync(join(repo, 'scripts', 'ensure-test-deps.sh'), { stdio: 'inherit' });
  }
  if (!existsSync(CHROMIUM)) {
    if (process.getuid && process.getuid() !== 0) {
      skipReason = `${CHROMIUM} is missing and installing it needs root: run scripts/ensure-test-deps.sh as root`;
      console.error(`SKIP wall map browser test: ${skipReason}`);
      return;
    }
    throw new Error(`${CHROMIUM} is missing after scripts/ensure-test-deps.sh: install Debian's chromium`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  await ctx.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.origin === base || u.protocol === 'data:' || u.protocol === 'blob:') return route.continue();
    external.push(u.href);
    return route.abort();
  });
  page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
}, { timeout: 600_000 });

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (work) rmSync(work, { recursive: true, force: true });
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
  const at = await page.evaluate(([x, y]) => {
    const p = window.map.project([x, y]);
    const r = window.map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, [lon, lat]);

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

  assert.deepEqual(external, [], 'the page asked for something outside the binary');
  const errs = consoleErrors.filter((e) => !/favicon/.test(e));
  assert.deepEqual(errs, [], 'console errors');
});
