// The planner's page: each grid coloured by its deviation from its
// community's target households, the worst grids, a grid's measures, and
// plans — an automatic proposal for a community or edits by hand (move
// compounds to a neighbouring grid, split some off into a new grid) —
// shown before and after side by side on two synced maps, then applied
// after a confirmation. Everything comes from the gridmap binary itself:
// /api/v1/plan/* and /api/v1/plans/* for the planner, /api/v1/layers/* for
// context (no CDN, no web fonts, no glyphs: labels are HTML markers).
import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';

const $ = (id) => document.getElementById(id);
const abs = (p) => new URL(p, location.href).href;
const fmt = (n, d = 0) => (n == null || Number.isNaN(n) ? '—'
  : Number(n).toLocaleString('zh-CN', { minimumFractionDigits: d, maximumFractionDigits: d }));
const pct = (x, d = 1) => (x == null || Number.isNaN(x) ? '—' : `${(100 * x).toFixed(d)}%`);
const signed = (x, d = 1) => (x == null || Number.isNaN(x) ? '—' : `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(100 * x).toFixed(d)}%`);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const TOKEN_KEY = 'gridmap.planner.token';

// ---- deviation classes --------------------------------------------------

// Seven diverging classes of (households − target) / target: blue below
// the target, red above, and the ±10% band (the target) in green.
const CLASSES = [
  { label: '低于目标 30% 以上', color: '#2166ac' },
  { label: '低于 20%–30%', color: '#67a9cf' },
  { label: '低于 10%–20%', color: '#c6dbef' },
  { label: '±10% 以内（达标）', color: '#a8dc8c', band: true },
  { label: '高于 10%–20%', color: '#fcc5a8' },
  { label: '高于 20%–30%', color: '#ef8a62' },
  { label: '高于目标 30% 以上', color: '#b2182b' },
];
const NODATA = '#d5d9df';

function classOf(dev, within) {
  if (within) return 3;
  if (dev < 0) return dev < -0.3 ? 0 : dev < -0.2 ? 1 : 2;
  return dev > 0.3 ? 6 : dev > 0.2 ? 5 : 4;
}

const fillByClass = () => {
  const e = ['match', ['coalesce', ['feature-state', 'cls'], -1]];
  CLASSES.forEach((c, i) => e.push(i, c.color));
  e.push(NODATA);
  return e;
};

// Why the engine refuses an edit, in the planner's words.
const REASONS = {
  not_found: '对象不存在',
  bad_edit: '调整内容无效',
  crosses_community: '不能跨越社区边界',
  empties_grid: '会使网格没有任何小区',
  non_contiguous: '调整后网格不连通（须与目标网格相邻）',
  hole: '调整后网格会包围其他网格（形成空洞）',
  retired_code: '网格代码已注销，不得复用',
  code_in_use: '网格代码已被使用',
  bad_code: '网格代码格式不符',
  fixed_community: '该社区不可调整',
  invalid_geometry: '调整后边界无效',
  partition: '会破坏社区的网格划分（重叠或缝隙）',
};
const EDIT_KIND = { move: '移动小区', split: '拆分网格', create: '新建网格', merge: '合并网格', retire: '注销网格', assign: '自动调整', revert: '撤回' };

// ---- state ------------------------------------------------------------

const planner = {
  ready: false,
  token: '',
  authed: false,
  version: null, // the layout version in force
  summary: null, // city summary of the layout in force
  tolerance: 0.1,
  grids: null, // FeatureCollection of the grids in force
  gridFeature: new Map(), // code → feature
  measures: new Map(), // grid code → GridMeasure
  communities: new Map(), // community code → CommunityMeasure
  commFeature: new Map(), // community code → feature
  selectedGrid: null,
  community: null, // selected community code
  compounds: null, // FeatureCollection of the selected community's compounds
  compoundHH: new Map(), // compound code → households
  plan: null, // the plan being worked on (API view)
  proposal: null, // the last proposal's answer
  diff: null, // the plan's diff (GeoJSON)
  after: null, // { grids: Map code → {code,name,community,households,geometry,dev,within,cls,pp,reock,changed}, compoundGrid: Map }
  picked: new Set(), // compounds picked for an edit (their codes in force)
  pickedBy: new Map(), // compound → the building it was picked by (a click on a building)
  refusal: null, // the last refusal { reason, detail }
  applied: null, // the last apply's answer
  compare: false,
};
window.planner = planner;

// ---- HTTP -------------------------------------------------------------

async function api(path, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (planner.token) headers.Authorization = `Bearer ${planner.token}`;
  const init = { method: opts.method || 'GET', headers, cache: 'no-cache' };
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  const r = await fetch(path, init);
  let data = null;
  try { data = await r.json(); } catch (_) { /* no body */ }
  if (!r.ok) {
    const e = new Error((data && data.error) || `${path}: HTTP ${r.status}`);
    e.status = r.status;
    e.body = data;
    throw e;
  }
  return data;
}

// ---- geometry ---------------------------------------------------------

function bboxOf(geom, b = [Infinity, Infinity, -Infinity, -Infinity]) {
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      if (c[0] < b[0]) b[0] = c[0];
      if (c[1] < b[1]) b[1] = c[1];
      if (c[0] > b[2]) b[2] = c[0];
      if (c[1] > b[3]) b[3] = c[1];
    } else c.forEach(walk);
  };
  walk(geom.coordinates);
  return b;
}

function outerRing(geom) {
  if (geom.type === 'Polygon') return geom.coordinates[0];
  return geom.coordinates.reduce((best, p) => (p[0].length > best.length ? p[0] : best), []);
}

// labelPoint is a point well inside a polygon: the centroid when it falls
// inside, else the middle of the widest horizontal run through it.
function labelPoint(geom) {
  const ring = outerRing(geom);
  let a = 0, x = 0, y = 0;
  for (let i = 0; i + 1 < ring.length; i++) {
    const [x0, y0] = ring[i], [x1, y1] = ring[i + 1];
    const f = x0 * y1 - x1 * y0;
    a += f; x += (x0 + x1) * f; y += (y0 + y1) * f;
  }
  const c = Math.abs(a) < 1e-14 ? ring[0] : [x / (3 * a), y / (3 * a)];
  if (inRing(c, ring)) return c;
  const xs = [];
  for (let i = 0; i + 1 < ring.length; i++) {
    const [x0, y0] = ring[i], [x1, y1] = ring[i + 1];
    if ((y0 > c[1]) !== (y1 > c[1])) xs.push(x0 + ((c[1] - y0) * (x1 - x0)) / (y1 - y0));
  }
  xs.sort((p, q) => p - q);
  let best = null;
  for (let i = 0; i + 1 < xs.length; i += 2) if (!best || xs[i + 1] - xs[i] > best[1] - best[0]) best = [xs[i], xs[i + 1]];
  return best ? [(best[0] + best[1]) / 2, c[1]] : c;
}

function inRing([px, py], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i], [xj, yj] = ring[j];
    if ((yi > py) !== (yj > py) && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

// compactness gives the Polsby-Popper (4πA/P²) and Reock (A over the
// smallest enclosing circle) scores of a polygon the way geo/plan does: in
// a local equirectangular projection at the middle latitude of its bounds.
function compactness(geom) {
  const rings = geom.type === 'Polygon' ? geom.coordinates : geom.coordinates[0];
  if (!rings || !rings.length || rings[0].length < 4) return { area: 0, pp: 0, reock: 0 };
  const b = bboxOf(geom);
  const m = (6371008.8 * Math.PI) / 180;
  const mx = m * Math.cos((((b[1] + b[3]) / 2) * Math.PI) / 180), my = m;
  const o = rings[0][0];
  const proj = (q) => [(q[0] - o[0]) * mx, (q[1] - o[1]) * my];
  let area = 0, perim = 0;
  rings.forEach((r, k) => {
    let s = 0;
    for (let i = 0; i + 1 < r.length; i++) {
      const u = proj(r[i]), v = proj(r[i + 1]);
      s += u[0] * v[1] - v[0] * u[1];
      perim += Math.hypot(v[0] - u[0], v[1] - u[1]);
    }
    area += (k === 0 ? 1 : -1) * Math.abs(s) / 2;
  });
  const pp = perim > 0 ? (4 * Math.PI * area) / (perim * perim) : 0;
  const r = enclosingCircle(rings[0].map(proj)).r;
  return { area, pp, reock: r > 0 ? area / (Math.PI * r * r) : 0 };
}

// enclosingCircle is the smallest circle around the points (the
// incremental construction: each point outside the circle so far lies on
// the boundary of the next one).
function enclosingCircle(pts) {
  const inside = (c, p) => Math.hypot(p[0] - c.x, p[1] - c.y) <= c.r * (1 + 1e-12) + 1e-9;
  const from2 = (a, b) => ({ x: (a[0] + b[0]) / 2, y: (a[1] + b[1]) / 2, r: Math.hypot(a[0] - b[0], a[1] - b[1]) / 2 });
  const from3 = (a, b, c) => {
    const bx = b[0] - a[0], by = b[1] - a[1], cx = c[0] - a[0], cy = c[1] - a[1];
    const d = 2 * (bx * cy - by * cx);
    if (d === 0) return [from2(a, b), from2(a, c), from2(b, c)].reduce((p, q) => (q.r > p.r ? q : p));
    const ux = (cy * (bx * bx + by * by) - by * (cx * cx + cy * cy)) / d;
    const uy = (bx * (cx * cx + cy * cy) - cx * (bx * bx + by * by)) / d;
    return { x: a[0] + ux, y: a[1] + uy, r: Math.hypot(ux, uy) };
  };
  if (!pts.length) return { x: 0, y: 0, r: 0 };
  let c = { x: pts[0][0], y: pts[0][1], r: 0 };
  for (let i = 1; i < pts.length; i++) {
    if (inside(c, pts[i])) continue;
    c = { x: pts[i][0], y: pts[i][1], r: 0 };
    for (let j = 0; j < i; j++) {
      if (inside(c, pts[j])) continue;
      c = from2(pts[i], pts[j]);
      for (let k = 0; k < j; k++) if (!inside(c, pts[k])) c = from3(pts[i], pts[j], pts[k]);
    }
  }
  return c;
}

// ---- maps -------------------------------------------------------------

function baseStyle() {
  return {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#c9ced6' } }],
  };
}

function newMap(container) {
  const m = new maplibregl.Map({
    container,
    style: baseStyle(),
    center: [117.45, 34.85],
    zoom: 10,
    attributionControl: false,
    canvasContextAttributes: { preserveDrawingBuffer: true, antialias: true },
    dragRotate: false,
    pitchWithRotate: false,
  });
  m.touchZoomRotate.disableRotation();
  m.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right');
  m.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  return m;
}

planner.labelPoint = (geom) => labelPoint(geom);

const map = newMap('map');
window.map = map;
let mapAfter = null; // created when the first plan is compared
const layers = { districts: null, communities: null, stations: null };

const empty = () => ({ type: 'FeatureCollection', features: [] });

// addLayers puts the same layers on either map: land, grids coloured by
// their class, outlines, the selected community's compounds, buildings
// and roads, and stations.
function addLayers(m, grids) {
  m.addSource('districts', { type: 'geojson', data: layers.districts || empty() });
  m.addSource('communities', { type: 'geojson', data: layers.communities || empty(), promoteId: 'code' });
  m.addSource('grids', { type: 'geojson', data: grids || empty(), promoteId: 'code' });
  m.addSource('roads', { type: 'geojson', data: empty() });
  m.addSource('buildings', { type: 'geojson', data: empty() });
  m.addSource('compounds', { type: 'geojson', data: empty(), promoteId: 'code' });
  m.addSource('stations', { type: 'geojson', data: layers.stations || empty() });
  m.addSource('drawline', { type: 'geojson', data: empty() });

  m.addLayer({ id: 'districts-fill', type: 'fill', source: 'districts', paint: { 'fill-color': '#e7eaee' } });
  m.addLayer({
    id: 'grids-fill', type: 'fill', source: 'grids',
    paint: {
      'fill-color': fillByClass(),
      'fill-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], 1, 0.9],
    },
  });
  m.addLayer({ id: 'roads', type: 'line', source: 'roads', minzoom: 13, paint: { 'line-color': '#ffffff', 'line-opacity': 0.55, 'line-width': ['match', ['get', 'class'], 'main', 3, 'secondary', 2, 1] } });
  m.addLayer({ id: 'buildings', type: 'fill', source: 'buildings', minzoom: 13.5, paint: { 'fill-color': '#5b6472', 'fill-opacity': 0.28 } });
  m.addLayer({
    id: 'compounds-fill', type: 'fill', source: 'compounds', minzoom: 12,
    paint: {
      'fill-color': ['case', ['boolean', ['feature-state', 'picked'], false], '#ffb000', '#000000'],
      'fill-opacity': ['case', ['boolean', ['feature-state', 'picked'], false], 0.55, 0.001],
    },
  });
  m.addLayer({
    id: 'compounds-line', type: 'line', source: 'compounds', minzoom: 12,
    paint: {
      'line-color': ['case', ['boolean', ['feature-state', 'picked'], false], '#c77700', ['boolean', ['feature-state', 'moved'], false], '#7b1fa2', '#59616d'],
      'line-width': ['case', ['boolean', ['feature-state', 'picked'], false], 3, ['boolean', ['feature-state', 'moved'], false], 1.6, 0.6],
      'line-dasharray': [2, 1.5],
    },
  });
  m.addLayer({
    id: 'grids-line', type: 'line', source: 'grids',
    paint: {
      'line-color': '#38404c',
      'line-opacity': ['interpolate', ['linear'], ['zoom'], 10, 0.35, 14, 0.9],
      'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.3, 15, 1.6],
    },
  });
  m.addLayer({
    id: 'communities-line', type: 'line', source: 'communities', minzoom: 11.5,
    paint: { 'line-color': '#1c2430', 'line-opacity': 0.6, 'line-width': ['interpolate', ['linear'], ['zoom'], 11.5, 0.6, 15, 2.2] },
  });
  m.addLayer({
    id: 'community-selected', type: 'line', source: 'communities',
    paint: { 'line-color': '#0b57d0', 'line-width': ['case', ['boolean', ['feature-state', 'selected'], false], 3.5, 0] },
  });
  m.addLayer({
    id: 'grids-focus', type: 'line', source: 'grids', filter: ['==', ['get', 'community'], ''],
    paint: { 'line-color': '#141a22', 'line-width': ['interpolate', ['linear'], ['zoom'], 12, 1.2, 16, 3] },
  });
  m.addLayer({
    id: 'grids-selected', type: 'line', source: 'grids',
    paint: { 'line-color': '#ff6d00', 'line-width': ['case', ['boolean', ['feature-state', 'selected'], false], 4, 0] },
  });
  m.addLayer({
    id: 'stations', type: 'circle', source: 'stations', minzoom: 12.5,
    filter: ['==', ['get', 'status'], 'built'],
    paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 12.5, 3, 16, 7],
      'circle-color': ['case', ['==', ['get', 'kind'], 'community_centre'], '#d4a000', '#e65100'],
      'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5,
    },
  });
  m.addLayer({
    id: 'drawline', type: 'line', source: 'drawline', filter: ['==', ['geometry-type'], 'LineString'],
    paint: { 'line-color': '#e65100', 'line-width': 3, 'line-dasharray': [2, 1] },
  });
  m.addLayer({
    id: 'drawline-points', type: 'circle', source: 'drawline', filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-radius': 5, 'circle-color': '#ffffff', 'circle-stroke-color': '#e65100', 'circle-stroke-width': 2.5 },
  });
}

// Grid classes are feature state, set on a map for every grid.
function paintClasses(m, entries) {
  for (const [code, cls] of entries) m.setFeatureState({ source: 'grids', id: code }, { cls });
}

function setGridState(m, code, state) {
  if (m && code && m.getSource('grids')) m.setFeatureState({ source: 'grids', id: code }, state);
}

// The two maps move together.
function syncMaps(a, b) {
  let busy = false;
  const follow = (from, to) => () => {
    if (busy) return;
    busy = true;
    to.jumpTo({ center: from.getCenter(), zoom: from.getZoom(), bearing: from.getBearing(), pitch: from.getPitch() });
    busy = false;
  };
  a.on('move', follow(a, b));
  b.on('move', follow(b, a));
}

function fitBox(b, opts = {}) {
  if (!b || !(b[2] > b[0])) return;
  map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 60, maxZoom: 16.5, duration: 0, ...opts });
}

// ---- loading the layout in force ----------------------------------------

async function loadLayout() {
  const [grids, gm, cm] = await Promise.all([
    api('/api/v1/plan/grids'),
    api('/api/v1/plan/measures?level=grid'),
    api('/api/v1/plan/measures?level=community'),
  ]);
  planner.grids = grids;
  planner.gridFeature = new Map(grids.features.map((f) => [f.properties.code, f]));
  planner.measures = new Map(gm.grids.map((g) => [g.code, g]));
  planner.communities = new Map(cm.communities.map((c) => [c.code, c]));
  planner.summary = gm.summary;
  planner.tolerance = gm.summary.tolerance || 0.1;
  planner.version = gm.layout_version;
  planner.beforeClass = new Map(gm.grids.map((g) => [g.code, classOf(g.deviation, g.within_target)]));
  if (map.getSource('grids')) {
    map.getSource('grids').setData(grids);
    map.removeFeatureState({ source: 'grids' });
    paintClasses(map, planner.beforeClass);
  }
  renderSummary();
  renderLegend();
  renderWorst();
  renderCommunities();
  renderDistricts();
}

// renderDistricts sums the balance by district (a grid code starts with
// its district's 6 digits) for the overview.
function renderDistricts() {
  const names = new Map((layers.districts?.features || []).map((f) => [f.properties.code, f.properties.name]));
  const by = new Map();
  for (const g of planner.measures.values()) {
    const d = g.code.slice(0, 6);
    const x = by.get(d) || { code: d, grids: 0, within: 0, max: 0 };
    x.grids++;
    if (g.within_target) x.within++;
    x.max = Math.max(x.max, Math.abs(g.deviation));
    by.set(d, x);
  }
  const all = [...by.values()].reduce((t, d) => ({ grids: t.grids + d.grids, within: t.within + d.within, max: Math.max(t.max, d.max) }), { grids: 0, within: 0, max: 0 });
  $('districts').tBodies[0].innerHTML = `
    <tr data-district=""><td>全市</td><td>${fmt(all.grids)}</td><td class="okv">${pct(all.within / all.grids)}</td><td class="badv">${fmt(all.grids - all.within)}</td><td>${pct(all.max)}</td></tr>`
    + [...by.values()].sort((a, b) => a.code.localeCompare(b.code)).map((d) => `
    <tr data-district="${esc(d.code)}"><td>${esc(names.get(d.code) || d.code)}</td><td>${fmt(d.grids)}</td>
      <td class="okv">${pct(d.within / d.grids)}</td><td class="badv">${fmt(d.grids - d.within)}</td><td>${pct(d.max)}</td></tr>`).join('');
}

// districtLabels names each district's urban area (its grids) above it
// in the city-wide view.
function districtLabels() {
  const names = new Map((layers.districts?.features || []).map((f) => [f.properties.code, f.properties.name]));
  const boxes = new Map();
  for (const f of planner.grids.features) {
    const d = f.properties.code.slice(0, 6);
    boxes.set(d, bboxOf(f.geometry, boxes.get(d)));
  }
  for (const [d, b] of boxes) {
    const el = document.createElement('div');
    el.className = 'dlbl';
    el.textContent = names.get(d) || d;
    el.addEventListener('click', () => flyToDistrict(d));
    new maplibregl.Marker({ element: el, anchor: 'bottom' }).setLngLat([(b[0] + b[2]) / 2, b[3]]).addTo(map);
  }
  const zoomClass = () => document.body.classList.toggle('z-close', map.getZoom() >= 12);
  map.on('zoom', zoomClass);
  zoomClass();
}

function flyToDistrict(code) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of planner.grids.features) if (f.properties.code.startsWith(code)) bboxOf(f.geometry, b);
  fitBox(b, { padding: 40, duration: 800 });
}

function renderSummary() {
  const s = planner.summary;
  $('sum-version').textContent = `第 ${planner.version} 版`;
  $('sum-grids').textContent = fmt(s.grids);
  $('sum-within').textContent = `${pct(s.within_share)}`;
  $('sum-over').textContent = `${fmt(s.grids_over_tolerance)} 个`;
  $('sum-max').textContent = pct(s.max_abs_deviation);
  $('sum-pp').textContent = fmt(s.mean_polsby_popper, 3);
  $('title-before').textContent = planner.compare ? `调整前 · 现行第 ${planner.version} 版` : `现行网格 · 第 ${planner.version} 版`;
}

function renderLegend() {
  const counts = CLASSES.map(() => 0);
  for (const c of planner.beforeClass.values()) counts[c]++;
  $('legend-items').innerHTML = CLASSES.map((c, i) => `
    <div class="li${c.band ? ' band' : ''}" data-class="${i}"><i style="background:${c.color}"></i><span>${esc(c.label)}</span><span class="n">${fmt(counts[i])}</span></div>`).join('');
}

function gridShort(name) {
  const m = /第\d+网格$/.exec(name || '');
  return m ? m[0] : name;
}

function commName(code) {
  return planner.communities.get(code)?.name || code;
}

function renderWorst() {
  const worst = [...planner.measures.values()].filter((g) => !g.within_target)
    .sort((a, b) => Math.abs(b.deviation) - Math.abs(a.deviation)).slice(0, 30);
  $('worst').innerHTML = worst.map((g) => `
    <li data-code="${esc(g.code)}" tabindex="0" title="${esc(g.code)}">
      <i style="background:${CLASSES[classOf(g.deviation, false)].color}"></i>
      <span class="nm">${esc(g.name)}<small>${esc(commName(g.community))}</small></span>
      <span class="dev ${g.deviation > 0 ? 'hi' : 'lo'}">${signed(g.deviation)}</span>
      <span class="hh">${fmt(g.households)} 户</span>
    </li>`).join('');
}

function renderCommunities() {
  const q = $('comm-filter').value.trim();
  const all = [...planner.communities.values()].filter((c) => c.grids_over_tolerance > 0 && !c.fixed)
    .sort((a, b) => b.max_abs_deviation - a.max_abs_deviation);
  const shown = all.filter((c) => !q || c.name.includes(q) || c.code.startsWith(q));
  $('comm-count').textContent = `（${fmt(all.length)} 个社区有网格超出 ±10%）`;
  $('communities').innerHTML = shown.length ? '' : `<li class="none">${q ? '没有匹配的待调整社区（可能已全部达标）' : '所有社区的网格均在 ±10% 以内'}</li>`;
  $('communities').innerHTML += shown.slice(0, 200).map((c) => `
    <li data-code="${esc(c.code)}" tabindex="0" class="${c.code === planner.community ? 'on' : ''}">
      <span class="nm">${esc(c.name)}</span>
      <span class="ov">超出 ${fmt(c.grids_over_tolerance)}/${fmt(c.grids)}</span>
      <span class="dev">最大 ${pct(c.max_abs_deviation, 0)}</span>
    </li>`).join('');
}

// ---- selection ----------------------------------------------------------

function selectGrid(code, fly = false) {
  const prev = planner.selectedGrid;
  if (prev) { setGridState(map, prev, { selected: false }); setGridState(mapAfter, prev, { selected: false }); }
  planner.selectedGrid = code;
  if (!code) { $('grid-card').hidden = true; updateEmpty(); return; }
  setGridState(map, code, { selected: true });
  setGridState(mapAfter, code, { selected: true });
  const f = planner.gridFeature.get(code);
  if (fly && f) fitBox(bboxOf(f.geometry), { padding: 160, maxZoom: 15.5, duration: 800 });
  renderGridCard(code);
  const g = planner.measures.get(code);
  if (g && g.community !== planner.community) selectCommunity(g.community, false).catch(showError);
}

function renderGridCard(code) {
  const g = planner.measures.get(code);
  const card = $('grid-card');
  card.hidden = false;
  updateEmpty();
  if (!g) { card.innerHTML = `<h2>${esc(code)}</h2><p>该网格不在现行版本中。</p>`; return; }
  const cls = CLASSES[classOf(g.deviation, g.within_target)];
  const after = planner.after?.grids.get(code);
  const afterLine = after && after.changed
    ? `<div class="afterline">方案调整后：${fmt(after.households)} 户，偏差 <b class="${after.within ? 'okv' : 'badv'}">${signed(after.dev)}</b></div>` : '';
  card.dataset.grid = code;
  card.innerHTML = `
    <h2>${esc(g.name)} <button class="x" type="button" data-close="grid" aria-label="关闭">×</button></h2>
    <div class="code">${esc(g.code)} · ${esc(commName(g.community))}</div>
    <div class="devbar"><i style="background:${cls.color}"></i><span>户数偏差</span><b data-testid="grid-deviation" class="${g.within_target ? 'okv' : 'badv'}">${signed(g.deviation)}</b><small>目标 ${fmt(g.target_households)} 户/网格</small></div>
    ${afterLine}
    <table class="measures" data-testid="grid-measures">
      <tr><th>户数</th><td>${fmt(g.households)} 户</td><th>人口</th><td>${fmt(g.population)} 人</td></tr>
      <tr><th>楼栋</th><td>${fmt(g.buildings)} 栋</td><th>小区</th><td>${fmt(g.compounds)} 个</td></tr>
      <tr><th>面积</th><td>${fmt(g.area_m2 / 10000, 1)} 公顷</td><th>事件/千户</th><td title="近 90 天 ${fmt(g.incidents_90d)} 件">${fmt(g.incidents_per_1000_households, 2)}</td></tr>
      <tr><th>下沉干部</th><td>${fmt(g.cadres)} 名</td><th>户/干部</th><td>${g.cadres ? fmt(g.households_per_cadre, 0) : '无干部'}</td></tr>
      <tr><th>服务站点</th><td colspan="3">${g.has_station ? `<span class="okv">网格内有已建站点</span>（${fmt(g.built_stations)} 个已建，共 ${fmt(g.stations)} 个）` : `<span class="badv">网格内无已建站点</span>${g.stations ? `（规划 ${fmt(g.stations)} 个）` : ''}`}</td></tr>
      ${g.station_reach_share != null ? `<tr><th>站点可达</th><td colspan="3" data-testid="station-reach"><span class="${g.station_covered ? 'okv' : 'badv'}">${g.station_covered ? '已覆盖' : '未覆盖'}</span>：${pct(g.station_reach_share)} 住户步行可达已建驿站</td></tr>` : ''}
      <tr><th>Polsby-Popper</th><td>${fmt(g.polsby_popper, 3)}</td><th>Reock</th><td>${fmt(g.reock, 3)}</td></tr>
      <tr><th>连通性</th><td>${g.contiguous ? '<span class="okv">连通</span>' : '<span class="badv">不连通</span>'}</td><th>是否达标</th><td>${g.within_target ? '<span class="okv">±10% 以内</span>' : '<span class="badv">超出</span>'}</td></tr>
    </table>`;
}

async function selectCommunity(code, fly = true) {
  const prev = planner.community;
  if (prev && prev !== code) {
    for (const m of [map, mapAfter]) if (m && m.getSource('communities')) m.setFeatureState({ source: 'communities', id: prev }, { selected: false });
  }
  planner.community = code;
  for (const m of [map, mapAfter]) focusCommunity(m);
  for (const li of document.querySelectorAll('#communities li')) li.classList.toggle('on', li.dataset.code === code);
  renderCommCard();
  const cf = planner.commFeature.get(code);
  if (fly && cf) fitBox(bboxOf(cf.geometry), { padding: 70, duration: 800 });
  await loadCommunityDetail(code);
  if (planner.compare) updateAfterMap();
}

// focusCommunity outlines the selected community and its grids on a map.
function focusCommunity(m) {
  if (!m || !m.getSource('communities') || !planner.community) return;
  m.setFeatureState({ source: 'communities', id: planner.community }, { selected: true });
  m.setFilter('grids-focus', ['==', ['get', 'community'], planner.community]);
}

// loadCommunityDetail fetches the selected community's compounds,
// buildings and roads (by its bounding box) for the close-up and edits.
async function loadCommunityDetail(code) {
  const cf = planner.commFeature.get(code);
  if (!cf) return;
  const b = bboxOf(cf.geometry).map((v) => v.toFixed(6)).join(',');
  const [cps, bls, roads] = await Promise.all([
    api(`/api/v1/layers/compounds?bbox=${b}`),
    api(`/api/v1/layers/buildings?bbox=${b}`),
    api(`/api/v1/layers/roads?bbox=${b}`),
  ]);
  if (planner.community !== code) return;
  // The layers' feature ids are the long numeric codes (a building's has
  // 20 digits), beyond what a vector tile's integer id holds: drop them
  // (compounds are keyed by their code property instead).
  const strip = (fs) => fs.map(({ id, ...f }) => f);
  cps.features = strip(cps.features.filter((f) => f.properties.community_code === code));
  bls.features = strip(bls.features.filter((f) => f.properties.community_code === code));
  roads.features = strip(roads.features);
  planner.compoundHH = new Map();
  planner.compoundBuildings = new Map();
  for (const f of bls.features) {
    const k = f.properties.compound_code;
    planner.compoundHH.set(k, (planner.compoundHH.get(k) || 0) + (f.properties.households || 0));
    planner.compoundBuildings.set(k, (planner.compoundBuildings.get(k) || 0) + 1);
  }
  planner.compounds = cps;
  planner.detail = { compounds: cps, buildings: bls, roads };
  planner.picked.clear();
  for (const m of [map, mapAfter]) pushDetail(m);
  renderPicked();
  renderGridLabels();
}

// pushDetail draws the selected community's close-up layers on a map.
function pushDetail(m) {
  const d = planner.detail;
  if (!m || !d || !m.getSource('compounds')) return;
  m.removeFeatureState({ source: 'compounds' });
  m.getSource('compounds').setData(d.compounds);
  m.getSource('buildings').setData(d.buildings);
  m.getSource('roads').setData(d.roads);
}

function renderCommCard() {
  const c = planner.communities.get(planner.community);
  const card = $('comm-card');
  if (!c) { card.hidden = true; return; }
  card.hidden = false;
  updateEmpty();
  const grids = [...planner.measures.values()].filter((g) => g.community === c.code).sort((a, b) => a.code.localeCompare(b.code));
  const maxAbs = Math.max(0.3, ...grids.map((g) => Math.abs(g.deviation)));
  card.dataset.community = c.code;
  card.innerHTML = `
    <h2>${esc(c.name)}</h2>
    <div class="code">${esc(c.code)} · ${fmt(c.grids)} 个网格 · ${fmt(c.households)} 户 · 目标 ${fmt(c.target_households)} 户/网格</div>
    <div class="commfigs">
      <div>超出 ±10%<b class="${c.grids_over_tolerance ? 'badv' : 'okv'}">${fmt(c.grids_over_tolerance)}</b></div>
      <div>最大偏差<b>${pct(c.max_abs_deviation)}</b></div>
      <div>平均偏差<b>${pct(c.mean_abs_deviation)}</b></div>
      <div>平均 PP<b>${fmt(c.mean_polsby_popper, 3)}</b></div>
    </div>
    ${c.fixed ? `<p class="badv">该社区不可调整：${esc(c.fixed)}</p>` : ''}
    <ul class="gridbars">${grids.map((g) => {
      const w = Math.min(50, (50 * Math.abs(g.deviation)) / maxAbs);
      return `<li data-code="${esc(g.code)}" class="${g.code === planner.selectedGrid ? 'on' : ''}"><span class="nm">${esc(gridShort(g.name))}</span><span class="bar"><i class="${g.deviation < 0 ? 'lo' : 'hi'}" style="${g.deviation < 0 ? `right:50%;width:${w}%` : `left:50%;width:${w}%`};background:${CLASSES[classOf(g.deviation, g.within_target)].color}"></i><b class="band" style="left:${50 - (50 * planner.tolerance) / maxAbs}%;width:${(100 * planner.tolerance) / maxAbs}%"></b></span><span class="v">${fmt(g.households)} 户 ${signed(g.deviation, 0)}</span></li>`;
    }).join('')}</ul>
    <div class="row">
      <label for="seed">随机种子</label><input id="seed" type="number" min="0" value="1" step="1">
      <button id="btn-propose" class="primary" type="button" ${c.fixed ? 'disabled' : ''}>生成均衡方案</button>
      <button id="btn-manual" type="button" ${c.fixed ? 'disabled' : ''}>手动调整</button>
    </div>`;
}

function updateEmpty() {
  $('detail-empty').hidden = !($('grid-card').hidden && $('comm-card').hidden && $('plan-card').hidden && $('applied').hidden);
}

// ---- grid labels (HTML markers: no glyphs needed) -------------------------

const labelMarkers = { before: [], after: [] };

function renderGridLabels() {
  for (const k of ['before', 'after']) { labelMarkers[k].forEach((mk) => mk.remove()); labelMarkers[k] = []; }
  const code = planner.community;
  if (!code) return;
  const put = (m, list, geom, cls, html) => {
    const el = document.createElement('div');
    el.className = `glbl c${cls}`;
    el.innerHTML = html;
    list.push(new maplibregl.Marker({ element: el }).setLngLat(labelPoint(geom)).addTo(m));
  };
  for (const g of planner.measures.values()) {
    if (g.community !== code) continue;
    const f = planner.gridFeature.get(g.code);
    if (f) put(map, labelMarkers.before, f.geometry, classOf(g.deviation, g.within_target), `<b>${esc(gridShort(g.name))}</b>${fmt(g.households)} 户 ${signed(g.deviation, 0)}`);
  }
  if (mapAfter && planner.after) {
    for (const a of planner.after.grids.values()) {
      if (a.community !== code) continue;
      put(mapAfter, labelMarkers.after, a.geometry, a.cls, `<b>${esc(gridShort(a.name))}</b>${fmt(a.households)} 户 ${signed(a.dev, 0)}`);
    }
  }
}

// ---- plans ------------------------------------------------------------

function needToken() {
  if (planner.authed) return false;
  showLogin('请先以规划人员身份登录，再新建或调整方案。');
  return true;
}

async function ensurePlan() {
  if (planner.plan && planner.plan.status === 'draft') return planner.plan;
  const c = planner.communities.get(planner.community);
  const stamp = new Date().toLocaleString('zh-CN', { hour12: false });
  planner.plan = await api('/api/v1/plans', { method: 'POST', body: { name: `${c ? c.name : '网格'}调整方案 ${stamp}` } });
  planner.proposal = null;
  planner.refusal = null;
  $('applied').hidden = true;
  return planner.plan;
}

async function busy(text, fn) {
  $('busy-text').textContent = text;
  $('busy').hidden = false;
  planner.busy = true;
  try { return await fn(); } finally { $('busy').hidden = true; planner.busy = false; }
}

async function runProposal() {
  if (needToken() || !planner.community) return;
  const seed = Math.max(0, Math.floor(Number($('seed')?.value) || 0));
  await busy('正在计算均衡方案…', async () => {
    const p = await ensurePlan();
    const r = await api(`/api/v1/plans/${encodeURIComponent(p.id)}/propose`, { method: 'POST', body: { communities: [planner.community], seed } });
    planner.proposal = { ...r.proposal, community: planner.community, seed };
    planner.refusal = null;
    await refreshPlan();
    await enterCompare();
  });
  toast(`已生成方案：移动 ${fmt(planner.proposal.moved_households)} 户（${fmt(planner.proposal.moves.length)} 个小区）`);
}

async function startManual() {
  if (needToken() || !planner.community) return;
  await busy('正在新建方案…', async () => {
    await ensurePlan();
    await refreshPlan();
    await enterCompare();
  });
  toast('已新建方案：在右图点选小区进行调整');
}

// refreshPlan reads the plan and its diff and derives the layout after it.
async function refreshPlan() {
  const id = encodeURIComponent(planner.plan.id);
  const [view, diff] = await Promise.all([api(`/api/v1/plans/${id}`), api(`/api/v1/plans/${id}/diff`)]);
  planner.plan = view;
  planner.diff = diff;
  planner.after = deriveAfter(diff);
  renderPlanCard();
  if (planner.compare) updateAfterMap();
  if (planner.selectedGrid) renderGridCard(planner.selectedGrid);
}

// deriveAfter is the layout after the plan: the grids in force with the
// diff's changed, created and retired grids, each community's target its
// mean households per grid after, and which grid each compound ends in.
function deriveAfter(diff) {
  const changed = new Map();
  for (const f of diff.features) {
    const p = f.properties;
    changed.set(p.code, p.change === 'retired' ? null : { ...p.after, geometry: f.geometry, change: p.change });
  }
  const grids = new Map();
  for (const f of planner.grids.features) {
    const code = f.properties.code;
    if (changed.has(code)) continue;
    const m = planner.measures.get(code);
    grids.set(code, {
      code, name: f.properties.name, community: f.properties.community, households: f.properties.households,
      geometry: f.geometry, pp: m?.polsby_popper, reock: m?.reock, contiguous: m ? m.contiguous : true, changed: false,
    });
  }
  for (const [code, a] of changed) {
    if (!a) continue;
    const c = compactness(a.geometry);
    grids.set(code, {
      code, name: a.name, community: code.slice(0, 12), households: a.households, geometry: a.geometry,
      pp: c.pp, reock: c.reock, contiguous: a.geometry.type === 'Polygon', changed: true, created: a.change === 'created', compounds: a.compounds,
    });
  }
  // Targets: the communities the plan touches get their mean after; the
  // others keep the figures in force.
  const touched = new Set([...changed.keys()].map((c) => c.slice(0, 12)));
  const sums = new Map();
  for (const g of grids.values()) {
    if (!touched.has(g.community)) continue;
    const s = sums.get(g.community) || { hh: 0, n: 0 };
    s.hh += g.households; s.n++;
    sums.set(g.community, s);
  }
  const tol = planner.tolerance;
  for (const g of grids.values()) {
    if (touched.has(g.community)) {
      const s = sums.get(g.community);
      g.target = s.hh / s.n;
      g.dev = (g.households - g.target) / g.target;
      g.within = Math.abs(g.dev) <= tol + 1e-12;
    } else {
      const m = planner.measures.get(g.code);
      g.target = m?.target_households;
      g.dev = m?.deviation;
      g.within = m?.within_target;
    }
    g.cls = classOf(g.dev, g.within);
  }
  // Compounds: the diff names them by their codes after (a compound that
  // changes grid is re-coded); follow_through says which code each had.
  const origin = new Map();
  for (const r of diff.follow_through?.compounds || []) origin.set(r.code, r.id);
  const compoundGrid = new Map();
  for (const [code, a] of changed) {
    if (!a) continue;
    for (const cp of a.compounds || []) compoundGrid.set(origin.get(cp) || cp, code);
  }
  return { grids, compoundGrid, touched, retired: [...changed].filter(([, a]) => !a).map(([c]) => c) };
}

function afterGridOf(compound) {
  const f = planner.compounds?.features.find((x) => x.properties.code === compound);
  return planner.after?.compoundGrid.get(compound) || f?.properties.grid_code;
}

// scopeFigures sums one side of the comparison over the communities shown.
function scopeFigures(list) {
  const n = list.length;
  const s = { grids: n, households: 0, over: 0, max: 0, mean: 0, pp: 0, reock: 0, noncontig: 0 };
  for (const g of list) {
    s.households += g.households;
    const a = Math.abs(g.dev);
    if (!g.within) s.over++;
    if (a > s.max) s.max = a;
    s.mean += a / n;
    s.pp += (g.pp || 0) / n;
    s.reock += (g.reock || 0) / n;
    if (!g.contiguous) s.noncontig++;
  }
  return s;
}

function compareScope() {
  const set = new Set(planner.after ? planner.after.touched : []);
  if (planner.community) set.add(planner.community);
  return set;
}

function renderPlanCard() {
  const p = planner.plan;
  const card = $('plan-card');
  if (!p) { card.hidden = true; updateEmpty(); return; }
  card.hidden = false;
  updateEmpty();
  card.dataset.plan = p.id;
  $('plan-name').textContent = p.name;
  const ft = planner.diff?.follow_through || {};
  $('plan-meta').innerHTML = `
    <span>编号 ${esc(p.id)}</span><span>基于第 ${fmt(p.base_version)} 版</span>
    <span>${p.status === 'draft' ? '草案' : '已应用'}</span><span>变更网格 <b>${fmt(p.grids_changed)}</b> 个</span>
    ${p.stale ? '<span class="badv">现行版本已更新，本方案需重做</span>' : ''}
    ${(ft.cadres || []).length ? `<span>干部调整 ${fmt(ft.cadres.length)} 名</span>` : ''}
    ${(ft.stations || []).length ? `<span>站点改属 ${fmt(ft.stations.length)} 个</span>` : ''}
    ${(ft.incidents || []).length ? `<span>在办事件改派 ${fmt(ft.incidents.length)} 件</span>` : ''}
    ${coverageText(planner.diff?.coverage)}`;
  const rf = planner.refusal;
  $('refusal').hidden = !rf;
  if (rf) requestAnimationFrame(() => $('refusal').scrollIntoView({ block: 'nearest' }));
  $('refusal').innerHTML = rf ? `<b>调整被拒绝：</b><span data-testid="refusal-reason">${esc(REASONS[rf.reason] || rf.reason)}</span> <code>${esc(rf.reason)}</code><div class="detail">${esc(rf.detail || rf.error || '')}</div>` : '';

  // Before and after, over the communities the plan touches.
  const scope = compareScope();
  const before = [...planner.measures.values()].filter((g) => scope.has(g.community))
    .map((g) => ({ code: g.code, name: g.name, community: g.community, households: g.households, dev: g.deviation, within: g.within_target, pp: g.polsby_popper, reock: g.reock, contiguous: g.contiguous }));
  const after = planner.after ? [...planner.after.grids.values()].filter((g) => scope.has(g.community)) : before;
  const b = scopeFigures(before), a = scopeFigures(after);
  planner.figures = { before: b, after: a };
  const row = (label, x, y, f, better) => {
    const cls = x === y ? '' : better(x, y) ? 'up' : 'down';
    return `<tr><th>${label}</th><td>${f(x)}</td><td class="${cls}">${f(y)}</td></tr>`;
  };
  const lower = (x, y) => y < x, higher = (x, y) => y > x;
  const prop = planner.proposal;
  const byCode = new Map(before.map((g) => [g.code, g]));
  const codes = [...new Set([...before.map((g) => g.code), ...after.map((g) => g.code)])].sort();
  const afterBy = new Map(after.map((g) => [g.code, g]));
  $('plan-compare').innerHTML = `
    ${prop ? propNote(prop) : ''}
    <table class="cmp" data-testid="compare-summary">
      <thead><tr><th>${scope.size > 1 ? `${fmt(scope.size)} 个社区` : esc(commName([...scope][0]))}</th><th>调整前</th><th>调整后</th></tr></thead>
      <tbody>
        ${row('网格数', b.grids, a.grids, fmt, () => true)}
        ${row('超出 ±10% 网格', b.over, a.over, fmt, lower)}
        ${row('最大偏差', b.max, a.max, pct, lower)}
        ${row('平均偏差', b.mean, a.mean, pct, lower)}
        ${row('平均 Polsby-Popper', b.pp, a.pp, (x) => fmt(x, 3), higher)}
        ${row('平均 Reock', b.reock, a.reock, (x) => fmt(x, 3), higher)}
        ${row('不连通网格', b.noncontig, a.noncontig, fmt, lower)}
      </tbody>
    </table>
    <table class="cmp grids" data-testid="compare-grids">
      <thead><tr><th>网格</th><th>户数 前 → 后</th><th>偏差 前 → 后</th></tr></thead>
      <tbody>${codes.map((code) => {
        const x = byCode.get(code), y = afterBy.get(code);
        const dv = (g) => (g ? `<span class="${g.within ? 'okv' : 'badv'}">${signed(g.dev, 1)}</span>` : '—');
        return `<tr data-code="${esc(code)}" class="${y && y.changed ? 'chg' : ''}${!y ? ' gone' : ''}"><td>${esc(gridShort((y || x).name))}${y?.created ? ' <small>新建</small>' : ''}${!y ? ' <small>注销</small>' : ''}</td>
          <td>${x ? fmt(x.households) : '—'} → ${y ? fmt(y.households) : '—'}</td><td>${dv(x)} → ${dv(y)}</td></tr>`;
      }).join('')}</tbody>
    </table>`;

  // What moved: compounds whose grid differs after the plan.
  const moves = [];
  for (const f of planner.compounds?.features || []) {
    const from = f.properties.grid_code, to = afterGridOf(f.properties.code);
    if (to && to !== from) moves.push({ code: f.properties.code, name: f.properties.name, from, to, hh: planner.compoundHH.get(f.properties.code) || 0 });
  }
  planner.moves = moves;
  const gname = (c) => gridShort(planner.after?.grids.get(c)?.name || planner.measures.get(c)?.name || c);
  // The proposal's reassignments: who the moved households leave and join.
  const reassign = new Map((prop?.moves || []).filter((m) => m.reassign).map((m) => [m.compound, m.reassign]));
  $('plan-moves').innerHTML = moves.length ? `
    <h3>变动的小区 <small>${fmt(moves.length)} 个，${fmt(moves.reduce((s, m) => s + m.hh, 0))} 户</small></h3>
    <ul class="moves" data-testid="moves">${moves.map((m) => {
      const r = reassign.get(m.code);
      return `<li data-compound="${esc(m.code)}"><div class="mv"><span class="nm">${esc(m.name)}</span><span>${esc(gname(m.from))} → <b>${esc(gname(m.to))}</b></span><span class="hh">${fmt(m.hh)} 户</span></div>${r ? `
        <div class="handover" data-testid="reassign" data-before="${r.before.length}" data-after="${r.after.length}"><span class="lbl">交出</span>${people(r.before)}<br><span class="lbl">接手</span>${people(r.after)}</div>` : ''}</li>`;
    }).join('')}</ul>`
    : '<p class="muted">本社区尚无小区变动。</p>';
  $('plan-edits').innerHTML = p.edits.length ? `<h3>调整记录</h3><ol class="edits">${p.edits.map((e) => `<li>${esc(EDIT_KIND[e.kind] || e.kind)}${editText(e)}</li>`).join('')}</ol>` : '';
  $('btn-apply').disabled = !(p.status === 'draft' && p.grids_changed > 0);
  renderPicked();
}

// propNote sums up a proposal: what it disturbs against the lower bound.
function propNote(prop) {
  const d = prop.disruption || {};
  const b = d.bound || {};
  return `<div class="propnote" data-testid="propnote">自动方案（${esc(commName(prop.community))}，种子 ${fmt(prop.seed)}，${fmt(prop.steps)} 步）：移动 <b data-testid="moved-hh">${fmt(d.households_moved ?? prop.moved_households)}</b> 户、${fmt(d.compounds_moved ?? prop.moves.length)} 个小区，涉及 ${fmt(d.grids_touched ?? 0)} 个网格；
    至少须移动 ${fmt(b.households ?? 0)} 户（超出 +10% 与不足 −10% 的户数取大者），为下限的 <b data-testid="ratio">${b.households ? fmt(d.ratio_to_bound, 2) : '—'}</b> 倍；用时 ${fmt(prop.elapsed_ms, 0)} 毫秒${prop.timed_out ? '（已到时限）' : ''}${prop.unsolved?.length ? `；<span class="badv">仍有社区未能全部达标</span>` : ''}</div>`;
}

const ROLE_NAMES = { grid_head: '网格长', grid_worker: '网格员', cadre: '下沉干部' };

// people lists the people of one side of a reassignment.
function people(list) {
  if (!list.length) return '<span class="muted">无</span>';
  return list.map((a) => `<span class="who" title="${esc(a.title || '')}">${esc(ROLE_NAMES[a.role] || a.role)} ${esc(a.name)}${a.id ? ` <small>${esc(a.id)}</small>` : ''}</span>`).join('、');
}

function editText(e) {
  if (e.kind === 'assign') return `：${fmt(Object.keys(e.assign || {}).length)} 个小区`;
  if (e.kind === 'move') return `：${fmt((e.compounds || []).length + (e.buildings || []).length)} 个小区${(e.buildings || []).length ? '（按楼栋点选）' : ''} → ${esc(e.to)}`;
  if ((e.kind === 'split' || e.kind === 'create') && e.line) return `：${esc(e.grid)} 沿画线（${fmt(e.line.length)} 点）拆分`;
  if (e.kind === 'split' || e.kind === 'create') return `：${esc(e.grid)} 拆出 ${fmt((e.compounds || []).length + (e.buildings || []).length)} 个小区${e.code ? `（${esc(e.code)}）` : ''}`;
  if (e.kind === 'merge') return `：${esc(e.grid)} 并入 ${esc(e.with)}`;
  return '';
}

// ---- picking compounds and edits ------------------------------------------

// togglePick picks a compound, or drops it; building names the building
// clicked, if any — the edit then names the compound by it (the engine
// moves the whole compound a building stands in).
function togglePick(code, building) {
  if (!planner.plan || planner.plan.status !== 'draft') return;
  const on = !planner.picked.has(code);
  if (on) planner.picked.add(code); else planner.picked.delete(code);
  if (on && building) planner.pickedBy.set(code, building); else planner.pickedBy.delete(code);
  for (const m of [map, mapAfter]) if (m) m.setFeatureState({ source: 'compounds', id: code }, { picked: on });
  renderPicked();
}

function clearPicks() {
  for (const code of planner.picked) for (const m of [map, mapAfter]) if (m) m.setFeatureState({ source: 'compounds', id: code }, { picked: false });
  planner.picked.clear();
  planner.pickedBy.clear();
  renderPicked();
}

function buildingLabel(code) {
  const f = planner.detail?.buildings.features.find((x) => x.properties.code === code);
  return f && f.properties.building_number ? `${f.properties.building_number}号楼` : code;
}

function renderPicked() {
  const picked = [...planner.picked];
  const byCode = new Map((planner.compounds?.features || []).map((f) => [f.properties.code, f.properties]));
  const grids = new Set(picked.map(afterGridOf));
  const gname = (c) => gridShort(planner.after?.grids.get(c)?.name || planner.measures.get(c)?.name || c);
  $('picked').innerHTML = picked.length
    ? `已选 <b>${fmt(picked.length)}</b> 个小区（${fmt(picked.reduce((s, c) => s + (planner.compoundHH.get(c) || 0), 0))} 户）：${picked.map((c) => `<span class="tag" data-compound="${esc(c)}">${esc(byCode.get(c)?.name || c)}${planner.pickedBy.has(c) ? `<small>（点选楼栋 ${esc(buildingLabel(planner.pickedBy.get(c)))}）</small>` : ''} <small>${esc(gname(afterGridOf(c)))}</small></span>`).join('')}`
    : '尚未选择小区';
  const sel = $('move-to');
  const keep = sel.value;
  const options = planner.after ? [...planner.after.grids.values()].filter((g) => g.community === planner.community).sort((a, b) => a.code.localeCompare(b.code)) : [];
  sel.innerHTML = options.map((g) => `<option value="${esc(g.code)}"${grids.size === 1 && grids.has(g.code) ? ' disabled' : ''}>${esc(gridShort(g.name))}（${fmt(g.households)} 户，${signed(g.dev, 0)}）</option>`).join('');
  if (keep && options.some((g) => g.code === keep)) sel.value = keep;
  if (sel.selectedOptions[0]?.disabled) sel.value = options.find((g) => !grids.has(g.code))?.code || '';
  $('btn-move').disabled = !picked.length;
  $('btn-split').disabled = !picked.length || grids.size !== 1;
  $('btn-clear-pick').disabled = !picked.length;
  $('btn-split').title = grids.size > 1 ? '拆分时所选小区须属于同一网格' : '';
}

async function postEdit(edit) {
  if (needToken()) return;
  const id = encodeURIComponent(planner.plan.id);
  try {
    const r = await busy('正在校验调整…', () => api(`/api/v1/plans/${id}/edits`, { method: 'POST', body: edit }));
    planner.refusal = null;
    clearPicks();
    await refreshPlan(); // sets planner.plan and what follows from it together
    const res = r.results?.[0] || {};
    toast(edit.kind === 'move' ? `已移动 ${fmt(res.moved_households)} 户` : `已拆分出新网格 ${(res.created || []).join('、')}`);
    planner.lastResult = res;
  } catch (err) {
    if (err.status === 422 && err.body) {
      planner.refusal = { reason: err.body.reason, detail: err.body.detail, error: err.body.error, edit };
      renderPlanCard();
      return;
    }
    throw err;
  }
}

// ---- a split along a drawn line -------------------------------------------

function startDraw() {
  if (!mapAfter || !planner.plan || planner.plan.status !== 'draft') return;
  clearPicks();
  planner.drawing = { points: [] };
  document.body.classList.add('drawing');
  mapAfter.doubleClickZoom.disable();
  renderDraw();
}

function stopDraw() {
  planner.drawing = null;
  document.body.classList.remove('drawing');
  if (mapAfter) {
    mapAfter.getSource('drawline')?.setData(empty());
    setTimeout(() => mapAfter.doubleClickZoom.enable(), 0);
  }
  renderDraw();
}

function addDrawPoint(p) {
  const pts = planner.drawing.points;
  const last = pts[pts.length - 1];
  if (last && Math.abs(last[0] - p[0]) < 1e-9 && Math.abs(last[1] - p[1]) < 1e-9) return; // the second click of a double click
  pts.push(p);
  renderDraw();
}

function renderDraw() {
  const d = planner.drawing;
  for (const id of ['btn-draw-done', 'btn-draw-cancel', 'draw-hint']) $(id).hidden = !d;
  $('btn-draw').hidden = !!d;
  $('btn-draw-done').disabled = !d || d.points.length < 2;
  if (!d || !mapAfter) return;
  const fs = d.points.map((p) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: p }, properties: {} }));
  if (d.points.length > 1) fs.push({ type: 'Feature', geometry: { type: 'LineString', coordinates: d.points }, properties: {} });
  mapAfter.getSource('drawline').setData({ type: 'FeatureCollection', features: fs });
}

// lineGrid is the grid (after the plan) a drawn line runs through the
// longest: the one the split is for.
function lineGrid(line) {
  const count = new Map();
  const grids = [...planner.after.grids.values()].filter((g) => g.community === planner.community);
  for (let i = 0; i + 1 < line.length; i++) {
    for (let k = 0; k <= 40; k++) {
      const t = k / 40;
      const p = [line[i][0] + t * (line[i + 1][0] - line[i][0]), line[i][1] + t * (line[i + 1][1] - line[i][1])];
      const g = grids.find((x) => inRing(p, outerRing(x.geometry)));
      if (g) count.set(g.code, (count.get(g.code) || 0) + 1);
    }
  }
  let best = null;
  for (const [code, n] of count) if (!best || n > best[1]) best = [code, n];
  return best && best[0];
}

function finishDraw() {
  const d = planner.drawing;
  if (!d || d.points.length < 2) return;
  const line = d.points.map(([x, y]) => [Number(x.toFixed(7)), Number(y.toFixed(7))]);
  const grid = lineGrid(line);
  stopDraw();
  if (!grid) {
    planner.refusal = { reason: 'bad_edit', detail: '拆分线没有经过本社区的任何网格' };
    renderPlanCard();
    return;
  }
  return postEdit({ kind: 'split', grid, line });
}

function moveEdit() {
  const to = $('move-to').value;
  if (!planner.picked.size || !to) return;
  return postEdit({ kind: 'move', ...pickedUnits(), to });
}

// pickedUnits names the picked compounds for an edit: by the building
// clicked where there was one, else by the compound's code.
function pickedUnits() {
  const compounds = [], buildings = [];
  for (const c of planner.picked) {
    if (planner.pickedBy.has(c)) buildings.push(planner.pickedBy.get(c));
    else compounds.push(c);
  }
  const out = {};
  if (compounds.length) out.compounds = compounds;
  if (buildings.length) out.buildings = buildings;
  return out;
}

function splitEdit() {
  const picked = [...planner.picked];
  const grids = new Set(picked.map(afterGridOf));
  if (grids.size !== 1) return;
  return postEdit({ kind: 'split', grid: [...grids][0], ...pickedUnits() });
}

// ---- before / after --------------------------------------------------------

async function enterCompare() {
  planner.compare = true;
  document.body.classList.add('compare');
  $('btn-close-plan').textContent = '关闭对比';
  $('map-after-pane').hidden = false;
  map.resize();
  if (!mapAfter) {
    mapAfter = newMap('map-after');
    window.mapAfter = mapAfter;
    mapAfter.jumpTo({ center: map.getCenter(), zoom: map.getZoom() });
    await new Promise((resolve) => mapAfter.once('load', resolve));
    addLayers(mapAfter, null);
    syncMaps(map, mapAfter);
    wireMapEvents(mapAfter, true);
    mapAfter.on('dblclick', (e) => {
      if (!planner.drawing) return;
      e.preventDefault();
      finishDraw()?.catch(showError);
    });
    pushDetail(mapAfter);
  } else {
    mapAfter.resize();
  }
  focusCommunity(mapAfter);
  updateAfterMap();
  renderSummary();
  const cf = planner.commFeature.get(planner.community);
  if (cf) fitBox(bboxOf(cf.geometry), { padding: 50 });
}

function exitCompare() {
  if (planner.drawing) stopDraw();
  planner.compare = false;
  document.body.classList.remove('compare');
  $('btn-close-plan').textContent = '显示对比';
  $('map-after-pane').hidden = true;
  map.resize();
  renderSummary();
  renderGridLabels();
}

function updateAfterMap() {
  if (!mapAfter || !planner.after || !mapAfter.getSource('grids')) return;
  const fc = { type: 'FeatureCollection', features: [] };
  for (const g of planner.after.grids.values()) {
    fc.features.push({ type: 'Feature', geometry: g.geometry, properties: { code: g.code, name: g.name, community: g.community, households: g.households } });
  }
  mapAfter.getSource('grids').setData(fc);
  mapAfter.removeFeatureState({ source: 'grids' });
  for (const g of planner.after.grids.values()) {
    mapAfter.setFeatureState({ source: 'grids', id: g.code }, { cls: g.cls, changed: g.changed });
  }
  if (planner.selectedGrid) setGridState(mapAfter, planner.selectedGrid, { selected: true });
  for (const f of planner.compounds?.features || []) {
    const code = f.properties.code;
    const moved = afterGridOf(code) !== f.properties.grid_code;
    mapAfter.setFeatureState({ source: 'compounds', id: code }, { moved, picked: planner.picked.has(code) });
  }
  $('title-after').textContent = `调整后 · 方案草案（${fmt(planner.plan?.grids_changed)} 个网格变更）`;
  renderGridLabels();
}

// ---- apply ------------------------------------------------------------

// coverageText says how the plan changes station coverage: the built
// stations reach the same buildings, which now count for other grids.
function coverageText(cov) {
  if (!cov) return '';
  const grids = cov.grids || [];
  const gained = grids.filter((g) => g.covered_after && !g.covered_before).length;
  const lost = grids.filter((g) => g.covered_before && !g.covered_after).length;
  const d = cov.after.grids_covered - cov.before.grids_covered;
  const cls = d > 0 ? 'okv' : d < 0 ? 'badv' : '';
  return `<span data-testid="plan-coverage">站点覆盖网格 ${fmt(cov.before.grids_covered)} → <b class="${cls}">${fmt(cov.after.grids_covered)}</b>`
    + `${gained || lost ? `（新增覆盖 ${fmt(gained)}，失去覆盖 ${fmt(lost)}）` : ''}</span>`;
}

function confirmApply() {
  const p = planner.plan;
  if (!p) return;
  const ft = planner.diff?.follow_through || {};
  const f = planner.figures;
  $('confirm-body').innerHTML = `
    <p>方案：<b>${esc(p.name)}</b></p>
    <ul>
      <li>变更网格 <b>${fmt(p.grids_changed)}</b> 个，变动小区 ${fmt((planner.moves || []).length)} 个</li>
      ${f ? `<li>超出 ±10% 的网格：${fmt(f.before.over)} → <b>${fmt(f.after.over)}</b>；最大偏差 ${pct(f.before.max)} → <b>${pct(f.after.max)}</b></li>` : ''}
      <li>干部调整 ${fmt((ft.cadres || []).length)} 名，站点改属 ${fmt((ft.stations || []).length)} 个，在办事件改派 ${fmt((ft.incidents || []).length)} 件，小区重新编码 ${fmt((ft.compounds || []).length)} 个</li>
      ${planner.diff?.coverage ? `<li>${coverageText(planner.diff.coverage)}</li>` : ''}
    </ul>`;
  const dlg = $('confirm');
  dlg.returnValue = '';
  dlg.showModal();
}

async function applyPlan() {
  const p = planner.plan;
  const r = await busy('正在应用方案…', () => api(`/api/v1/plans/${encodeURIComponent(p.id)}/apply`, { method: 'POST', body: {} }));
  planner.applied = r;
  planner.plan = null;
  planner.proposal = null;
  planner.after = null;
  planner.diff = null;
  planner.refusal = null;
  exitCompare();
  renderPlanCard();
  await busy('正在载入新版本…', async () => {
    await loadLayout();
    if (planner.community) {
      renderCommCard();
      await loadCommunityDetail(planner.community);
    }
    if (planner.selectedGrid) {
      if (planner.measures.has(planner.selectedGrid)) renderGridCard(planner.selectedGrid);
      else selectGrid(null);
    }
  });
  const box = $('applied');
  box.hidden = false;
  box.innerHTML = `<b>方案已应用</b>：现行版本为 <b data-testid="applied-version">第 ${fmt(r.version)} 版</b>，变更网格 ${fmt(r.grids_changed)} 个${(r.retired || []).length ? `，注销代码 ${r.retired.map(esc).join('、')}` : ''}。<button class="x" type="button" data-close="applied" aria-label="关闭">×</button>`;
  updateEmpty();
  toast(`方案已应用，现行第 ${r.version} 版`);
}

// ---- login ------------------------------------------------------------

function showLogin(msg = '') {
  $('login-error').textContent = msg;
  $('login').hidden = false;
  setTimeout(() => $('login-token').focus(), 0);
}

async function useToken(token) {
  planner.token = token;
  try {
    await api('/api/v1/plans');
    planner.authed = true;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('login').hidden = true;
    $('who-name').textContent = '规划人员（已登录）';
    $('logout').hidden = false;
    return true;
  } catch (err) {
    planner.token = '';
    planner.authed = false;
    sessionStorage.removeItem(TOKEN_KEY);
    const why = err.status === 401 ? '令牌无效或已撤销' : err.status === 403 ? '该令牌没有规划权限' : `登录失败：${err.message}`;
    showLogin(why);
    return false;
  }
}

function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
  planner.token = '';
  planner.authed = false;
  $('who-name').textContent = '未登录';
  $('logout').hidden = true;
  showLogin();
}

// ---- events -------------------------------------------------------------

function wireMapEvents(m, isAfter) {
  let hovered = null;
  m.on('mousemove', 'grids-fill', (e) => {
    const f = e.features && e.features[0];
    if (!f) return;
    const code = f.properties.code;
    if (hovered !== code) {
      if (hovered) m.setFeatureState({ source: 'grids', id: hovered }, { hover: false });
      hovered = code;
      m.setFeatureState({ source: 'grids', id: code }, { hover: true });
    }
    const g = isAfter ? planner.after?.grids.get(code) : null;
    const mm = planner.measures.get(code);
    const hh = g ? g.households : mm?.households;
    const dev = g ? g.dev : mm?.deviation;
    m.getCanvas().style.cursor = 'pointer';
    const tip = $('tip');
    const r = m.getContainer().getBoundingClientRect();
    tip.hidden = false;
    tip.innerHTML = `${esc(f.properties.name)}　<b>${fmt(hh)}</b> 户　偏差 <b>${signed(dev)}</b>${isAfter ? '<small>（调整后）</small>' : ''}`;
    tip.style.left = `${r.left + e.point.x + 14}px`;
    tip.style.top = `${r.top + e.point.y + 14}px`;
  });
  m.on('mouseleave', 'grids-fill', () => {
    if (hovered) m.setFeatureState({ source: 'grids', id: hovered }, { hover: false });
    hovered = null;
    m.getCanvas().style.cursor = '';
    $('tip').hidden = true;
  });
  m.on('click', (e) => {
    if (planner.drawing) {
      if (isAfter) addDrawPoint([e.lngLat.lng, e.lngLat.lat]);
      return;
    }
    const editing = planner.plan && planner.plan.status === 'draft' && isAfter;
    const bl = editing ? m.queryRenderedFeatures(e.point, { layers: ['buildings'] }) : [];
    if (bl.length) { togglePick(bl[0].properties.compound_code, bl[0].properties.code); return; }
    const cps = editing ? m.queryRenderedFeatures(e.point, { layers: ['compounds-fill'] }) : [];
    if (cps.length) { togglePick(cps[0].properties.code); return; }
    const gs = m.queryRenderedFeatures(e.point, { layers: ['grids-fill'] });
    if (!gs.length) return;
    const code = gs[0].properties.code;
    if (planner.measures.has(code)) selectGrid(code);
  });
}

function wireEvents() {
  wireMapEvents(map, false);
  map.on('dblclick', (e) => { if (planner.drawing) e.preventDefault(); });
  const onList = (id, fn) => {
    $(id).addEventListener('click', (e) => { const li = e.target.closest('li[data-code]'); if (li) fn(li.dataset.code); });
    $(id).addEventListener('keydown', (e) => { const li = e.target.closest('li[data-code]'); if (li && e.key === 'Enter') fn(li.dataset.code); });
  };
  onList('worst', (code) => selectGrid(code, true));
  onList('communities', (code) => { selectGrid(null); selectCommunity(code).catch(showError); });
  $('comm-filter').addEventListener('input', renderCommunities);
  $('districts').addEventListener('click', (e) => { const tr = e.target.closest('tr[data-district]'); if (tr) flyToDistrict(tr.dataset.district); });
  $('detail').addEventListener('click', (e) => {
    const t = e.target;
    if (t.id === 'btn-propose') runProposal().catch(showError);
    else if (t.id === 'btn-manual') startManual().catch(showError);
    else if (t.dataset.close === 'grid') selectGrid(null);
    else if (t.dataset.close === 'applied') { $('applied').hidden = true; updateEmpty(); }
    else {
      const li = t.closest('.gridbars li[data-code], table.grids tr[data-code]');
      if (li && planner.measures.has(li.dataset.code)) selectGrid(li.dataset.code, true);
    }
  });
  $('btn-move').addEventListener('click', () => moveEdit()?.catch(showError));
  $('btn-split').addEventListener('click', () => splitEdit()?.catch(showError));
  $('btn-clear-pick').addEventListener('click', clearPicks);
  $('btn-draw').addEventListener('click', startDraw);
  $('btn-draw-cancel').addEventListener('click', stopDraw);
  $('btn-draw-done').addEventListener('click', () => finishDraw()?.catch(showError));
  window.addEventListener('keydown', (e) => { if (e.key === 'Escape' && planner.drawing) stopDraw(); });
  $('btn-apply').addEventListener('click', confirmApply);
  $('btn-close-plan').addEventListener('click', () => {
    if (planner.compare) exitCompare(); else enterCompare().catch(showError);
  });
  $('confirm').addEventListener('close', () => {
    if ($('confirm').returnValue === 'apply') applyPlan().catch(showError);
  });
  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('login-token').value.trim();
    if (t) useToken(t);
  });
  $('login-skip').addEventListener('click', () => { $('login').hidden = true; });
  $('logout').addEventListener('click', logout);
}

// ---- messages -----------------------------------------------------------

let toastTimer = null;
function toast(text, bad = false) {
  const t = $('toast');
  t.textContent = text;
  t.classList.toggle('bad', bad);
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 5000);
}

function showError(err) {
  console.warn(err);
  if (err.status === 401 || err.status === 403) {
    planner.authed = false;
    showLogin(err.status === 401 ? '登录已失效，请重新输入令牌' : '该令牌没有规划权限');
    return;
  }
  toast(`操作失败：${err.message}`, true);
}

// ---- start --------------------------------------------------------------

async function setup() {
  const [districts, communities, stations] = await Promise.all([
    api('/api/v1/layers/districts'),
    api('/api/v1/layers/communities'),
    api('/api/v1/layers/stations'),
  ]);
  layers.districts = districts;
  layers.communities = communities;
  layers.stations = stations;
  planner.commFeature = new Map(communities.features.map((f) => [f.properties.code, f]));
  await loadLayout();
  addLayers(map, planner.grids);
  paintClasses(map, planner.beforeClass);
  wireEvents();
  // The urban area: the box around every grid.
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of planner.grids.features) bboxOf(f.geometry, b);
  planner.bbox = b;
  fitBox(b, { padding: 40 });
  districtLabels();
  map.once('idle', () => {
    planner.ready = true;
    document.body.dataset.ready = '1';
  });
}

// The token: ?access_token= (taken once, then dropped from the address so
// it is not kept in the history) or this tab's session storage.
async function login() {
  const u = new URL(location.href);
  const given = u.searchParams.get('access_token');
  if (given) {
    u.searchParams.delete('access_token');
    history.replaceState(null, '', u);
  }
  const token = given || sessionStorage.getItem(TOKEN_KEY);
  if (token) await useToken(token);
  else showLogin();
}

login().catch(showError);
map.on('load', () => setup().catch((err) => {
  console.error(err);
  const f = $('fatal');
  f.hidden = false;
  f.textContent = `地图数据加载失败：${err.message}`;
}));
