// The command-centre wall map: grids coloured by a chosen measure, stations
// by status, a live KPI panel, and a grid card on click. Everything comes
// from the gridmap binary itself (no CDN, no web fonts, no glyphs): the grid
// layer from the vector tiles when the server offers them (/tiles.json),
// else from the GeoJSON layer; figures from /api/v1/stats; the card from
// /api/v1/locate.
import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';

const REFRESH_MS = 30_000;
const abs = (p) => new URL(p, location.href).href;
const $ = (id) => document.getElementById(id);
const fmt = (n) => (n == null || Number.isNaN(n) ? '—' : Number(n).toLocaleString('zh-CN'));
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

async function getJSON(url) {
  const r = await fetch(url, { cache: 'no-cache' });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

// Measures the grids can be coloured by. Each names the feature-state key
// that holds the grid's value and its classes (lower bounds, ascending).
const NODATA = '#2a3344';
const MEASURES = {
  open: {
    label: '未办结事件', key: 'open', unit: '件',
    classes: [
      { min: 0, label: '无', color: '#173a5e' },
      { min: 1, label: '1 件', color: '#f6c945' },
      { min: 2, label: '2 件', color: '#f79a3e' },
      { min: 3, label: '3–4 件', color: '#ef5b3a' },
      { min: 5, label: '5 件及以上', color: '#ff1f5a' },
    ],
  },
  households: { label: '户数', key: 'households', unit: '户', classes: [] }, // breaks from the data
  cadres: {
    label: '下沉干部数', key: 'cadres', unit: '名',
    classes: [
      { min: 0, label: '无', color: '#4a1d2a' },
      { min: 1, label: '1 名', color: '#2b4f7e' },
      { min: 2, label: '2 名', color: '#3f7fc1' },
      { min: 3, label: '3 名', color: '#5db4e8' },
      { min: 4, label: '4 名及以上', color: '#a6f0ff' },
    ],
  },
  coverage: {
    label: '站点覆盖（半数住户步行可达驿站）', key: 'coverage', unit: '',
    classes: [
      { min: 0, label: '未覆盖', color: '#6b1f2e' },
      { min: 1, label: '规划建成后覆盖', color: '#b7791f' },
      { min: 2, label: '已覆盖', color: '#1f9d6b' },
    ],
  },
};
const HOUSEHOLD_COLORS = ['#172a4d', '#1f4f86', '#2a7fba', '#3db5d8', '#8de6ef'];

// Open incident statuses, in the order of the dispatch flow.
const STATUS_ORDER = ['reported', 'accepted', 'dispatched', 'responded'];
const STATUS_LABEL = { reported: '待派', accepted: '受理', dispatched: '已派', responded: '处置' };

const STATION_KIND = { community_centre: '党群服务中心', grid_station: '网格红色驿站' };
const STATION_STATUS = { built: '已建', planned: '规划' };

const wall = {
  ready: false,
  measure: new URLSearchParams(location.search).get('measure') || 'open',
  gridSource: '',
  gridSources: [],
  gridFillLayers: [],
  stats: null,
  gridStats: new Map(), // code → figures
  hovered: null,
  selected: null,
};
if (!MEASURES[wall.measure]) wall.measure = 'open';
window.wall = wall;

// ---- the map ----------------------------------------------------------

const map = new maplibregl.Map({
  container: 'map',
  style: {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#070d18' } }],
  },
  center: [117.45, 34.85],
  zoom: 10,
  attributionControl: false,
  canvasContextAttributes: { preserveDrawingBuffer: true, antialias: true },
  dragRotate: false,
  pitchWithRotate: false,
});
map.touchZoomRotate.disableRotation();
window.map = map;

// gridSources says where the grid polygons come from: the server's vector
// tiles when it has them; the GeoJSON layer when it has none, or only below
// the zoom where its tiles start carrying grids (the city-wide view).
// /api/v1/stats says whether there are tiles, so a server without them
// costs no failed request.
async function gridSources(tilesURL) {
  const geojson = (id, maxzoom) => ({
    id, kind: 'geojson', minzoom: 0, maxzoom,
    source: { type: 'geojson', data: abs('/api/v1/layers/grids'), promoteId: 'code' },
  });
  if (tilesURL) {
    try {
      const tj = await getJSON(tilesURL);
      const vl = (tj.vector_layers || []).find((l) => l.id === 'grids');
      if (vl && Array.isArray(tj.tiles) && tj.tiles.length) {
        const from = vl.minzoom ?? 0;
        const out = [{
          id: 'grids', kind: 'tiles', sourceLayer: 'grids', minzoom: from, maxzoom: 24,
          source: { type: 'vector', url: abs(tilesURL), promoteId: { grids: 'code' } },
        }];
        if (from > 0) out.push(geojson('grids-lo', from));
        return out;
      }
    } catch (err) {
      console.warn('vector tiles unusable, drawing GeoJSON:', err);
    }
  }
  return [geojson('grids', 24)];
}

function fillColor(m) {
  const def = MEASURES[m];
  if (!def.classes.length) return NODATA; // households: breaks come with the figures
  const expr = ['step', ['coalesce', ['feature-state', def.key], -1], NODATA];
  for (const c of def.classes) expr.push(c.min, c.color);
  return expr;
}

// gridState sets a grid's feature state in every source that draws grids.
function gridState(code, state) {
  for (const g of wall.gridSources) {
    const ref = { source: g.id, id: code };
    if (g.sourceLayer) ref.sourceLayer = g.sourceLayer;
    map.setFeatureState(ref, state);
  }
}

// addGridLayers adds one kind of grid layer for every grid source.
function addGridLayers(kind, paint) {
  for (const g of wall.gridSources) {
    const layer = { id: `${g.id}-${kind}`, type: kind === 'fill' ? 'fill' : 'line', source: g.id, paint, minzoom: g.minzoom, maxzoom: g.maxzoom };
    if (g.sourceLayer) layer['source-layer'] = g.sourceLayer;
    map.addLayer(layer);
  }
}

async function setup() {
  const first = await getJSON('/api/v1/stats');
  const [srcs, districts, streets, communities] = await Promise.all([
    gridSources(first.tiles_url),
    getJSON('/api/v1/layers/districts'),
    getJSON('/api/v1/layers/streets'),
    getJSON('/api/v1/layers/communities'),
  ]);
  wall.gridSources = srcs;
  wall.gridFillLayers = srcs.map((g) => `${g.id}-fill`);
  wall.gridSource = srcs.map((g) => (g.kind === 'tiles' ? `矢量瓦片（${g.minzoom} 级起）` : g.maxzoom < 24 ? `GeoJSON（${g.maxzoom} 级以下）` : 'GeoJSON')).join(' + ');

  map.addSource('districts', { type: 'geojson', data: districts });
  map.addSource('streets', { type: 'geojson', data: streets });
  map.addSource('communities', { type: 'geojson', data: communities });
  for (const g of srcs) map.addSource(g.id, g.source);
  map.addSource('stations', { type: 'geojson', data: abs('/api/v1/layers/stations') });
  map.addSource('roads', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });

  map.addLayer({ id: 'districts-fill', type: 'fill', source: 'districts', paint: { 'fill-color': '#0e1b30' } });
  addGridLayers('fill', {
    'fill-color': fillColor(wall.measure),
    'fill-opacity': ['case', ['boolean', ['feature-state', 'hover'], false], 0.98, 0.82],
  });
  addGridLayers('line', {
    'line-color': '#050a14',
    'line-opacity': ['interpolate', ['linear'], ['zoom'], 10, 0.35, 14, 0.9],
    'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.3, 15, 1.5],
  });
  map.addLayer({
    id: 'roads', type: 'line', source: 'roads', minzoom: 12,
    layout: { 'line-cap': 'round', 'line-join': 'round' },
    paint: {
      'line-color': '#c9d6e8',
      'line-opacity': ['interpolate', ['linear'], ['zoom'], 12, 0.12, 15, 0.3],
      'line-width': ['interpolate', ['linear'], ['zoom'], 12, ['match', ['get', 'class'], 'main', 1.5, 0.5], 16, ['match', ['get', 'class'], 'main', 7, 'secondary', 4, 2]],
    },
  });
  map.addLayer({
    id: 'communities-line', type: 'line', source: 'communities', minzoom: 12,
    paint: { 'line-color': '#7f95b3', 'line-opacity': 0.55, 'line-width': 1 },
  });
  map.addLayer({
    id: 'streets-line', type: 'line', source: 'streets',
    paint: { 'line-color': '#9ec9ff', 'line-opacity': 0.6, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.8, 15, 2.5], 'line-dasharray': [3, 2] },
  });
  map.addLayer({
    id: 'districts-line', type: 'line', source: 'districts',
    paint: { 'line-color': '#4cc3ff', 'line-opacity': 0.9, 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 1.5, 15, 4] },
  });
  addGridLayers('hover', { 'line-color': '#ffffff', 'line-width': ['case', ['boolean', ['feature-state', 'hover'], false], 2.5, 0] });
  addGridLayers('selected', { 'line-color': '#00e5ff', 'line-width': ['case', ['boolean', ['feature-state', 'selected'], false], 4, 0] });
  map.addLayer({
    id: 'stations', type: 'circle', source: 'stations', minzoom: 11.5,
    paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'],
        11.5, ['case', ['==', ['get', 'kind'], 'community_centre'], 3.5, 2.2],
        15, ['case', ['==', ['get', 'kind'], 'community_centre'], 11, 7]],
      'circle-color': ['case', ['==', ['get', 'status'], 'built'],
        ['case', ['==', ['get', 'kind'], 'community_centre'], '#ffd166', '#ff9f1c'], 'rgba(0,0,0,0)'],
      'circle-stroke-color': ['case', ['==', ['get', 'status'], 'built'], '#1b1200', '#c3cfdd'],
      'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 10, 0.6, 15, 2],
    },
  });

  addLabels(districts, streets, communities, first.by_district || []);
  $('source-note').textContent = `网格图层：${wall.gridSource}`;

  // Fit the grids; the figures arrive with the first stats.
  await refreshStats(true, first);
  flyTo(new URLSearchParams(location.search).get('district') || null, 0);
  setMeasure(wall.measure);
  wireEvents();
  const tour = Number(new URLSearchParams(location.search).get('tour'));
  if (tour > 0) startTour(tour);
  setInterval(() => refreshStats(false).catch(showError), REFRESH_MS);
  listenForIncidents();

  // Roads are context only: load them once the grids are up.
  map.once('idle', () => {
    markReady();
    getJSON('/api/v1/layers/roads').then((fc) => map.getSource('roads').setData(fc)).catch(() => {});
  });
}

// ---- live incidents ---------------------------------------------------

const LATEST_MAX = 8;
const INCIDENT_STATUS = {
  reported: '待受理', accepted: '已受理', dispatched: '已派单', responded: '已报到',
  resolved: '已办结', closed: '已结案', rejected: '不予受理', duplicate: '重复',
};
const OPEN_STATUSES = ['reported', 'accepted', 'dispatched', 'responded'];
wall.incidents = []; // the latest incidents listed: { id, category, grid, gridName, status, at, point, live, escalated }
wall.incidentMarkers = new Map(); // id → maplibregl.Marker
wall.live = false;
wall.events = 0;

// listenForIncidents follows the incident events when the page was given a
// token (?access_token=…, as an EventSource cannot send headers): each new
// incident pulses at its point and heads the "latest" list, transitions
// update it, and the figures are refreshed soon after. Only public fields
// are shown (category, grid, time, status): no caller, no description.
// Without a token the page polls only.
function listenForIncidents() {
  const token = new URLSearchParams(location.search).get('access_token');
  if (!token || !window.EventSource) return;
  const auth = { headers: { Authorization: `Bearer ${token}` }, cache: 'no-cache' };
  const authJSON = async (url) => {
    const r = await fetch(url, auth);
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    return r.json();
  };
  $('latest').hidden = false;
  let categories = new Map();
  getJSON('/api/v1/rules').then((r) => {
    categories = new Map(r.categories.map((c) => [c.code, c.name]));
    renderLatest();
  }).catch(() => {});
  const catName = (code) => categories.get(code) || code;

  // Grid names come with the incidents API, not with the events: fill in
  // the ones missing at most once a second, in one request.
  const gridNames = new Map();
  let naming = null;
  const fillNames = () => {
    if (naming || !wall.incidents.some((e) => !gridNames.has(e.grid))) return;
    naming = setTimeout(async () => {
      try {
        const r = await authJSON(`/api/v1/incidents?limit=${LATEST_MAX * 2}`);
        for (const inc of r.incidents) if (inc.grid) gridNames.set(inc.grid_code, inc.grid.name);
        renderLatest();
      } catch (err) {
        console.warn(err);
      }
      naming = null;
    }, 1000);
  };

  const clockTime = (iso) => {
    const d = new Date(iso);
    const t = d.toLocaleTimeString('zh-CN', { hour12: false });
    return d.toDateString() === new Date().toDateString() ? t : `${d.getMonth() + 1}月${d.getDate()}日 ${t}`;
  };
  const renderLatest = () => {
    $('latest-list').innerHTML = wall.incidents.map((e) => `
      <li class="inc${e.live && e.status === 'reported' ? ' new' : ''}" data-id="${esc(e.id)}" data-status="${esc(e.status)}">
        <span class="what">${esc(catName(e.category))}</span>
        <span class="st s-${esc(e.status)}">${esc(INCIDENT_STATUS[e.status] || e.status)}</span>
        <span class="where">${esc(gridNames.get(e.grid) || e.grid)}</span>
        <span class="when">${clockTime(e.at)}${e.escalated ? ' <b class="esc">已升级</b>' : ''}</span>
      </li>`).join('') || '<li class="none">暂无事件</li>';
  };

  // mark draws (or updates, or removes) an incident's marker: pulsing
  // while a live arrival waits to be accepted, a still dot while open.
  const mark = (e) => {
    let m = wall.incidentMarkers.get(e.id);
    const keep = OPEN_STATUSES.includes(e.status) && wall.incidents.includes(e);
    if (!keep) {
      if (m) m.remove();
      wall.incidentMarkers.delete(e.id);
      return;
    }
    if (!m) {
      const el = document.createElement('div');
      el.innerHTML = '<i></i>';
      m = new maplibregl.Marker({ element: el }).setLngLat(e.point).addTo(map);
      wall.incidentMarkers.set(e.id, m);
    }
    const el = m.getElement(); // keeps MapLibre's own classes
    for (const c of [...el.classList]) if (c.startsWith('s-')) el.classList.remove(c);
    el.classList.add('inc-marker', `s-${e.status}`);
    el.classList.toggle('pulse', e.live && e.status === 'reported');
    el.dataset.id = e.id;
  };

  const entry = (inc, at, live) => ({
    id: inc.id, category: inc.category, grid: inc.grid_code, status: inc.status, at, point: inc.point, live,
    escalated: !!(inc.sla && inc.sla.escalated_at),
  });
  const trim = () => {
    for (const e of wall.incidents.splice(LATEST_MAX)) mark(e);
  };

  // The latest open incidents before the stream starts, as still dots.
  authJSON(`/api/v1/incidents?status=${OPEN_STATUSES.join(',')}&limit=${LATEST_MAX}`).then((r) => {
    for (const inc of r.incidents.reverse()) {
      if (wall.incidents.some((e) => e.id === inc.id)) continue;
      if (inc.grid) gridNames.set(inc.grid_code, inc.grid.name);
      const e = entry(inc, inc.reported_at, false);
      wall.incidents.unshift(e);
      mark(e);
    }
    trim();
    renderLatest();
  }).catch(showError);

  let statsTimer = null;
  const onEvent = (ev) => {
    wall.events++;
    const inc = ev.incident;
    let e = wall.incidents.find((x) => x.id === inc.id);
    if (!e && ev.type === 'created') {
      e = entry(inc, inc.reported_at, true);
      wall.incidents.unshift(e);
      trim();
    }
    if (e) {
      e.status = inc.status;
      if (ev.type === 'escalated') e.escalated = true;
      mark(e);
    }
    renderLatest();
    fillNames();
    // At most one refresh of the figures a second, however busy the city.
    if (!statsTimer) {
      statsTimer = setTimeout(() => {
        statsTimer = null;
        refreshStats(false).catch(showError);
      }, 1000);
    }
  };

  const setLive = (on, text) => {
    wall.live = on;
    $('latest-live').className = on ? 'on' : 'off';
    $('latest-live').textContent = `● ${text}`;
  };
  // EventSource reconnects by itself with Last-Event-ID: nothing is missed.
  const es = new EventSource(`/api/v1/events?access_token=${encodeURIComponent(token)}`);
  es.onopen = () => setLive(true, '实时');
  es.onerror = () => setLive(false, es.readyState === EventSource.CLOSED ? '已断开' : '重连中');
  es.onmessage = (m) => {
    try {
      onEvent(JSON.parse(m.data));
    } catch (err) {
      console.warn('incident event:', err);
    }
  };
  wall.renderLatest = renderLatest;
}

function markReady() {
  wall.ready = true;
  document.body.dataset.ready = '1';
}

// ---- labels as HTML markers (no glyphs needed) --------------------------

function centroid(geom) {
  const ring = geom.type === 'Polygon' ? geom.coordinates[0]
    : geom.coordinates.reduce((best, p) => (p[0].length > best.length ? p[0] : best), []);
  let a = 0, x = 0, y = 0;
  for (let i = 0, n = ring.length - 1; i < n; i++) {
    const [x0, y0] = ring[i], [x1, y1] = ring[i + 1];
    const f = x0 * y1 - x1 * y0;
    a += f; x += (x0 + x1) * f; y += (y0 + y1) * f;
  }
  if (Math.abs(a) < 1e-12) return ring[0];
  return [x / (3 * a), y / (3 * a)];
}

function addLabels(districts, streets, communities, byDistrict) {
  const put = (cls, text, lnglat, anchor = 'center') => {
    const el = document.createElement('div');
    el.className = `lbl ${cls}`;
    el.textContent = text;
    new maplibregl.Marker({ element: el, anchor }).setLngLat(lnglat).addTo(map);
  };
  // A district's name sits just above its urban area (its grids), where it
  // hides no grid; a district without grids is named at its seat.
  const urban = new Map(byDistrict.filter((d) => d.grids > 0).map((d) => [d.code, d.bbox]));
  for (const f of districts.features) {
    const p = f.properties;
    const b = urban.get(p.code);
    if (b) put('district', p.name, [(b[0] + b[2]) / 2, b[3]], 'bottom');
    else put('district', p.name, p.seat_lon ? [p.seat_lon, p.seat_lat] : centroid(f.geometry));
  }
  for (const f of streets.features) put('street', f.properties.name, centroid(f.geometry));
  for (const f of communities.features) put('community', f.properties.name, centroid(f.geometry));
  const zoomClasses = () => {
    const z = map.getZoom();
    document.body.classList.toggle('z-street', z >= 11.2);
    document.body.classList.toggle('z-community', z >= 13.6);
  };
  map.on('zoom', zoomClasses);
  zoomClasses();
}

// ---- figures ----------------------------------------------------------

function setKPI(id, text) {
  const el = $(id);
  if (el.textContent !== text) {
    if (el.textContent !== '—') el.closest('.kpi')?.classList.add('flash');
    el.textContent = text;
    setTimeout(() => el.closest('.kpi')?.classList.remove('flash'), 1300);
  }
}

// renderPlaces fills the places figures: the three rates (三率) and their
// change since early 2020, property complaints year on year, timely visits
// to the service targets, and station stars in force.
function renderPlaces(p) {
  $('kpi-places').hidden = !p;
  if (!p) return;
  const pct = (r) => `${(100 * r.value).toFixed(1)}%`;
  const pp = (x) => `较2020年初 <span class="${x >= 0 ? 'up' : 'down'}" title="个百分点">${x >= 0 ? '+' : ''}${x.toFixed(1)}</span>`;
  setKPI('kpi-committee', pct(p.committee_rate));
  $('kpi-committee-d').innerHTML = pp(p.committee_change_pp);
  setKPI('kpi-professional', pct(p.professional_rate));
  $('kpi-professional-d').innerHTML = pp(p.professional_change_pp);
  setKPI('kpi-partyorg', pct(p.party_org_rate));
  $('kpi-partyorg-d').innerHTML = pp(p.party_org_change_pp);
  setKPI('kpi-complaints', fmt(p.complaints_12m));
  $('kpi-complaints-d').innerHTML = p.complaints_yoy == null ? '上年同期无'
    : `同比 <span class="${p.complaints_yoy <= 0 ? 'up' : 'down'}">${p.complaints_yoy > 0 ? '+' : ''}${(100 * p.complaints_yoy).toFixed(1)}%</span>`;
  setKPI('kpi-visits', pct(p.visits_on_time));
  $('kpi-visits-d').textContent = `逾期 ${fmt(p.visits_overdue)} 人`;
  setKPI('kpi-stars', p.mean_stars.toFixed(2));
  const five = (p.stations_by_stars && p.stations_by_stars['5']) || 0;
  $('kpi-stars-d').textContent = `五星 ${fmt(five)} · 待降星 ${fmt(p.stations_lapsed)}`;
}

async function refreshStats(first, given) {
  const st = given || await getJSON('/api/v1/stats');
  const changed = !wall.stats || wall.stats.version !== st.version || wall.stats.incidents_seq !== st.incidents_seq
    || wall.stats.open_incidents !== st.open_incidents;
  wall.stats = st;
  setKPI('kpi-grids', fmt(st.grids));
  setKPI('kpi-households', fmt(st.households));
  $('kpi-population').textContent = `人口 ${fmt(st.population)}`;
  setKPI('kpi-cadres', fmt(st.cadres_deployed));
  $('kpi-cadre-grids').textContent = `帮包网格 ${fmt(st.grids_with_cadres)} 个`;
  const pp = st.people;
  if (pp) {
    const staffed = Math.min(pp.grids_with_head, pp.grids_with_worker);
    setKPI('kpi-staffed', `${(pp.grids ? (100 * staffed / pp.grids) : 0).toFixed(1)}%`);
    const gaps = (pp.grids - pp.grids_with_head) + (pp.grids - pp.grids_with_worker);
    const units = (pp.units_paired?.municipal || 0) + (pp.units_paired?.district || 0);
    $('kpi-people-split').textContent = `缺岗 ${fmt(gaps)} · 双报到单位 ${fmt(units)}`;
  } else {
    $('kpi-staffed').closest('.kpi').hidden = true;
  }
  setKPI('kpi-stations', fmt(st.stations));
  $('kpi-stations-split').textContent = `已建 ${fmt(st.stations_built)} · 在建 ${fmt(st.stations_under_construction)} · 规划 ${fmt(st.stations_planned)}`;
  setKPI('kpi-coverage', `${(st.coverage_pct ?? 0).toFixed(1)}%`);
  $('kpi-covered').textContent = `覆盖网格 ${fmt(st.grids_covered)} 个`;
  setKPI('kpi-open', fmt(st.open_incidents));
  const by = Object.entries(st.open_by_status || {})
    .sort((a, b) => (STATUS_ORDER.indexOf(a[0]) >>> 0) - (STATUS_ORDER.indexOf(b[0]) >>> 0));
  $('kpi-open-split').textContent = by.map(([k, n]) => `${STATUS_LABEL[k] || k} ${fmt(n)}`).join('  ') || '无';
  renderPlaces(st.places);
  renderDistricts(st);
  $('updated').textContent = `更新于 ${new Date().toLocaleTimeString('zh-CN', { hour12: false })}`;
  if (changed || first) await refreshGridStats();
}

async function refreshGridStats() {
  const { grids } = await getJSON('/api/v1/stats/grids');
  wall.gridStats = new Map();
  const hh = [];
  for (const g of grids) {
    const coverage = g.stations_built > 0 ? 2 : g.stations_planned > 0 ? 1 : 0;
    const s = { open: g.open_incidents, households: g.households, cadres: g.cadres, coverage };
    wall.gridStats.set(g.code, { ...g, coverage });
    gridState(g.code, s);
    hh.push(g.households);
  }
  MEASURES.households.classes = householdClasses(hh);
  renderLegend();
  if (wall.measure === 'households') paintGrids();
}

// householdClasses breaks the households of the grids at their quintiles,
// rounded to tens so the legend reads cleanly.
function householdClasses(values) {
  const v = values.slice().sort((a, b) => a - b);
  if (!v.length) return [{ min: 0, label: '—', color: HOUSEHOLD_COLORS[0] }];
  const cuts = [0];
  for (const q of [0.2, 0.4, 0.6, 0.8]) {
    const x = Math.round(v[Math.floor(q * (v.length - 1))] / 10) * 10;
    if (x > cuts[cuts.length - 1]) cuts.push(x);
  }
  return cuts.map((min, i) => ({
    min,
    label: i === cuts.length - 1 ? `${fmt(min)} 户以上` : i === 0 ? `${fmt(cuts[1])} 户以下` : `${fmt(min)}–${fmt(cuts[i + 1])} 户`,
    color: HOUSEHOLD_COLORS[Math.round((i * (HOUSEHOLD_COLORS.length - 1)) / Math.max(1, cuts.length - 1))],
  }));
}

function classOf(def, v) {
  let k = -1;
  def.classes.forEach((c, i) => { if (v >= c.min) k = i; });
  return k;
}

function renderLegend() {
  const def = MEASURES[wall.measure];
  $('legend-title').textContent = `网格着色：${def.label}`;
  const counts = def.classes.map(() => 0);
  for (const g of wall.gridStats.values()) {
    const k = classOf(def, g[def.key === 'open' ? 'open_incidents' : def.key]);
    if (k >= 0) counts[k]++;
  }
  $('legend-items').innerHTML = def.classes.map((c, i) =>
    `<div class="li"><i style="background:${c.color}"></i><span>${esc(c.label)}</span><span class="n">${fmt(counts[i])} 个网格</span></div>`).join('');
  for (const b of document.querySelectorAll('#measures button')) {
    b.setAttribute('aria-checked', String(b.dataset.measure === wall.measure));
  }
}

function paintGrids() {
  for (const id of wall.gridFillLayers) map.setPaintProperty(id, 'fill-color', fillColor(wall.measure));
}

function setMeasure(m) {
  if (!MEASURES[m]) return;
  wall.measure = m;
  paintGrids();
  renderLegend();
  const u = new URL(location.href);
  u.searchParams.set('measure', m);
  history.replaceState(null, '', u);
}
wall.setMeasure = setMeasure;

// ---- districts: the table, flying to one, the tour ---------------------

const PAD = { top: 60, bottom: 60, left: 520, right: 540 };

// flyTo shows one district's urban area, or the whole city for null.
function flyTo(code, duration = 1500) {
  const st = wall.stats;
  if (!st) return;
  const d = code ? (st.by_district || []).find((x) => x.code === code) : null;
  const b = d ? d.bbox : st.bbox;
  if (!b || !(b[2] > b[0])) return;
  map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: PAD, duration, maxZoom: 14.5 });
  markDistrict(d ? d.code : null);
}

// markDistrict highlights a row of the district table: the district in
// view, or the one of the grid whose card is open; undefined for none.
function markDistrict(code) {
  wall.district = code;
  for (const tr of document.querySelectorAll('#districts tr[data-code]')) {
    tr.classList.toggle('on', code !== undefined && tr.dataset.code === (code || ''));
  }
}
wall.flyTo = flyTo;

function renderDistricts(st) {
  const rows = [{ code: '', name: '全市', grids: st.grids, open_incidents: st.open_incidents, coverage_pct: st.coverage_pct }]
    .concat((st.by_district || []).filter((d) => d.grids > 0));
  $('districts-body').innerHTML = rows.map((d) => `
    <tr data-code="${esc(d.code)}" class="${wall.district !== undefined && (wall.district || '') === d.code ? 'on' : ''}">
      <td>${esc(d.name)}</td><td>${fmt(d.grids)}</td>
      <td class="${d.open_incidents ? 'hot' : ''}">${fmt(d.open_incidents)}</td><td>${(d.coverage_pct ?? 0).toFixed(1)}%</td>
    </tr>`).join('');
}

// startTour shows each district's urban area in turn, then the city, for
// a wall nobody is touching; any interaction pauses it for a minute.
function startTour(seconds) {
  let i = 0, pausedUntil = 0;
  const pause = () => { pausedUntil = Date.now() + 60_000; };
  for (const ev of ['mousedown', 'wheel', 'touchstart', 'keydown']) window.addEventListener(ev, pause, { passive: true });
  setInterval(() => {
    if (Date.now() < pausedUntil || !$('card').hidden) return;
    const ds = (wall.stats.by_district || []).filter((d) => d.grids > 0);
    i = (i + 1) % (ds.length + 1);
    flyTo(i === 0 ? null : ds[i - 1].code);
  }, seconds * 1000);
}

// ---- hover and the grid card ------------------------------------------

function measureText(code) {
  const g = wall.gridStats.get(code);
  if (!g) return '';
  const def = MEASURES[wall.measure];
  if (wall.measure === 'coverage') return def.classes[g.coverage].label;
  const v = wall.measure === 'open' ? g.open_incidents : g[def.key];
  return `${def.label} <b>${fmt(v)}</b> ${def.unit}`;
}

function wireEvents() {
  const tip = $('tip');
  map.on('mousemove', wall.gridFillLayers, (e) => {
    const f = e.features && e.features[0];
    if (!f) return;
    const code = f.properties.code ?? f.id;
    if (wall.hovered !== code) {
      if (wall.hovered) gridState(wall.hovered, { hover: false });
      wall.hovered = code;
      gridState(code, { hover: true });
    }
    map.getCanvas().style.cursor = 'pointer';
    tip.hidden = false;
    tip.innerHTML = `${esc(f.properties.name || code)}　${measureText(code)}`;
    tip.style.left = `${e.point.x + 16}px`;
    tip.style.top = `${e.point.y + 16}px`;
  });
  map.on('mouseleave', wall.gridFillLayers, () => {
    if (wall.hovered) gridState(wall.hovered, { hover: false });
    wall.hovered = null;
    map.getCanvas().style.cursor = '';
    tip.hidden = true;
  });
  map.on('click', (e) => showCard(e.lngLat).catch(showError));
  // Once someone pans or zooms by hand, no row of the table is in view.
  for (const ev of ['dragstart', 'zoomstart']) {
    map.on(ev, (e) => { if (e.originalEvent && $('card').hidden) markDistrict(undefined); });
  }
  $('card-close').addEventListener('click', closeCard);
  $('districts-body').addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-code]');
    if (tr) flyTo(tr.dataset.code || null);
  });
  for (const b of document.querySelectorAll('#measures button')) {
    b.addEventListener('click', () => setMeasure(b.dataset.measure));
  }
}

function select(code) {
  if (wall.selected) gridState(wall.selected, { selected: false });
  wall.selected = code;
  if (code) gridState(code, { selected: true });
}

function closeCard() {
  $('card').hidden = true;
  select(null);
}

function distance(m) {
  if (m == null) return '';
  return m < 1000 ? `${Math.round(m)} 米` : `${(m / 1000).toFixed(1)} 公里`;
}

async function showCard(lngLat) {
  const a = await getJSON(`/api/v1/locate?lon=${lngLat.lng.toFixed(7)}&lat=${lngLat.lat.toFixed(7)}`);
  const g = a.grid || a.nearest_grid;
  select(g ? g.code : null);
  const card = $('card');
  const body = $('card-body');
  card.hidden = false;
  if (!g) {
    body.innerHTML = `<h2>不在网格内</h2><div class="path">${esc([a.district?.name, a.street?.name, a.community?.name].filter(Boolean).join(' · ') || '该点不在任何网格范围内')}</div>`;
    card.dataset.grid = '';
    return;
  }
  const gs = wall.gridStats.get(g.code) || {};
  const head = g.head || {};
  const team = (g.team || []).map((p) => `${esc(p.name)}<small>（${esc(p.title)}）</small>`).join('、') || '—';
  const cadres = (g.cadres || []).map((c) =>
    `<li>${esc(c.name)} <small>${esc(c.unit)} · ${esc(c.rank)} · ${esc(c.phone)}</small></li>`).join('') || '<li>—</li>';
  const st = a.nearest_station;
  const station = st
    ? `${esc(st.name)}<br><small>${esc(STATION_KIND[st.kind] || st.kind)} · ${esc(STATION_STATUS[st.status] || st.status)}${st.stars ? ` · ${'★'.repeat(st.stars)}` : ''} · 距离 ${distance(st.distance_m)}</small>`
    : '—';
  const note = a.match === 'nearest' ? `<div class="note">该点不在网格内，最近网格距离 ${distance(a.distance_m)}</div>` : '';
  body.innerHTML = `
    <h2>${esc(g.name)}</h2>
    <div class="code" data-testid="grid-code">${esc(g.code)}</div>
    <div class="path">${esc(g.district?.name)} · ${esc(g.street?.name)} · ${esc(g.community?.name)}</div>
    ${note}
    <div class="figs">
      <div>户数<b>${fmt(g.households)}</b></div>
      <div>人口<b>${fmt(g.population)}</b></div>
      <div>楼栋<b>${fmt(g.buildings)}</b></div>
      <div class="${gs.open_incidents ? 'hot' : ''}">未办结事件<b>${fmt(gs.open_incidents ?? 0)}</b></div>
      <div>下沉干部<b>${fmt((g.cadres || []).length)}</b></div>
      <div>网格内站点<b>${fmt((gs.stations_inside ?? 0) + (gs.planned_inside ?? 0))}</b></div>
    </div>
    <dl>
      <dt>网格长</dt><dd>${esc(head.name)} <small>${esc(head.title)}</small><br><small>${esc(head.phone)}</small></dd>
      <dt>网格员</dt><dd>${team}</dd>
      <dt>下沉干部</dt><dd><ul>${cadres}</ul></dd>
      ${(g.gaps || []).length ? `<dt>缺岗</dt><dd class="gap" data-testid="grid-gaps">${(g.gaps || []).map((x) => (x === 'head' ? '网格长待任命' : '网格员待补')).join('、')}</dd>` : ''}
      <dt>双报到单位</dt><dd>${(g.reporting_units || []).map((u) => esc(u.name)).join('、') || '—'}</dd>
      <dt>最近站点</dt><dd>${station}</dd>
      <dt>志愿服务队</dt><dd>${esc(g.volunteer_team) || '—'}</dd>
    </dl>`;
  card.dataset.grid = g.code;
  markDistrict(g.district?.code);
}

// ---- clock and errors -------------------------------------------------

function tick() {
  const d = new Date();
  $('clock').textContent = d.toLocaleTimeString('zh-CN', { hour12: false });
  $('date').textContent = d.toLocaleDateString('zh-CN', { year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' });
}
tick();
setInterval(tick, 1000);

function showError(err) {
  console.error(err);
  $('updated').textContent = `数据更新失败：${err.message}`;
}

map.on('load', () => setup().catch((err) => {
  showError(err);
  const f = $('fatal');
  f.hidden = false;
  f.textContent = `地图数据加载失败：${err.message}`;
}));
