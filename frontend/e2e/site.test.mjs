// The static site of `gridmap bake --site DIR`, served by a plain static
// file server (http-server from npm, with Range requests; not gridmap),
// shows the wall map offline in Debian's Chromium: grids drawn from
// city.pmtiles through the pmtiles:// protocol, the key figures from
// city.json, a grid card on click, nothing fetched from elsewhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifacts, repo, run, freePort, waitReady, launchBrowser, openPage, mapIdle, canvasSample } from './harness.mjs';

let work, server, browser, skip = '', base, stats;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  work = mkdtempSync(join(tmpdir(), 'gridmap-site-'));
  let bin = process.env.GRIDMAP_BIN;
  if (!bin) {
    bin = join(work, 'gridmap');
    run('go', ['build', '-o', bin, './cmd/gridmap']);
  }
  const city = join(work, 'city.gpkg');
  run(bin, ['generate', '--out', city, '--seed', '1']);
  const site = join(work, 'site');
  console.log(run(bin, ['bake', '--data', city, '--site', site, '--minzoom', '8', '--maxzoom', '15']).trim());
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // -c-1: no caching headers; no gzip (Range requests must see the file's bytes).
  server = spawn(process.execPath, [join(repo, 'frontend', 'node_modules', 'http-server', 'bin', 'http-server'), site, '-a', '127.0.0.1', '-p', String(port), '-c-1', '--silent'], { stdio: 'ignore' });
  await waitReady(`${base}/index.html`, 30_000);
  stats = await (await fetch(`${base}/city.json`)).json();
  const b = await launchBrowser();
  skip = b.skip ?? '';
  browser = b.browser;
}, { timeout: 900_000 });

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the baked static site shows the wall map from a plain static server', { timeout: 600_000 }, async (t) => {
  if (skip) return t.skip(skip);
  const o = await openPage(browser, base);
  const { page } = o;
  const ranges = [];
  page.on('request', (r) => { if (r.url().endsWith('/city.pmtiles')) ranges.push(r.headers().range); });
  await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
  await mapIdle(page);
  assert.equal(await page.isVisible('#fatal'), false, `the page shows an error: ${await page.textContent('#fatal')}`);
  assert.ok(ranges.length > 1 && ranges.every((r) => /^bytes=\d+-\d+$/.test(r ?? '')), `the archive was not read by ranges: ${JSON.stringify(ranges)}`);

  const drawn = await page.evaluate(() => {
    const fs = window.map.queryRenderedFeatures({ layers: ['grids-fill'] });
    return { n: fs.length, codes: new Set(fs.map((f) => f.properties.code)).size, zoom: window.map.getZoom() };
  });
  console.log(`grids drawn: ${drawn.codes} at zoom ${drawn.zoom.toFixed(2)}`);
  assert.ok(drawn.codes >= 50, `only ${drawn.codes} grids drawn`);
  const px = await canvasSample(page);
  assert.ok(px.painted > px.total * 0.05 && px.colours >= 4, `canvas looks blank: ${JSON.stringify(px)}`);

  // The figures are the city's.
  assert.equal(stats.grids, 1230);
  assert.equal(await page.textContent('#kpi-grids'), stats.grids.toLocaleString('zh-CN'));
  assert.equal(await page.textContent('#kpi-households'), stats.households.toLocaleString('zh-CN'));
  assert.ok((await page.$$('#districts-body tr')).length >= 6, 'the district table is empty');
  assert.ok((await page.$$('#legend-items .li')).length >= 3, 'the legend is empty');

  // A click on a grid opens its card from the tile's properties.
  const target = await page.evaluate(() => {
    const f = window.map.queryRenderedFeatures({ layers: ['grids-fill'] }).find((x) => x.properties.households > 0);
    const r = window.map.getCanvas().getBoundingClientRect();
    const c = window.map.getCenter();
    const p = window.map.project(c);
    const hit = window.map.queryRenderedFeatures(p, { layers: ['grids-fill'] })[0] ?? f;
    return { x: r.left + p.x, y: r.top + p.y, code: hit?.properties.code, fallback: f?.properties.code };
  });
  await page.mouse.click(target.x, target.y);
  await page.waitForSelector('#card:not([hidden])', { timeout: 10_000 });
  const card = await page.textContent('#card .code');
  assert.match(card, /^\d{15}$/, `card shows ${card}`);
  await page.screenshot({ path: join(artifacts, 'static-site.png') });

  // A district row flies to that district and draws its grids.
  await page.click('#districts-body tr:nth-child(2)');
  await page.waitForFunction(() => window.map.isMoving() === false && window.map.areTilesLoaded(), null, { timeout: 60_000, polling: 250 });
  await mapIdle(page);
  const want = await page.getAttribute('#districts-body tr:nth-child(2)', 'data-code');
  const after = await page.evaluate(() => ({ zoom: window.map.getZoom(), centre: window.map.getCenter(),
    districts: [...new Set(window.map.queryRenderedFeatures({ layers: ['grids-fill'] }).map((f) => f.properties.district_code))] }));
  assert.ok(after.districts.includes(want), `no grids of ${want} after flying there: ${JSON.stringify(after)}`);
  await page.screenshot({ path: join(artifacts, 'static-site-district.png') });

  assert.deepEqual(o.external, [], 'the page fetched from outside the site');
  assert.deepEqual(o.errors(), [], 'console errors');
  await o.ctx.close();
});
