// A fresh clone, built by Go alone, serves a working wall map: the test
// clones the repository (its committed HEAD) into a temporary folder, runs
// exactly `go build ./cmd/gridmap && ./gridmap generate --out c.gpkg &&
// ./gridmap serve --data c.gpkg` there — no npm, no make; serve gets a free
// loopback port (--addr) because tests never bind :8080 — and drives
// Debian's Chromium: the map must draw the grids with the embedded MapLibre
// and show no error. Uncommitted changes are not in the clone, by design.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifacts, repo, run, freePort, waitReady, launchBrowser, openPage, mapIdle, canvasSample } from './harness.mjs';

let work, server, browser, skip = '', base, head;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'gridmap-clone-'));
  const clone = join(work, 'gridmap');
  run('git', ['clone', '--quiet', repo, clone]);
  head = run('git', ['rev-parse', '--short', 'HEAD'], { cwd: clone }).trim();
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: repo }).trim();
  if (dirty) console.log(`note: the working tree has uncommitted changes; the clone tests commit ${head}`);
  assert.ok(!existsSync(join(clone, 'frontend', 'node_modules')), 'the clone has node_modules');
  const sh = (cmd, args) => run(cmd, args, { cwd: clone, timeout: 600_000 });
  sh('go', ['build', './cmd/gridmap']);
  sh('./gridmap', ['generate', '--out', 'c.gpkg']);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn('./gridmap', ['serve', '--data', 'c.gpkg', '--addr', `127.0.0.1:${port}`], { cwd: clone, stdio: ['ignore', 'ignore', 'ignore'] });
  await waitReady(`${base}/readyz`, 60_000);
  const b = await launchBrowser();
  skip = b.skip ?? '';
  browser = b.browser;
}, { timeout: 900_000 });

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (work) rmSync(work, { recursive: true, force: true });
});

test('a fresh clone built with go build alone shows a working wall map', { timeout: 600_000 }, async (t) => {
  if (skip) return t.skip(skip);
  const o = await openPage(browser, base);
  const { page } = o;
  const vendored = [];
  page.on('response', (r) => { if (r.url().includes('/vendor/maplibre-gl/')) vendored.push([new URL(r.url()).pathname, r.status()]); });
  await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
  await mapIdle(page);
  assert.equal(await page.isVisible('#fatal'), false, `the page shows an error: ${await page.textContent('#fatal')}`);
  const grids = await page.evaluate(() => new Set(window.map.queryRenderedFeatures({ layers: window.wall.gridFillLayers }).map((f) => f.properties.code)).size);
  assert.ok(grids > 1000, `only ${grids} grids drawn`);
  const px = await canvasSample(page);
  assert.ok(px.painted > px.total * 0.005 && px.colours >= 4, `canvas looks blank: ${JSON.stringify(px)}`);
  for (const f of ['/vendor/maplibre-gl/maplibre-gl.mjs', '/vendor/maplibre-gl/maplibre-gl.css']) {
    assert.deepEqual(vendored.find(([p]) => p === f), [f, 200], `${f} not served: ${JSON.stringify(vendored)}`);
  }
  assert.ok(vendored.some(([p, s]) => p === '/vendor/maplibre-gl/maplibre-gl-worker.mjs' && s === 200), `the worker was not loaded: ${JSON.stringify(vendored)}`);
  assert.deepEqual(o.external, [], 'the page fetched from outside the binary');
  assert.deepEqual(o.errors(), [], 'console errors');
  await page.screenshot({ path: join(artifacts, 'fresh-clone.png') });
  console.log(`commit ${head}: ${grids} grids drawn, ${px.painted}/${px.total} sampled pixels painted`);
  await o.ctx.close();
});
