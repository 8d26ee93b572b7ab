// Shared harness of the browser tests: builds (or takes) the gridmap binary,
// generates the demo city, creates tokens, serves it on a free port, and
// launches Debian's Chromium through playwright-core with every request
// outside the binary refused and recorded. Each test file starts its own
// city and server (node --test runs files in separate processes).
//
// GRIDMAP_BIN=path skips the build (the binary must embed the current web/);
// `make e2e` builds once and sets it.
import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const artifacts = join(repo, 'test-artifacts');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync',
  // No GPU here: WebGL through SwiftShader, the CPU rasteriser Chromium ships.
  '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitReady(url, ms) {
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

// startCity generates the demo city (extra generate flags in opts.generate),
// creates one token per role named in opts.roles, and serves it (extra serve
// flags in opts.serve). It returns { base, bin, city, work, tokens, getJSON,
// stop }.
export async function startCity(opts = {}) {
  mkdirSync(artifacts, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'gridmap-e2e-'));
  let bin = process.env.GRIDMAP_BIN;
  if (!bin) {
    bin = join(work, 'gridmap');
    run('go', ['build', '-o', bin, './cmd/gridmap']);
  }
  const city = join(work, 'city.gpkg');
  run(bin, ['generate', '--out', city, '--seed', '1', ...(opts.generate ?? [])]);
  const tokens = {};
  for (const role of opts.roles ?? []) {
    tokens[role] = run(bin, ['token', 'create', '--data', city, '--role', role, '--name', `e2e-${role}`]).trim();
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ['serve', '--data', city, '--addr', `127.0.0.1:${port}`, ...(opts.serve ?? [])],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let serverLog = '';
  server.stderr.on('data', (d) => { serverLog = (serverLog + d).slice(-4000); });
  server.on('exit', (code) => { if (code) console.error(`gridmap serve exited ${code}:\n${serverLog}`); });
  await waitReady(`${base}/readyz`, 60_000);
  const getJSON = async (path, token) => {
    const r = await fetch(base + path, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
    assert.equal(r.status, 200, `${path}: HTTP ${r.status}`);
    return r.json();
  };
  const stop = () => {
    server.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  };
  return { base, bin, city, work, tokens, getJSON, stop };
}

// launchBrowser starts Chromium, or returns { skip } with the reason when it
// cannot be installed here (not root).
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    // The Makefile installs it (scripts/ensure-test-deps.sh); try once more here.
    spawnSync(join(repo, 'scripts', 'ensure-test-deps.sh'), { stdio: 'inherit' });
  }
  if (!existsSync(CHROMIUM)) {
    if (process.getuid && process.getuid() !== 0) {
      const skip = `${CHROMIUM} is missing and installing it needs root: run scripts/ensure-test-deps.sh as root`;
      console.error(`SKIP browser test: ${skip}`);
      return { skip };
    }
    throw new Error(`${CHROMIUM} is missing after scripts/ensure-test-deps.sh: install Debian's chromium`);
  }
  return { browser: await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }) };
}

// openPage opens a 1920×1080 zh-CN page in a new context of browser that
// may fetch only from base; it returns { ctx, page, external, consoleErrors,
// errors() } where errors() lists console errors other than the favicon.
export async function openPage(browser, base, viewport = { width: 1920, height: 1080 }) {
  const external = [];
  const consoleErrors = [];
  const ctx = await browser.newContext({ viewport, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  await ctx.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.origin === base || u.protocol === 'data:' || u.protocol === 'blob:') return route.continue();
    external.push(u.href);
    return route.abort();
  });
  const page = await ctx.newPage();
  if (process.env.E2E_TIMING) {
    // E2E_TIMING=1: how long each screenshot and waitForFunction takes.
    for (const name of ['screenshot', 'waitForFunction', 'goto', 'click', 'evaluate']) {
      const orig = page[name].bind(page);
      page[name] = async (...args) => {
        const t0 = Date.now();
        try { return await orig(...args); } finally {
          const ms = Date.now() - t0;
          if (ms > 500) console.log(`timing ${name} ${ms} ms ${String(args[0]).slice(0, 80).replace(/\s+/g, ' ')}`);
        }
      };
    }
  }
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  return { ctx, page, external, consoleErrors, errors: () => consoleErrors.filter((e) => !/favicon/.test(e)) };
}

// mapIdle resolves once the page's map (window.map) has loaded its tiles and
// drawn them; ready names the page's readiness flag (default window.wall.ready).
export async function mapIdle(page, ready = () => window.wall && window.wall.ready) {
  await page.waitForFunction(ready, null, { timeout: 180_000 });
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

// pixels reads a lattice of pixels from a map canvas of the page (window[map],
// default window.map), every step pixels from offset, as [r, g, b, a].
export function pixels(page, { map = 'map', step = 20, offset = 5 } = {}) {
  return page.evaluate(([m, st, off]) => {
    const src = window[m].getCanvas();
    const c = document.createElement('canvas');
    c.width = src.width;
    c.height = src.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(src, 0, 0);
    const { data } = ctx.getImageData(0, 0, c.width, c.height);
    const out = [];
    for (let y = off; y < c.height; y += st) {
      for (let x = off; x < c.width; x += st) {
        const i = 4 * (y * c.width + x);
        out.push([data[i], data[i + 1], data[i + 2], data[i + 3]]);
      }
    }
    return { width: c.width, height: c.height, px: out };
  }, [map, step, offset]);
}

// canvasSample counts the sampled pixels of the map canvas that are not
// background (isBackground: default the wall map's dark background and
// district land), and the distinct colours among them.
export async function canvasSample(page, { isBackground = ([r, g, b]) => r < 20 && g < 32 && b < 52, ...opts } = {}) {
  const { width, height, px } = await pixels(page, opts);
  let painted = 0;
  const colours = new Set();
  for (const p of px) {
    if (p[3] > 0 && !isBackground(p)) {
      painted++;
      colours.add(`${p[0] >> 4},${p[1] >> 4},${p[2] >> 4}`);
    }
  }
  return { painted, total: px.length, colours: colours.size, width, height };
}

// centre is the mean of a polygon's exterior vertices (GeoJSON Polygon or
// MultiPolygon, first part).
export function centre(geom) {
  const ring = (geom.type === 'MultiPolygon' ? geom.coordinates[0] : geom.coordinates)[0].slice(0, -1);
  return [ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length];
}

// useBrowser registers the before/after hooks of a browser test file: a
// demo city served (startCity opts), Chromium, and opts.pages pages (default
// one) opened on it (opts.viewport, default openPage's 1920×1080); then ready(state) runs, state being { city, browser,
// pages: [opened…], skip } (skip: why Chromium is missing, else ''). The
// file must register no other before hook (node:test may run a hook
// registered while another runs at once).
export function useBrowser({ pages = 1, viewport, ready = () => {}, ...opts } = {}) {
  const s = { city: null, browser: null, pages: [], skip: '' };
  before(async () => {
    s.city = await startCity(opts);
    const b = await launchBrowser();
    if (b.skip) {
      s.skip = b.skip;
    } else {
      s.browser = b.browser;
      for (let i = 0; i < pages; i++) s.pages.push(await openPage(s.browser, s.city.base, viewport));
    }
    await ready(s);
  }, { timeout: 600_000 });
  after(async () => {
    await s.browser?.close();
    s.city?.stop();
  });
  return s;
}

// screenPoint is the page coordinate of [lon, lat] on window.map.
export function screenPoint(page, lonlat) {
  return page.evaluate(([x, y]) => {
    const p = window.map.project([x, y]);
    const r = window.map.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, lonlat);
}

export { existsSync, join };
