// Coverage mode of the map pages (issue 8): the wall map (index.html) and
// the planner (planner.html) load this module beside their own. It knows
// nothing of either page but two conventions: the page's MapLibre map is
// window.map, and the page sets document.body.dataset.ready = '1' once its
// own layers are up (it waits for that a while, then goes on anyway).
//
// It adds a "覆盖模式" control to the map. When on, it draws over the
// page's layers: grids coloured covered / not covered (from
// /api/v1/coverage?level=grid, the same figure as the KPI of
// /api/v1/stats), each built grid station's walking catchment
// (/api/v1/coverage/catchments), the buildings out of reach
// (/api/v1/coverage/uncovered), and a panel with the city's figure against
// the 70% target; "选址" runs POST /api/v1/coverage/siting with an
// adjustable k and shows the proposed sites as markers sized and labelled
// by the households each newly covers.
//
// State for tests and other scripts: window.coverageMode (on, ready,
// loaded, figures, siting, sites, error; setOn(bool), site(k)).
// ?coverage=1 in the page's URL turns the mode on at start.
import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';

const PREFIX = 'cov-';
const LAYERS = {
  gridsFill: `${PREFIX}grids-fill`,
  gridsLine: `${PREFIX}grids-line`,
  catchFill: `${PREFIX}catchments-fill`,
  catchLine: `${PREFIX}catchments-line`,
  uncovered: `${PREFIX}uncovered`,
  stations: `${PREFIX}stations`,
};
const SOURCES = { grids: `${PREFIX}grids`, catchments: `${PREFIX}catchments`, uncovered: `${PREFIX}uncovered`, stations: `${PREFIX}stations` };
const COLORS = { covered: '#1f9d6b', uncoveredLow: '#7a1026', uncoveredHigh: '#e8743b', catchment: '#7fd4ff', hole: '#ff4d8d', site: '#ffd23f' };

const fmt = (n) => (n == null || Number.isNaN(n) ? '—' : Number(n).toLocaleString('zh-CN'));
const pct = (share) => (share == null ? '—' : `${(100 * share).toFixed(1)}%`);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function getJSON(url, init) {
  const r = await fetch(new URL(url, location.href), { cache: 'no-cache', ...init });
  if (!r.ok) {
    let msg = `HTTP ${r.status}`;
    try { msg = (await r.json()).error || msg; } catch (_) { /* not JSON */ }
    throw new Error(`${url}: ${msg}`);
  }
  return r.json();
}

const state = {
  ready: false, // the control is on the map
  on: false,
  loaded: false, // the layers of the mode are drawn with the current figures
  loading: false,
  figures: null, // { city, grids: {covered, total}, target, stations }
  siting: null, // totals of the last siting
  sites: [], // [{rank, gain, source, grid_code, lnglat}]
  error: null,
  layers: Object.values(LAYERS),
  setOn: (on) => setOn(on),
  site: (k) => runSiting(k),
};
window.coverageMode = state;

let map = null;
let panel = null;
let button = null;
let markers = [];
let popup = null;

// ---- waiting for the page ------------------------------------------------

async function waitForMap() {
  while (!window.map || typeof window.map.addLayer !== 'function') await sleep(50);
  const m = window.map;
  while (!m.isStyleLoaded()) {
    await Promise.race([new Promise((r) => m.once('styledata', r)), sleep(250)]);
  }
  // Let the page put its own layers up first; ours go on top of them.
  const until = Date.now() + 20_000;
  while (document.body.dataset.ready !== '1' && Date.now() < until) await sleep(100);
  return m;
}

// ---- the control and the panel ---------------------------------------------

class CoverageControl {
  onAdd() {
    const el = document.createElement('div');
    el.className = 'maplibregl-ctrl cov-ctrl';
    el.innerHTML = `
      <button type="button" class="cov-toggle" aria-pressed="false" title="站点覆盖：已覆盖网格、驿站服务范围、未覆盖楼栋与新增选址">
        <span class="cov-dot"></span>覆盖模式</button>
      <section class="cov-panel" aria-label="站点覆盖" hidden>
        <div class="cov-head">站点覆盖率 <small>（网格：半数以上住户步行可达已建驿站）</small></div>
        <div class="cov-figure-row">
          <span class="cov-figure" data-testid="cov-figure">—</span>
          <span class="cov-target">目标 <b data-testid="cov-target">70%</b> <em class="cov-verdict"></em></span>
        </div>
        <div class="cov-bar" aria-hidden="true"><i class="cov-fill"></i><i class="cov-mark"></i></div>
        <div class="cov-detail" data-testid="cov-detail">—</div>
        <div class="cov-legend">
          <span><i class="sw covered"></i>已覆盖网格</span>
          <span><i class="sw uncovered"></i>未覆盖网格（颜色越深可达住户越少）</span>
          <span><i class="sw catchment"></i>已建驿站及其服务范围（步行 500 米）</span>
          <span><i class="sw hole"></i>未覆盖楼栋（圆点大小为户数）</span>
          <span><i class="sw site"></i>建议新增站点（数字为新覆盖户数）</span>
        </div>
        <form class="cov-siting">
          <label>新增站点 <input type="number" name="k" min="1" max="1000" step="1" value="20" aria-label="新增站点数"></label>
          <button type="submit" class="cov-run">选址</button>
          <button type="button" class="cov-clear" hidden>清除</button>
        </form>
        <div class="cov-result" data-testid="cov-result" aria-live="polite"></div>
        <div class="cov-error" role="alert" hidden></div>
      </section>`;
    button = el.querySelector('.cov-toggle');
    panel = el.querySelector('.cov-panel');
    button.addEventListener('click', () => setOn(!state.on));
    el.querySelector('.cov-siting').addEventListener('submit', (e) => {
      e.preventDefault();
      runSiting(Number(new FormData(e.target).get('k')));
    });
    el.querySelector('.cov-clear').addEventListener('click', clearSites);
    // Keep map gestures off the panel.
    for (const ev of ['mousedown', 'wheel', 'dblclick', 'touchstart']) el.addEventListener(ev, (e) => e.stopPropagation());
    return el;
  }

  onRemove() {}
}

function showError(err) {
  state.error = err ? String(err.message || err) : null;
  const box = panel?.querySelector('.cov-error');
  if (!box) return;
  box.hidden = !state.error;
  box.textContent = state.error ? `覆盖数据加载失败：${state.error}` : '';
  if (err) console.warn('coverage mode:', err);
}

// ---- the layers --------------------------------------------------------------

const EMPTY = { type: 'FeatureCollection', features: [] };

function addLayers() {
  if (map.getSource(SOURCES.grids)) return;
  map.addSource(SOURCES.grids, { type: 'geojson', data: EMPTY, promoteId: 'code' });
  map.addSource(SOURCES.catchments, { type: 'geojson', data: EMPTY });
  map.addSource(SOURCES.uncovered, { type: 'geojson', data: EMPTY });
  map.addSource(SOURCES.stations, { type: 'geojson', data: EMPTY });
  const hidden = { visibility: 'none' };
  map.addLayer({
    id: LAYERS.gridsFill, type: 'fill', source: SOURCES.grids, layout: hidden,
    paint: {
      'fill-color': ['case', ['==', ['get', 'covered'], true], COLORS.covered,
        ['interpolate', ['linear'], ['get', 'share'], 0, COLORS.uncoveredLow, 0.5, COLORS.uncoveredHigh]],
      'fill-opacity': 0.78,
    },
  });
  map.addLayer({
    id: LAYERS.gridsLine, type: 'line', source: SOURCES.grids, layout: hidden,
    paint: { 'line-color': '#050a14', 'line-opacity': 0.6, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.3, 15, 1.2] },
  });
  map.addLayer({
    id: LAYERS.catchFill, type: 'fill', source: SOURCES.catchments, layout: hidden,
    // Hundreds of catchments overlap: faint fills, and none city-wide,
    // where the grids' colours must read.
    paint: { 'fill-color': COLORS.catchment, 'fill-opacity': ['interpolate', ['linear'], ['zoom'], 12.5, 0, 14, 0.05, 16, 0.08] },
  });
  map.addLayer({
    id: LAYERS.catchLine, type: 'line', source: SOURCES.catchments, layout: hidden,
    paint: {
      'line-color': COLORS.catchment,
      'line-opacity': ['interpolate', ['linear'], ['zoom'], 10, 0.3, 13, 0.75, 15, 0.9],
      'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.4, 15, 1.6],
    },
  });
  map.addLayer({
    // Buildings from the district view in; city-wide the grids say it.
    id: LAYERS.uncovered, type: 'circle', source: SOURCES.uncovered, layout: hidden, minzoom: 11,
    paint: {
      'circle-color': COLORS.hole,
      'circle-opacity': 0.9,
      'circle-radius': ['interpolate', ['linear'], ['zoom'],
        11, ['interpolate', ['linear'], ['get', 'households'], 0, 1.2, 200, 3],
        15, ['interpolate', ['linear'], ['get', 'households'], 0, 3, 200, 10]],
      'circle-stroke-color': '#2b0010',
      'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 11, 0, 14, 1],
    },
  });
  // The built grid stations, the centres of the catchments.
  map.addLayer({
    id: LAYERS.stations, type: 'circle', source: SOURCES.stations, layout: hidden, minzoom: 11.5,
    paint: {
      'circle-color': '#ff9f1c',
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 11.5, 2.5, 15, 7],
      'circle-stroke-color': '#1b1200',
      'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 11.5, 0.6, 15, 2],
    },
  });
  // A page may add layers after ours (its own set-up, a refresh): keep
  // ours on top while the mode is on.
  map.on('styledata', keepOnTop);
}

function keepOnTop() {
  if (!state.on) return;
  const ids = map.getStyle().layers.map((l) => l.id);
  const ours = state.layers.filter((id) => ids.includes(id));
  const top = ids.slice(ids.length - ours.length);
  if (ours.every((id, i) => top[i] === id)) return;
  for (const id of ours) map.moveLayer(id);
}

function setVisible(on) {
  for (const id of state.layers) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  for (const m of markers) m.getElement().hidden = !on;
  if (!on) popup?.remove();
}

// ---- the figures ---------------------------------------------------------------

async function loadData() {
  state.loading = true;
  state.loaded = false;
  showError(null);
  const t0 = performance.now();
  try {
    const [grids, cov, catchments, uncovered] = await Promise.all([
      getJSON('/api/v1/layers/grids'),
      getJSON('/api/v1/coverage?level=grid'),
      getJSON('/api/v1/coverage/catchments'),
      getJSON('/api/v1/coverage/uncovered'),
    ]);
    const byCode = new Map(cov.items.map((f) => [f.code, f]));
    let covered = 0;
    for (const f of grids.features) {
      const c = byCode.get(f.properties.code);
      const isCovered = !!c && c.grids_covered === 1;
      covered += isCovered ? 1 : 0;
      // Keep what the colours and the hover need; the geometry stays.
      f.properties = {
        code: f.properties.code, name: f.properties.name,
        covered: isCovered, share: c ? c.household_share : 0,
        households: c ? c.households : 0, households_covered: c ? c.households_covered : 0,
      };
    }
    map.getSource(SOURCES.grids).setData(grids);
    map.getSource(SOURCES.catchments).setData(catchments);
    map.getSource(SOURCES.uncovered).setData(uncovered);
    map.getSource(SOURCES.stations).setData({
      type: 'FeatureCollection',
      features: catchments.features.map((f) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: f.properties.point }, properties: f.properties }))
        .filter((f) => f.geometry.coordinates),
    });
    state.figures = {
      city: cov.city, target: cov.city.target, stations: cov.stations,
      grids: { covered, total: grids.features.length, drawn: grids.features.length },
      catchments: catchments.features.length,
      uncoveredBuildings: uncovered.features.length, uncoveredHouseholds: uncovered.households,
    };
    renderFigures();
    const t1 = performance.now();
    await idle();
    state.timings = { fetchMs: Math.round(t1 - t0), drawMs: Math.round(performance.now() - t1) };
    state.loaded = true;
  } catch (err) {
    showError(err);
  } finally {
    state.loading = false;
  }
}

function idle() {
  return new Promise((resolve) => {
    map.once('idle', resolve);
    map.triggerRepaint();
  });
}

function renderFigures() {
  const f = state.figures;
  if (!f || !panel) return;
  const c = f.city;
  const target = f.target || 0.7;
  panel.querySelector('.cov-figure').textContent = pct(c.grid_share);
  panel.querySelector('[data-testid="cov-target"]').textContent = `${Math.round(100 * target)}%`;
  const verdict = panel.querySelector('.cov-verdict');
  verdict.textContent = c.meets_target ? '已达标' : '未达标';
  verdict.className = `cov-verdict ${c.meets_target ? 'ok' : 'short'}`;
  panel.querySelector('.cov-fill').style.width = `${Math.min(100, 100 * c.grid_share)}%`;
  panel.querySelector('.cov-mark').style.left = `${100 * target}%`;
  panel.querySelector('.cov-detail').innerHTML =
    `已覆盖网格 <b>${fmt(c.grids_covered)}</b> / ${fmt(c.grids)} · 可达住户 <b>${pct(c.household_share)}</b>`
    + `<br>已建驿站 ${fmt(f.stations)} 处 · 未覆盖 ${fmt(f.uncoveredBuildings)} 栋 ${fmt(f.uncoveredHouseholds)} 户`;
}

// ---- siting -----------------------------------------------------------------------

async function runSiting(k) {
  k = Math.round(Number(k));
  if (!(k >= 1 && k <= 1000)) {
    showError(new Error('新增站点数应为 1–1000'));
    return null;
  }
  if (!state.on) await setOn(true);
  const run = panel.querySelector('.cov-run');
  const result = panel.querySelector('.cov-result');
  run.disabled = true;
  result.textContent = `正在为 ${k} 处新站点选址…`;
  state.siting = null;
  showError(null);
  try {
    const t0 = performance.now();
    const fc = await getJSON('/api/v1/coverage/siting', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ k }),
    });
    showSites(fc);
    const b = fc.before, a = fc.after;
    const gain = fc.features.reduce((s, f) => s + f.properties.gain_households, 0);
    state.siting = {
      k, sites: fc.features.length, gain, before: b, after: a,
      upperBound: fc.upper_bound_households, candidates: fc.candidates, ms: Math.round(performance.now() - t0),
    };
    const gap = fc.upper_bound_households > 0 ? (1 - a.households_covered / fc.upper_bound_households) : 0;
    result.innerHTML =
      `新增 <b>${fmt(fc.features.length)}</b> 处 → 覆盖率 <b>${pct(a.grid_share)}</b>`
      + `（${(100 * (a.grid_share - b.grid_share)) >= 0 ? '+' : ''}${(100 * (a.grid_share - b.grid_share)).toFixed(1)} 个百分点）`
      + `<br>新覆盖 <b>${fmt(gain)}</b> 户 · 距最优至多 ${(100 * gap).toFixed(2)}%`
      + `<br><small>候选 ${fmt(fc.candidates)} 栋楼 · 用时 ${fmt(state.siting.ms)} 毫秒</small>`;
    panel.querySelector('.cov-clear').hidden = false;
    return state.siting;
  } catch (err) {
    result.textContent = '';
    showError(err);
    return null;
  } finally {
    run.disabled = false;
  }
}

function clearSites() {
  for (const m of markers) m.remove();
  markers = [];
  popup?.remove();
  state.sites = [];
  state.siting = null;
  if (panel) {
    panel.querySelector('.cov-result').textContent = '';
    panel.querySelector('.cov-clear').hidden = true;
  }
}

function showSites(fc) {
  clearSites();
  const max = Math.max(1, ...fc.features.map((f) => f.properties.gain_households));
  for (const f of fc.features) {
    const p = f.properties;
    const el = document.createElement('button');
    el.type = 'button';
    el.className = 'cov-site';
    el.dataset.rank = p.rank;
    el.dataset.gain = p.gain_households;
    // Area in proportion to the gain, with a floor that keeps the label legible.
    const size = Math.round(26 + 34 * Math.sqrt(p.gain_households / max));
    el.style.width = el.style.height = `${size}px`;
    el.style.fontSize = `${Math.max(11, Math.round(size / 3.2))}px`;
    el.textContent = fmt(p.gain_households);
    el.title = `建议站点 #${p.rank}：新覆盖 ${p.gain_households} 户`;
    const lnglat = f.geometry.coordinates;
    const marker = new maplibregl.Marker({ element: el }).setLngLat(lnglat).addTo(map);
    el.addEventListener('click', (e) => {
      e.stopPropagation();
      popup?.remove();
      popup = new maplibregl.Popup({ className: 'cov-popup', offset: size / 2 + 4, maxWidth: '360px' })
        .setLngLat(lnglat)
        .setHTML(`<h3>建议新增站点 #${esc(p.rank)}</h3>
          <dl><dt>新覆盖住户</dt><dd><b>${fmt(p.gain_households)}</b> 户</dd>
          <dt>所在网格</dt><dd>${esc(p.grid_code)}</dd>
          <dt>选址楼栋</dt><dd>${esc(p.source)}</dd>
          <dt>位置</dt><dd>${lnglat[0].toFixed(5)}, ${lnglat[1].toFixed(5)}</dd></dl>
          <p>按选定顺序计算的新增覆盖（步行 500 米）</p>`)
        .addTo(map);
      state.popup = p.rank;
    });
    markers.push(marker);
    state.sites.push({ rank: p.rank, gain: p.gain_households, source: p.source, grid_code: p.grid_code, lnglat });
  }
}

// ---- on and off ----------------------------------------------------------------------

async function setOn(on) {
  on = !!on;
  if (!map) return;
  const t0 = performance.now();
  state.on = on;
  button.setAttribute('aria-pressed', String(on));
  button.classList.toggle('on', on);
  panel.hidden = !on;
  document.body.classList.toggle('coverage-mode', on);
  if (on) {
    addLayers();
    keepOnTop();
    setVisible(true);
    if (!state.figures && !state.loading) await loadData();
    else if (state.loading) {
      while (state.loading) await sleep(50);
    }
    if (state.timings) state.timings.toggleMs = Math.round(performance.now() - t0);
  } else {
    setVisible(false);
  }
  const u = new URL(location.href);
  if (on) u.searchParams.set('coverage', '1');
  else u.searchParams.delete('coverage');
  history.replaceState(history.state, '', u);
}

async function start() {
  map = await waitForMap();
  map.addControl(new CoverageControl(), 'top-right');
  state.ready = true;
  if (new URLSearchParams(location.search).get('coverage') === '1') await setOn(true);
}

start().catch((err) => showError(err));
