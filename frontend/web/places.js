// 物业·志愿·驿站: the places and services of the grids, from the gridmap
// binary itself — /api/v1/property/* (the three rates by area and day,
// their change against early 2020, complaints, companies, evaluations, a
// choropleth and a ranking), /api/v1/volunteers/* (teams, service coverage
// by grid; targets, overdue visits and logs for the organiser), and
// /api/v1/stations/* (lifecycle, star criteria and downgrades, coverage
// against the 70% goal), plus CSV/.xlsx import and export. An organiser
// (组织部) token edits; any other caller reads what the masking policy
// lets them. No CDN, no web fonts: labels are the system's CJK font.
import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const fmt = (n, d = 0) => (n == null || Number.isNaN(n) ? '—'
  : Number(n).toLocaleString('zh-CN', { minimumFractionDigits: d, maximumFractionDigits: d }));
const pct = (x, d = 1) => (x == null || Number.isNaN(x) ? '—' : `${(100 * x).toFixed(d)}%`);
const pp = (x) => (x == null ? '' : `<span class="pp${x < 0 ? ' neg' : ''}" title="较基期（个百分点）">${x > 0 ? '+' : ''}${x.toFixed(1)}</span>`);
const yoy = (y) => (y == null ? '—' : `<span class="${y > 0 ? 'badv' : 'okv'}">${y > 0 ? '+' : ''}${(100 * y).toFixed(1)}%</span>`);
const stars = (n) => (n > 0 ? `<span class="stars" title="${n}星">${'★'.repeat(n)}</span>` : '<span class="muted">未评星</span>');
const TOKEN_KEY = 'gridmap.places.token';
const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
// cstDay is an instant's calendar day in China Standard Time.
const cstDay = (t) => new Date(new Date(t).getTime() + 8 * 3600e3).toISOString().slice(0, 10);

const STATUS = { managed: '专业化物业', self: '自管', none: '无物业', abandoned: '弃管' };
const PARTY = { none: '未建立', independent: '单独组建', joint: '联合组建' };
const LIFE = { planned: '规划', under_construction: '在建', built: '建成' };
const FUNCS = { policy: '政策宣传', education: '党员教育', services: '便民服务', activities: '居民活动', opinion: '民意搜集' };
const KINDS = { lonely_elderly: '鳏寡孤独老人', severely_disabled: '重度残疾人', left_behind_child: '留守儿童', vulnerable_child: '困境儿童' };
const SHEETS = {
  companies: '物业企业', company_records: '物业企业党组织', property: '小区物业', evaluations: '年度评价',
  teams: '志愿服务队', targets: '服务对象', logs: '服务记录', stations: '驿站档案', ratings: '星级评定',
};
const MEASURES = { professional: '专业化物业服务覆盖率', committee: '业委会组建率', party_org: '物业企业党组织覆盖率', complaints: '物业投诉（每千户）' };

// Five sequential classes; for complaints (lower is better) the scale runs the other way.
const RAMP = ['#fde0dd', '#fcae91', '#fb6a4a', '#de2d26', '#a50f15'];
const GOOD = ['#a50f15', '#de2d26', '#fb6a4a', '#fcae91', '#fde0dd'];
const NODATA = '#d5d9df';

const places = {
  ready: false, token: '', role: '', editor: false,
  tab: 'property', level: 'community', measure: 'professional', day: today(), base: '2020-01-01',
  map: null, breaks: [], ranking: [], grids: null, gridStats: new Map(), stations: [], items: [],
  selected: null,
};
window.places = places;

// ---- HTTP -------------------------------------------------------------

async function api(path, opts = {}) {
  const headers = { Accept: 'application/json' };
  if (places.token) headers.Authorization = `Bearer ${places.token}`;
  const init = { method: opts.method || 'GET', headers, cache: 'no-cache' };
  if (opts.body !== undefined) {
    if (opts.raw) {
      init.body = opts.body;
      if (opts.type) headers['Content-Type'] = opts.type;
    } else {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(opts.body);
    }
  }
  const r = await fetch(path, init);
  if (opts.blob && r.ok) return r.blob();
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

let toastTimer;
function toast(msg, bad = false) {
  const t = $('toast');
  t.textContent = msg;
  t.className = bad ? 'bad' : '';
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, 5000);
}

function explain(err) {
  if (err.body && err.body.problems) return err.body.problems.map((p) => `${p.field ? p.field + '：' : ''}${p.reason}`).join('；');
  return err.message;
}

// ---- the header figures -------------------------------------------------

async function kpis() {
  const [rates, comp, serv, cov] = await Promise.all([
    api(`/api/v1/property/rates?level=city&day=${places.day}&base=${places.base}`),
    api(`/api/v1/property/complaints?level=city&end=${places.day}`),
    api(`/api/v1/volunteers/coverage?level=city&day=${places.day}`),
    api('/api/v1/stations/coverage'),
  ]);
  const a = rates.areas[0];
  const set = (id, v, note) => {
    $(id).querySelector('b').textContent = v;
    $(id).querySelector('i').textContent = note;
  };
  const sign = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
  set('kpi-committee', pct(a.at.committee_rate.value), `较2020年初${sign(a.committee_change_pp)}`);
  set('kpi-professional', pct(a.at.professional_rate.value), `较2020年初${sign(a.professional_change_pp)}`);
  set('kpi-partyorg', pct(a.at.party_org_rate.value), `较2020年初${sign(a.party_org_change_pp)}`);
  for (const [id, k] of [['kpi-committee', 'committee_rate'], ['kpi-professional', 'professional_rate'], ['kpi-partyorg', 'party_org_rate']]) {
    $(id).title = `${$(id).title}：${fmt(a.at[k].numerator)}/${fmt(a.at[k].denominator)}（${places.day}），2020年初 ${pct(a.base[k].value)}`;
  }
  const c = comp.figures[0] || { count: 0, yoy: null };
  set('kpi-complaints', `${fmt(c.count)}件`, c.yoy == null ? '' : `同比${c.yoy > 0 ? '+' : ''}${(100 * c.yoy).toFixed(1)}%`);
  set('kpi-services', pct(serv.summary.covered.value), `逾期${fmt(serv.summary.overdue)}人`);
  set('kpi-stations', pct(cov.built.grid_share), cov.built.meets_target ? '达到70%目标' : `距70%差${cov.grids_short_of_target}格`);
}

// ---- the map --------------------------------------------------------------

function newMap() {
  const m = new maplibregl.Map({
    container: 'map',
    style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#c9ced6' } }] },
    center: [117.45, 34.85], zoom: 9.5, attributionControl: false,
    canvasContextAttributes: { preserveDrawingBuffer: true, antialias: true },
    dragRotate: false, pitchWithRotate: false,
  });
  m.touchZoomRotate.disableRotation();
  m.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right');
  m.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  return m;
}

function classOf(v, breaks) {
  if (v == null || Number.isNaN(v)) return -1;
  let k = 0;
  while (k < breaks.length && v > breaks[k]) k++;
  return k;
}

// quantile breaks: four cut points for five classes.
function quantiles(values) {
  const s = values.filter((v) => v != null && !Number.isNaN(v)).sort((a, b) => a - b);
  if (!s.length) return [0, 0, 0, 0];
  return [0.2, 0.4, 0.6, 0.8].map((q) => s[Math.min(s.length - 1, Math.floor(q * s.length))]);
}

const fillExpr = (ramp) => ['match', ['coalesce', ['feature-state', 'cls'], -1], 0, ramp[0], 1, ramp[1], 2, ramp[2], 3, ramp[3], 4, ramp[4], NODATA];

function addLayers(m) {
  m.addSource('areas', { type: 'geojson', data: { type: 'FeatureCollection', features: [] }, promoteId: 'code' });
  m.addLayer({ id: 'areas-fill', type: 'fill', source: 'areas', paint: { 'fill-color': fillExpr(GOOD), 'fill-opacity': 0.85 } });
  m.addLayer({ id: 'areas-line', type: 'line', source: 'areas', paint: { 'line-color': '#ffffff', 'line-width': ['case', ['boolean', ['feature-state', 'sel'], false], 3, 0.6] } });
  m.addSource('grids', { type: 'geojson', data: { type: 'FeatureCollection', features: [] }, promoteId: 'code' });
  m.addLayer({ id: 'grids-fill', type: 'fill', source: 'grids', layout: { visibility: 'none' }, paint: { 'fill-color': fillExpr(RAMP), 'fill-opacity': 0.85 } });
  m.addLayer({ id: 'grids-line', type: 'line', source: 'grids', layout: { visibility: 'none' }, paint: { 'line-color': '#ffffff', 'line-width': 0.4 } });
  m.addSource('stations', { type: 'geojson', data: { type: 'FeatureCollection', features: [] }, promoteId: 'code' });
  m.addLayer({
    id: 'stations-dot', type: 'circle', source: 'stations',
    paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, ['+', 1.5, ['*', 0.4, ['get', 'stars']]], 12, ['+', 3, ['get', 'stars']], 15, ['+', 5, ['*', 2, ['get', 'stars']]]],
      'circle-color': ['match', ['get', 'status'], 'built', ['case', ['==', ['get', 'kind'], 'community_centre'], '#6a1b9a', '#c62828'], 'under_construction', '#ef8f00', '#8a94a6'],
      'circle-stroke-color': ['case', ['get', 'lapsed'], '#111111', '#ffffff'],
      'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 9, ['case', ['get', 'lapsed'], 1.5, 0.3], 13, ['case', ['get', 'lapsed'], 2.5, 1]],
    },
  });
}

function setVisible(layer, on) {
  const m = places.map;
  for (const id of { areas: ['areas-fill', 'areas-line'], grids: ['grids-fill', 'grids-line'], stations: ['stations-dot'] }[layer]) {
    m.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  }
  const box = document.querySelector(`#layers input[data-layer="${layer}"]`);
  if (box) box.checked = on;
}

function legend(title, breaks, ramp, fmtv) {
  const labels = [];
  for (let k = 0; k < 5; k++) {
    const lo = k === 0 ? null : breaks[k - 1];
    const hi = k === 4 ? null : breaks[k];
    labels.push(lo == null ? `≤ ${fmtv(hi)}` : hi == null ? `> ${fmtv(lo)}` : `${fmtv(lo)} – ${fmtv(hi)}`);
  }
  $('legend').innerHTML = `<h4>${esc(title)}</h4>${labels.map((l, k) => `<div class="li"><span class="sw" style="background:${ramp[k]}"></span>${esc(l)}</div>`).join('')}`
    + `<div class="li"><span class="sw" style="background:${NODATA}"></span>无数据</div>`;
}

// districts: their outlines' extents, for the zoom select.
async function districts() {
  const fc = await api('/api/v1/property/map?level=district&measure=professional');
  const sel = $('zoom-to');
  places.districtFC = fc;
  sel.innerHTML = '<option value="">全市</option>' + fc.features.map((f) => `<option value="${f.properties.code}">${esc(f.properties.name)}</option>`).join('');
  sel.addEventListener('change', () => {
    const f = fc.features.find((x) => x.properties.code === sel.value);
    if (f) fitTo({ features: [f] });
    else if (places.areasFC) fitTo(places.areasFC);
  });
}

function fitTo(fc) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
    } else c.forEach(walk);
  };
  for (const f of fc.features) walk(f.geometry.coordinates);
  if (b[0] < b[2]) places.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 30, duration: 0 });
}

// ---- 满意物业 -------------------------------------------------------------

async function loadProperty() {
  const { level, measure, day, base } = places;
  const [fc, rk, rates, trend, status, comm, companies, evals] = await Promise.all([
    api(`/api/v1/property/map?level=${level}&measure=${measure}&day=${day}`),
    api(`/api/v1/property/ranking?level=${level}&measure=${measure}&day=${day}&limit=1000`),
    api(`/api/v1/property/rates?level=district&day=${day}&base=${base}`),
    api(`/api/v1/property/rates/trend?level=city&from=${base}&to=${day}&every=quarter`),
    api(`/api/v1/property/complaints?level=property_status&end=${day}`),
    api(`/api/v1/property/complaints?level=community&end=${day}&limit=10`),
    api(`/api/v1/property/companies?day=${day}&limit=10&serving=true`),
    api('/api/v1/property/evaluations?benchmark=true&limit=400'),
  ]);
  // choropleth
  const values = fc.features.map((f) => f.properties.value);
  places.breaks = quantiles(values);
  const ramp = measure === 'complaints' ? RAMP : GOOD;
  const m = places.map;
  m.getSource('areas').setData(fc);
  m.setPaintProperty('areas-fill', 'fill-color', fillExpr(ramp));
  for (const f of fc.features) m.setFeatureState({ source: 'areas', id: f.properties.code }, { cls: classOf(f.properties.value, places.breaks) });
  const fv = measure === 'complaints' ? (v) => v.toFixed(2) : (v) => pct(v, 0);
  legend(MEASURES[measure], places.breaks, ramp, fv);
  if (!places.fitted) { fitTo(fc); places.fitted = true; places.areasFC = fc; }
  // ranking
  places.ranking = rk.areas;
  const item = (a) => `<li data-code="${esc(a.code)}"><span class="rk">${a.rank}</span><span class="nm">${esc(a.name)}</span><span class="v">${measure === 'complaints' ? a.value.toFixed(2) : pct(a.value)}</span></li>`;
  $('p-rank-top').innerHTML = rk.areas.slice(0, 10).map(item).join('');
  $('p-rank-bottom').innerHTML = rk.areas.slice(-10).reverse().map(item).join('');
  $('p-rank-note').textContent = `${MEASURES[measure]}，${{ community: '社区', street: '街道', district: '区（市）' }[level]}共 ${rk.total} 个：左为前十，右为后十`;
  // rates by district
  const cell = (r, d) => `<span title="${fmt(r.numerator)}/${fmt(r.denominator)}">${pct(r.value)}</span>${pp(d)}`;
  $('p-rates').querySelector('tbody').innerHTML = rates.areas.map((a) => `<tr data-code="${a.code}"><td>${esc(a.name)}</td><td>${fmt(a.at.compounds)}</td>`
    + `<td>${cell(a.at.committee_rate, a.committee_change_pp)}</td><td>${cell(a.at.professional_rate, a.professional_change_pp)}</td>`
    + `<td>${cell(a.at.party_org_rate, a.party_org_change_pp)}</td></tr>`).join('');
  $('p-rates-note').textContent = `${day}；绿色小字为较 ${base} 的变化（个百分点）`;
  drawTrend(trend.points);
  // complaints
  $('p-status').querySelector('tbody').innerHTML = status.figures.map((f) => `<tr><td>${esc(f.name)}</td><td>${fmt(f.count)}</td><td>${fmt(f.prior)}</td><td>${yoy(f.yoy)}</td><td>${f.per_1000_households.toFixed(2)}</td></tr>`).join('');
  $('p-complaints').querySelector('tbody').innerHTML = comm.figures.map((f) => `<tr data-code="${esc(f.code)}"><td>${esc(f.name)}</td><td>${fmt(f.count)}</td><td>${yoy(f.yoy)}</td><td>${spark(f.monthly.map((x) => x.count))}</td></tr>`).join('');
  $('p-complaints-note').textContent = `截至 ${day} 的12个月；按投诉时小区的物业状态统计，每千户投诉量越低越好`;
  // companies
  $('p-companies').querySelector('tbody').innerHTML = companies.companies.map((c) => `<tr data-company="${esc(c.code)}"><td>${esc(c.name)}${c.benchmark_years.length ? ' <span class="tag gold">标杆</span>' : ''}</td>`
    + `<td>${c.party_org === 'none' ? '<span class="badv">未建立</span>' : esc(PARTY[c.party_org])}</td><td>${fmt(c.compounds_served)}</td><td>${fmt(c.complaints_12m)}</td><td>${c.latest_score == null ? '—' : c.latest_score}</td></tr>`).join('');
  // benchmarks of the latest year
  const latest = Math.max(...evals.evaluations.map((e) => e.year));
  const bl = evals.evaluations.filter((e) => e.year === latest);
  $('p-eval-note').textContent = `${latest}年度：标杆企业 ${bl.filter((e) => e.kind === 'company').length} 家，标杆项目 ${bl.filter((e) => e.kind === 'project').length} 个`;
  $('p-benchmarks').innerHTML = bl.slice(0, 12).map((e) => `<li><span class="tag ${e.kind === 'company' ? 'red' : 'gold'}">${esc(e.title)}</span> ${esc(e.subject_name)} <span class="muted">${e.score}分 ${esc(e.grade)}</span></li>`).join('');
}

// spark draws a monthly trend as a tiny SVG polyline.
function spark(xs) {
  const w = 96, h = 18, max = Math.max(1, ...xs);
  const pts = xs.map((x, i) => `${(i / Math.max(1, xs.length - 1)) * w},${h - 1 - (x / max) * (h - 2)}`).join(' ');
  return `<svg width="${w}" height="${h}" aria-hidden="true"><polyline points="${pts}" fill="none" stroke="#c62828" stroke-width="1.5"/></svg>`;
}

function drawTrend(points) {
  const w = 560, h = 170, l = 40, r = 10, t = 14, b = 24;
  const x = (i) => l + (i / Math.max(1, points.length - 1)) * (w - l - r);
  const y = (v) => t + (1 - v) * (h - t - b);
  const series = [
    ['committee_rate', '业委会组建率', '#1565c0'], ['professional_rate', '专业化物业覆盖率', '#c62828'], ['party_org_rate', '物业企业党组织覆盖率', '#2e7d32'],
  ];
  let svg = `<svg width="${w}" height="${h}" role="img" aria-label="三率变化趋势">`;
  for (const g of [0, 0.25, 0.5, 0.75, 1]) svg += `<line x1="${l}" x2="${w - r}" y1="${y(g)}" y2="${y(g)}" stroke="#e3e7ee"/><text x="${l - 4}" y="${y(g) + 4}" font-size="10" text-anchor="end" fill="#667387">${g * 100}%</text>`;
  points.forEach((p, i) => { if (p.day.endsWith('-01-01')) svg += `<text x="${x(i)}" y="${h - 6}" font-size="10" text-anchor="middle" fill="#667387">${p.day.slice(0, 4)}</text>`; });
  series.forEach(([k, name, colour], s) => {
    svg += `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points.map((p, i) => `${x(i)},${y(p[k].value)}`).join(' ')}"/>`;
    svg += `<rect x="${l + 8 + s * 150}" y="2" width="10" height="4" fill="${colour}"/><text x="${l + 22 + s * 150}" y="8" font-size="10" fill="#1f2733">${name}</text>`;
  });
  $('p-trend').innerHTML = svg + '</svg>';
}

async function searchCompounds() {
  const q = $('p-q').value.trim();
  const f = $('p-filter').value;
  const params = new URLSearchParams({ day: places.day, limit: '30', sort: 'complaints' });
  if (q) params.set('q', q);
  if (['none', 'abandoned', 'self'].includes(f)) params.set('status', f);
  if (f === 'nocommittee') params.set('committee', 'false');
  if (f === 'below') params.set('party_share', 'below');
  if (places.selected && places.selected.area) params.set(places.level, places.selected.area);
  const res = await api(`/api/v1/property/compounds?${params}`);
  $('p-compounds').innerHTML = res.compounds.map((c) => {
    const cur = c.current;
    const st = cur ? STATUS[cur.status] : '无记录';
    return `<li data-compound="${esc(c.code)}">${esc(c.name)} <span class="muted">${esc(c.community)}</span> <span class="tag ${cur && cur.status !== 'managed' ? 'red' : ''}">${esc(st)}</span>`
      + `${cur && cur.committee ? ' <span class="tag green">业委会</span>' : ''}${c.complaints_12m ? ` <span class="tag red">投诉${c.complaints_12m}</span>` : ''}</li>`;
  }).join('') || '<li class="muted">没有符合条件的小区</li>';
  if (!res.compounds.length) return;
  $('p-compounds').insertAdjacentHTML('beforeend', `<li class="muted">共 ${fmt(res.total)} 个小区${res.total > 30 ? '，显示投诉最多的 30 个' : ''}</li>`);
}

async function showArea(code) {
  const a = places.ranking.find((x) => x.code === code);
  if (!a) return;
  places.selected = { area: code };
  for (const f of places.map.querySourceFeatures('areas')) places.map.setFeatureState({ source: 'areas', id: f.properties.code }, { sel: f.properties.code === code });
  const rates = await api(`/api/v1/property/rates?level=${places.level}&day=${places.day}&base=${places.base}&code=${code}`);
  const r = rates.areas[0];
  const row = (name, k, d) => `<tr><td>${name}</td><td>${pct(r.at[k].value)}</td><td>${fmt(r.at[k].numerator)}/${fmt(r.at[k].denominator)}</td><td>${pct(r.base[k].value)}</td><td>${pp(d)}</td></tr>`;
  card(`<h2>${esc(a.name)} <small>${esc(code)} · 排名第 ${a.rank}</small></h2>
    <table class="grid"><thead><tr><th>指标</th><th>${places.day}</th><th>分子/分母</th><th>${places.base}</th><th>变化</th></tr></thead><tbody>
    ${row('业委会组建率', 'committee_rate', r.committee_change_pp)}${row('专业化物业服务覆盖率', 'professional_rate', r.professional_change_pp)}${row('物业企业党组织覆盖率', 'party_org_rate', r.party_org_change_pp)}
    <tr><td>业委会党员占比≥60%</td><td>${pct(r.at.committee_party_rate.value)}</td><td>${fmt(r.at.committee_party_rate.numerator)}/${fmt(r.at.committee_party_rate.denominator)}</td><td></td><td></td></tr>
    </tbody></table>
    <dl><dt>小区</dt><dd>${fmt(r.at.compounds)}（${Object.entries(r.at.by_status).map(([k, v]) => `${STATUS[k]} ${fmt(v)}`).join('，')}）</dd>
    <dt>物业投诉</dt><dd>近12个月 ${fmt(a.complaints_12m)} 件，每千户 ${a.complaints_per_1000_households.toFixed(2)}</dd></dl>
    <p class="hint">左侧“小区查询”将限于该${{ community: '社区', street: '街道', district: '区（市）' }[places.level]}。</p>`);
}

async function showCompound(code) {
  const c = await api(`/api/v1/property/compounds/${code}?day=${places.day}`);
  places.selected = { compound: code };
  const cur = c.current;
  const members = (ms) => ms.map((m) => `${esc(m.name)}（${esc(m.role)}${m.party_member ? '，党员' : ''}${m.phone ? '，' + esc(m.phone) : ''}）`).join('；');
  const hist = (c.history || []).slice().reverse().map((h) => `<tr><td>${h.from}</td><td>${esc(STATUS[h.status])}</td><td>${esc(h.company_name || '—')}</td><td>${h.committee ? `${h.party_share.party_members}/${h.party_share.members}${h.party_share.meets_60pct ? '' : ' <span class="badv">不足60%</span>'}` : '—'}</td></tr>`).join('');
  const comp = c.complaints;
  let html = `<h2>${esc(c.name)} <small>${esc(c.code)}</small></h2>
    <dl><dt>物业状态</dt><dd>${cur ? `${esc(STATUS[cur.status])}${cur.company_name ? ' · ' + esc(cur.company_name) : ''} <span class="muted">自 ${cur.from}</span>` : '无记录'}</dd>
    <dt>业主委员会</dt><dd>${cur && cur.committee ? `已成立，党员 ${cur.party_share.party_members}/${cur.party_share.members}（${pct(cur.party_share.share, 0)}）${cur.party_share.meets_60pct ? ' <span class="okv">达标</span>' : ' <span class="badv">不足60%</span>'}` : '未成立'}</dd>
    ${cur && cur.committee ? `<dt>委员</dt><dd>${members(cur.members)}</dd>` : ''}
    <dt>物业投诉</dt><dd>${comp ? `近12个月 ${comp.count} 件，上年同期 ${comp.prior} 件，同比 ${yoy(comp.yoy)} ${spark(comp.monthly.map((x) => x.count))}` : '近两年无投诉'}</dd></dl>
    <h3>历史记录</h3><table class="grid"><thead><tr><th>生效日期</th><th>状态</th><th>企业</th><th>业委会党员</th></tr></thead><tbody>${hist}</tbody></table>`;
  if (places.editor) {
    html += `<h3>登记物业变更</h3><form id="prop-form" class="form">
      <label>生效日期 <input name="day" type="date" value="${places.day}" required></label>
      <label>物业状态 <select name="status">${Object.entries(STATUS).map(([k, v]) => `<option value="${k}"${cur && cur.status === k ? ' selected' : ''}>${v}</option>`).join('')}</select></label>
      <label>物业企业编码 <input name="company_code" value="${esc(cur ? cur.company_code || '' : '')}" placeholder="专业化物业时必填"></label>
      <label>已成立业委会 <input name="committee" type="checkbox"${cur && cur.committee ? ' checked' : ''}></label>
      <label>委员 <textarea name="members" placeholder="张三（主任，党员）；李四（委员）…">${esc(cur && cur.committee ? members(cur.members) : '')}</textarea></label>
      <label>备注 <input name="note"></label>
      <div class="row"><button class="primary" type="submit">保存</button></div><div class="result" role="alert"></div></form>`;
  }
  card(html);
  const form = $('prop-form');
  if (form) form.addEventListener('submit', (ev) => { ev.preventDefault(); saveProperty(code, form).catch((e) => showResult(form, e)); });
}

// parseMembers reads 张三（主任，党员，138…）；李四（委员） as the page writes it.
function parseMembers(text) {
  const out = [];
  for (const part of text.split(/[；;\n]/).map((s) => s.trim()).filter(Boolean)) {
    const m = part.match(/^([^（(]+?)\s*(?:[（(]([^）)]*)[）)])?$/);
    if (!m) throw new Error(`委员格式有误：${part}`);
    const mem = { name: m[1].trim(), role: '委员', party_member: false };
    for (const a of (m[2] || '').split(/[，,、]/).map((s) => s.trim()).filter(Boolean)) {
      if (a === '党员') mem.party_member = true;
      else if (['主任', '副主任', '委员'].includes(a)) mem.role = a;
      else if (/^\+?[0-9][0-9 -]{5,19}$/.test(a)) mem.phone = a;
      else if (a !== '非党员' && a !== '群众') throw new Error(`${mem.name}：“${a}”不是职务、党员或电话`);
    }
    out.push(mem);
  }
  return out;
}

function showResult(form, err) {
  const box = form.querySelector('.result');
  box.className = 'result ' + (err ? 'bad' : 'ok');
  box.textContent = err ? `未保存：${explain(err)}` : '已保存';
}

async function saveProperty(code, form) {
  const f = new FormData(form);
  const committee = form.elements.committee.checked;
  const body = { status: f.get('status'), company_code: f.get('status') === 'managed' ? f.get('company_code').trim() : '', committee,
    members: committee ? parseMembers(f.get('members')) : [], note: f.get('note') };
  const res = await api(`/api/v1/property/compounds/${code}/records/${f.get('day')}`, { method: 'PUT', body });
  toast(`已保存${res.downgrades && res.downgrades.length ? `，${res.downgrades.length} 个驿站因条件失效降星` : ''}`);
  await refresh();
  await showCompound(code);
  showResult($('prop-form'), null);
}

async function showCompany(code) {
  const c = await api(`/api/v1/property/companies/${code}?day=${places.day}`);
  const co = c.company;
  card(`<h2>${esc(co.name)} <small>${esc(co.code)}</small></h2>
    <dl><dt>信用代码</dt><dd>${esc(co.credit_code || '—')}</dd><dt>服务电话</dt><dd>${esc(co.hotline || '—')}</dd>
    <dt>党组织</dt><dd>${co.party_org === 'none' ? '<span class="badv">未建立</span>' : `${esc(PARTY[co.party_org])} · ${esc(co.party_org_name)}（党员 ${co.party_members} 人，自 ${co.party_org_since}）`}</dd>
    <dt>服务小区</dt><dd>${fmt(co.compounds_served)} 个，${fmt(co.households_served)} 户</dd>
    <dt>物业投诉</dt><dd>近12个月 ${co.complaints_12m} 件，同比 ${yoy(co.complaints_yoy)}，每千户 ${co.complaints_per_1000_households}</dd>
    <dt>标杆年度</dt><dd>${co.benchmark_years.length ? co.benchmark_years.join('、') : '—'}</dd></dl>
    <h3>年度评价</h3><table class="grid"><thead><tr><th>年度</th><th>得分</th><th>等次</th><th>称号</th></tr></thead><tbody>${(c.evaluations || []).map((e) => `<tr><td>${e.year}</td><td>${e.score}</td><td>${esc(e.grade)}</td><td>${esc(e.title || '')}</td></tr>`).join('')}</tbody></table>
    <h3>党组织记录</h3><ul class="plain">${(c.history || []).map((h) => `<li>${h.from} ${esc(PARTY[h.party_org])} ${esc(h.party_org_name || '')}</li>`).join('')}</ul>`);
}

function card(html) {
  $('detail-empty').hidden = true;
  const c = $('card');
  c.hidden = false;
  c.innerHTML = html;
}

// ---- 志愿服务 -------------------------------------------------------------

async function loadVolunteers() {
  const [city, comms, grids] = await Promise.all([
    api(`/api/v1/volunteers/coverage?level=city&day=${places.day}`),
    api(`/api/v1/volunteers/coverage?level=community&day=${places.day}`),
    api(`/api/v1/volunteers/coverage?level=grid&day=${places.day}`),
  ]);
  const s = city.summary;
  $('v-summary').innerHTML = [
    ['服务对象', fmt(s.targets)], ['按期走访', pct(s.covered.value)], ['逾期未走访', fmt(s.overdue)],
    ['无服务队的对象', fmt(s.without_team)], ['有服务队的网格', `${fmt(city.areas[0].grids_with_team)}/${fmt(city.areas[0].grids)}`], ['志愿者', fmt(city.areas[0].volunteers)],
  ].map(([k, v]) => `<div><b>${v}</b><span>${k}</span></div>`).join('');
  $('v-note').textContent = `${places.day}；走访间隔：${Object.entries(city.intervals).map(([k, v]) => `${KINDS[k]} ${v} 天`).join('，')}`;
  const rows = comms.areas.slice().sort((a, b) => b.overdue - a.overdue).slice(0, 15);
  $('v-communities').querySelector('tbody').innerHTML = rows.map((a) => `<tr><td>${esc(a.name)}</td><td>${a.grids_with_team}/${a.grids}</td><td>${a.targets}</td><td class="${a.overdue ? 'badv' : ''}">${a.overdue}</td><td>${pct(a.covered.value)}</td></tr>`).join('');
  places.gridStats = new Map(grids.areas.map((a) => [a.code, a]));
  if (!places.grids) {
    places.grids = await api('/api/v1/layers/grids');
    for (const f of places.grids.features) f.properties = { code: f.properties.code, name: f.properties.name };
    places.map.getSource('grids').setData(places.grids);
  }
  const br = [0, 1, 2, 3];
  for (const f of places.grids.features) {
    const a = places.gridStats.get(f.properties.code);
    places.map.setFeatureState({ source: 'grids', id: f.properties.code }, { cls: a ? classOf(a.overdue, br) : -1 });
  }
  if (places.tab === 'volunteers') {
    $('legend').innerHTML = '<h4>网格内逾期未走访的服务对象</h4>' + ['0 人', '1 人', '2 人', '3 人', '4 人及以上']
      .map((l, k) => `<div class="li"><span class="sw" style="background:${RAMP[k]}"></span>${l}</div>`).join('')
      + '<p class="hint">只到网格一级，不显示个人位置</p>';
  }
  if (!places.items.length) {
    const it = await api('/api/v1/volunteers/items');
    places.items = it.items;
    $('v-items').innerHTML = `七项服务：${it.items.map((i) => esc(i.name)).join('、')}（前四项为本市确定，后三项为本系统按通行做法补充）`;
    const sel = $('log-form').elements.item;
    sel.innerHTML = it.items.map((i) => `<option value="${i.code}">${esc(i.name)}</option>`).join('') + '<option value="activity">驿站活动</option>';
  }
  if (places.editor) await loadOverdue(city.intervals);
}

async function loadOverdue(intervals) {
  const od = await api('/api/v1/volunteers/overdue?limit=30');
  $('v-overdue-note').textContent = `共 ${fmt(od.total)} 人（含无服务队）`;
  $('v-overdue').querySelector('tbody').innerHTML = od.targets.map((t) => `<tr data-target="${esc(t.id)}"><td>${esc(t.name)} <small class="muted">${esc(t.id)}</small></td><td>${esc(t.kind_name)}</td>`
    + `<td>${esc(t.coverage.grid_code)}${t.coverage.has_team ? '' : ' <span class="tag red">无服务队</span>'}</td><td>${t.coverage.last_visit ? cstDay(t.coverage.last_visit) : '从未'}</td><td class="badv">${t.coverage.days_overdue || '—'}</td></tr>`).join('');
  const f = $('interval-form');
  f.innerHTML = Object.entries(intervals).map(([k, v]) => `<label>${KINDS[k]} <input name="${k}" type="number" min="1" max="90" value="${v}"></label>`).join('')
    + '<div class="row"><button type="submit">保存间隔</button></div><div class="result" role="alert"></div>';
}

async function showGrid(code) {
  const a = places.gridStats.get(code) || {};
  let team = null;
  try { team = await api(`/api/v1/volunteers/teams/${code}`); } catch (e) { if (e.status !== 404) throw e; }
  let html = `<h2>${esc(team ? team.grid : code)} <small>${esc(code)}</small></h2>
    <dl><dt>服务对象</dt><dd>${a.targets ?? 0} 人（${Object.entries(a.by_kind || {}).map(([k, v]) => `${KINDS[k]} ${v}`).join('，') || '无'}）</dd>
    <dt>逾期未走访</dt><dd class="${a.overdue ? 'badv' : ''}">${a.overdue ?? 0} 人</dd><dt>近90天服务</dt><dd>${a.services_90d ?? 0} 次</dd></dl>`;
  html += team ? `<h3>${esc(team.name)}</h3><dl><dt>队长</dt><dd>${esc(team.leader)} ${esc(team.leader_phone)}</dd><dt>队员</dt><dd>${team.size} 人，其中党员 ${team.party_members} 人</dd><dt>成立</dt><dd>${esc(team.founded || '—')}</dd></dl>
    <p class="muted">${team.members.map((m) => esc(m.name)).join('、')}</p>` : '<p class="badv">该网格尚未组建党员志愿服务队。</p>';
  if (places.editor) {
    const tg = await api(`/api/v1/volunteers/targets?grid=${code}&limit=50`);
    html += `<h3>服务对象（仅组织部门可见）</h3><table class="grid"><thead><tr><th>姓名</th><th>类别</th><th>住址</th><th>下次走访</th></tr></thead><tbody>${tg.targets.map((t) => `<tr data-target="${esc(t.id)}"><td>${esc(t.name)}</td><td>${esc(t.kind_name)}</td><td>${esc(t.address)}${esc(t.room || '')}</td><td class="${t.coverage && t.coverage.overdue ? 'badv' : ''}">${t.coverage ? cstDay(t.coverage.due) : '—'}</td></tr>`).join('')}</tbody></table>`;
    $('log-form').elements.grid_code.value = code;
  }
  card(html);
}

async function saveLog(form) {
  const f = new FormData(form);
  const item = f.get('item');
  const body = { grid_code: f.get('grid_code').trim(), item, at: new Date(f.get('at')).toISOString(), minutes: Number(f.get('minutes')),
    volunteers: String(f.get('volunteers')).split(/[；;，,、]/).map((s) => s.trim()).filter(Boolean), note: f.get('note') };
  if (item === 'activity') body.station_code = f.get('target_id').trim();
  else body.target_id = f.get('target_id').trim();
  await api('/api/v1/volunteers/logs', { method: 'POST', body });
  toast('服务记录已保存');
  await refresh();
}

// ---- 红色驿站 -------------------------------------------------------------

async function loadStations() {
  const [cov, list, lapsed, crit] = await Promise.all([
    api('/api/v1/stations/coverage'),
    api(`/api/v1/stations?day=${places.day}&limit=5000`),
    api(`/api/v1/stations?day=${places.day}&lapsed=true&limit=200`),
    api('/api/v1/stations/criteria'),
  ]);
  const bar = (name, f, colour) => `<div>${name}：<b>${pct(f.grid_share)}</b>（${fmt(f.grids_covered)}/${fmt(f.grids)} 格）</div><div class="bar"><div style="width:${100 * f.grid_share}%;background:${colour}"></div><span class="target" style="left:${100 * cov.target}%"></span></div>`;
  $('s-coverage').innerHTML = bar('已建成', cov.built, '#c62828') + bar('加上在建', cov.with_under_construction, '#ef8f00') + bar('加上规划', cov.with_planned, '#8a94a6')
    + `<p class="hint">${cov.meets_target ? '已达到' : '尚未达到'}“驿站覆盖70%以上网格”的目标（竖线）。</p>`;
  const gs = cov.grid_stations;
  $('s-counts').innerHTML = [['党群服务中心', list.by_status && list.stations.filter((s) => s.kind === 'community_centre').length], ['网格驿站·建成', gs.built || 0], ['网格驿站·在建', gs.under_construction || 0], ['网格驿站·规划', gs.planned || 0], ['条件失效', lapsed.total], ['平均星级', avgStars(list.by_stars)]]
    .map(([k, v]) => `<div><b>${v}</b><span>${k}</span></div>`).join('');
  const max = Math.max(1, ...Object.values(list.by_stars));
  $('s-stars').innerHTML = [5, 4, 3, 2, 1, 0].map((n) => `<div class="row"><span style="width:80px">${n ? '★'.repeat(n) : '未评星'}</span><div class="bar" style="flex:1;margin:0"><div style="width:${100 * (list.by_stars[n] || 0) / max}%;background:#e0a800"></div><label>${list.by_stars[n] || 0}</label></div></div>`).join('');
  $('s-lapsed-note').textContent = `评定星级高于现有条件所能支持的驿站 ${lapsed.total} 个`;
  $('s-lapsed').querySelector('tbody').innerHTML = lapsed.stations.slice(0, 40).map((s) => `<tr data-station="${esc(s.code)}"><td>${esc(s.name)}</td><td>${stars(s.assessment.rated)}</td><td>${stars(s.assessment.ceiling)}</td><td>${s.assessment.criteria.filter((c) => s.assessment.lapsed.includes(c.id)).map((c) => esc(c.text)).join('；')}</td></tr>`).join('');
  $('s-criteria').querySelector('tbody').innerHTML = crit.criteria.map((c) => `<tr><td>${'★'.repeat(c.level)}</td><td>${esc(c.text)}</td><td>${{ inspection: '现场检查（一年有效）', hours: '开放时间', weekend: '开放时间', functions: '功能', activities: '服务记录', area: '档案' }[c.check]}</td></tr>`).join('');
  places.stations = list.stations;
  const lapsedSet = new Set(lapsed.stations.map((s) => s.code));
  places.map.getSource('stations').setData({
    type: 'FeatureCollection',
    features: list.stations.map((s) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: s.point },
      properties: { code: s.code, name: s.name, kind: s.kind, status: s.status, stars: s.stars, lapsed: lapsedSet.has(s.code) } })),
  });
  if (places.tab === 'stations') {
    $('legend').innerHTML = '<h4>驿站</h4><div class="li"><span class="sw" style="background:#6a1b9a;border-radius:50%"></span>党群服务中心</div><div class="li"><span class="sw" style="background:#c62828;border-radius:50%"></span>网格驿站·建成（大小为星级）</div>'
      + '<div class="li"><span class="sw" style="background:#ef8f00;border-radius:50%"></span>在建</div><div class="li"><span class="sw" style="background:#8a94a6;border-radius:50%"></span>规划</div><div class="li"><span class="sw" style="border:2px solid #111;border-radius:50%"></span>条件失效待降星</div>';
  }
}

function avgStars(by) {
  let n = 0, s = 0;
  for (const [k, v] of Object.entries(by)) { n += v; s += Number(k) * v; }
  return n ? (s / n).toFixed(2) : '—';
}

async function showStation(code) {
  const d = await api(`/api/v1/stations/${code}?day=${places.day}`);
  const s = d.station;
  const a = s.assessment;
  places.selected = { station: code };
  let html = `<h2>${esc(s.name)} <small>${esc(code)}</small></h2>
    <dl><dt>类型</dt><dd>${s.kind === 'community_centre' ? '党群服务中心' : '网格红色驿站'}</dd><dt>建设状态</dt><dd>${esc(LIFE[s.status])} <span class="muted">自 ${esc(s.status_since || '—')}</span></dd>
    <dt>开放时间</dt><dd>${esc(s.hours_text)}（每周 ${s.weekly_hours} 小时）</dd><dt>功能</dt><dd>${s.functions.map((f) => FUNCS[f]).join('、') || '—'}</dd><dt>面积</dt><dd>${s.area_m2} 平方米</dd>
    <dt>星级</dt><dd>${stars(s.stars)} <span class="muted">评定 ${a.rated} 星，现有条件支持 ${a.ceiling} 星</span></dd></dl>
    <h3>评星条件</h3><ul class="plain">${a.criteria.map((c) => `<li class="${c.met ? 'met' : 'unmet'}">${c.met ? '✓' : '✗'} ${'★'.repeat(c.level)} ${esc(c.text)} <span class="muted">${esc(c.found)}</span></li>`).join('')}</ul>
    <h3>星级记录</h3><table class="grid"><thead><tr><th>时间</th><th>类别</th><th>星级</th><th>说明</th></tr></thead><tbody>${(d.ratings || []).slice().reverse().map((r) => `<tr><td>${cstDay(r.at)}</td><td>${r.kind === 'award' ? '评定' : '<span class="badv">降星</span>'}</td><td>${r.stars}</td><td>${esc(r.note)}</td></tr>`).join('')}</tbody></table>
    <h3>建设记录</h3><ul class="plain">${(d.history || []).map((h) => `<li>${h.from} ${esc(LIFE[h.status])}${h.hours ? ' · ' + esc(h.hours) : ''}</li>`).join('')}</ul>`;
  if (places.editor) {
    const next = { planned: ['planned', 'under_construction'], under_construction: ['under_construction', 'built'], built: ['built'] }[s.status] || ['planned'];
    html += `<h3>登记建设与开放信息</h3><form id="st-form" class="form">
      <label>生效日期 <input name="day" type="date" value="${places.day}" required></label>
      <label>建设状态 <select name="status">${next.map((k) => `<option value="${k}">${LIFE[k]}</option>`).join('')}</select></label>
      <label>开放时间 <input name="hours" value="${esc(s.hours)}" placeholder="1-5 08:30-17:30; 6 09:00-12:00"></label>
      <label>功能 <span class="checks">${Object.entries(FUNCS).map(([k, v]) => `<label><input type="checkbox" name="fn" value="${k}"${s.functions.includes(k) ? ' checked' : ''}> ${v}</label>`).join('')}</span></label>
      <label>面积（平方米） <input name="area_m2" type="number" min="0" value="${s.area_m2}"></label>
      <div class="row"><button class="primary" type="submit">保存</button></div><div class="result" role="alert"></div></form>`;
    if (s.status === 'built') {
      html += `<h3>星级评定（现场检查）</h3><form id="rate-form" class="form">
        <label>评定星级 <select name="stars">${[0, 1, 2, 3, 4, 5].map((n) => `<option value="${n}"${n === a.rated ? ' selected' : ''}>${n} 星</option>`).join('')}</select></label>
        <span class="checks">${a.criteria.filter((c) => c.check === 'inspection').map((c) => `<label><input type="checkbox" name="crit" value="${c.id}" checked> ${esc(c.text)}</label>`).join('')}</span>
        <label>说明 <input name="note"></label>
        <div class="row"><button class="primary" type="submit">评定</button></div><div class="result" role="alert"></div></form>`;
    }
  }
  card(html);
  const sf = $('st-form');
  if (sf) sf.addEventListener('submit', (ev) => { ev.preventDefault(); saveStation(code, sf).catch((e) => showResult(sf, e)); });
  const rf = $('rate-form');
  if (rf) rf.addEventListener('submit', (ev) => { ev.preventDefault(); rateStation(code, rf).catch((e) => showResult(rf, e)); });
}

async function saveStation(code, form) {
  const f = new FormData(form);
  const body = { status: f.get('status'), hours: f.get('hours').trim(), functions: f.getAll('fn'), area_m2: Number(f.get('area_m2')) };
  const res = await api(`/api/v1/stations/${code}/records/${f.get('day')}`, { method: 'PUT', body });
  toast(res.downgrades && res.downgrades.length ? `已保存；条件失效，降为 ${res.downgrades[0].stars} 星` : '已保存');
  await refresh();
  await showStation(code);
  showResult($('st-form'), null);
}

async function rateStation(code, form) {
  const f = new FormData(form);
  await api(`/api/v1/stations/${code}/ratings`, { method: 'POST', body: { stars: Number(f.get('stars')), criteria: f.getAll('crit'), note: f.get('note') } });
  toast('星级已评定');
  await refresh();
  await showStation(code);
}

// ---- 导入导出 -------------------------------------------------------------

function fillLists() {
  const opts = Object.entries(SHEETS).map(([k, v]) => `<option value="${k}">${v}</option>`).join('');
  $('f-list').innerHTML = opts;
  $('f-import-list').innerHTML = opts;
}

async function exportList() {
  const list = $('f-list').value;
  const format = $('f-format').value;
  const blob = await api(`/api/v1/places/export/${list}?format=${format}`, { blob: true });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `${SHEETS[list]}.${format}`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  places.lastExport = { list, format, size: blob.size };
}

async function importList() {
  const file = $('f-file').files[0];
  const box = $('f-result');
  if (!file) { box.className = 'bad'; box.textContent = '请选择文件'; return; }
  const list = $('f-import-list').value;
  const dry = $('f-dry').checked;
  const type = file.name.endsWith('.xlsx') ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv';
  try {
    const res = await api(`/api/v1/places/import/${list}${dry ? '?dry_run=true' : ''}`, { method: 'POST', body: await file.arrayBuffer(), raw: true, type });
    box.className = 'ok';
    box.textContent = dry ? `校验通过：${res.rows} 行，未写入` : `已导入 ${res.written} 条${res.downgrades && res.downgrades.length ? `，${res.downgrades.length} 个驿站降星` : ''}`;
    if (!dry) await refresh();
  } catch (e) {
    box.className = 'bad';
    const errs = (e.body && e.body.errors) || [];
    box.innerHTML = `整表退回，未写入任何数据：${errs.length ? '' : esc(explain(e))}`
      + (errs.length ? `<table class="grid"><thead><tr><th>行</th><th>列</th><th>原因</th></tr></thead><tbody>${errs.slice(0, 50).map((x) => `<tr><td>${x.row}</td><td>${x.column ? colName(x.column) + (x.header ? ' ' + esc(x.header) : '') : '—'}</td><td>${esc(x.reason)}</td></tr>`).join('')}</tbody></table>` : '');
  }
}

function colName(n) {
  let s = '';
  while (n > 0) { n--; s = String.fromCharCode(65 + (n % 26)) + s; n = Math.floor(n / 26); }
  return s;
}

// ---- tabs, events, login -------------------------------------------------

function showTab(tab) {
  places.tab = tab;
  for (const b of document.querySelectorAll('#tabs button')) b.setAttribute('aria-selected', String(b.dataset.tab === tab));
  for (const s of document.querySelectorAll('#side .tab')) s.hidden = s.id !== `tab-${tab}`;
  setVisible('areas', tab === 'property' || tab === 'files');
  setVisible('grids', tab === 'volunteers');
  setVisible('stations', tab !== 'volunteers');
  if (tab === 'property') loadProperty().catch(fail);
  if (tab === 'volunteers') loadVolunteers().catch(fail);
  if (tab === 'stations') loadStations().catch(fail);
}

async function refresh() {
  await kpis();
  if (places.tab === 'property') await loadProperty();
  if (places.tab === 'volunteers') await loadVolunteers();
  await loadStations();
}

function fail(err) {
  console.warn(err);
  if (err.status === 401) { showLogin('登录已失效，请重新输入令牌'); return; }
  toast(`加载失败：${explain(err)}`, true);
}

function wire() {
  for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => showTab(b.dataset.tab));
  for (const [id, key] of [['p-level', 'level'], ['p-measure', 'measure'], ['p-day', 'day'], ['p-base', 'base']]) {
    $(id).addEventListener('change', () => {
      places[key] = $(id).value;
      places.selected = null;
      refresh().catch(fail);
    });
  }
  const pick = (sel, attr, fn) => $(sel).addEventListener('click', (ev) => {
    const el = ev.target.closest(`[${attr}]`);
    if (el) fn(el.getAttribute(attr)).catch(fail);
  });
  pick('p-rank-top', 'data-code', showArea);
  pick('p-rank-bottom', 'data-code', showArea);
  pick('p-compounds', 'data-compound', showCompound);
  pick('p-companies', 'data-company', showCompany);
  pick('s-lapsed', 'data-station', showStation);
  $('p-search').addEventListener('click', () => searchCompounds().catch(fail));
  $('p-q').addEventListener('keydown', (ev) => { if (ev.key === 'Enter') searchCompounds().catch(fail); });
  $('log-form').addEventListener('submit', (ev) => { ev.preventDefault(); saveLog(ev.target).then(() => showResult(ev.target, null)).catch((e) => showResult(ev.target, e)); });
  $('interval-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = {};
    for (const el of ev.target.querySelectorAll('input')) body[el.name] = Number(el.value);
    api('/api/v1/volunteers/intervals', { method: 'PUT', body }).then(() => { showResult(ev.target, null); return refresh(); }).catch((e) => showResult(ev.target, e));
  });
  $('s-reassess').addEventListener('click', () => api('/api/v1/stations/reassess', { method: 'POST', body: {} })
    .then((r) => { $('s-reassess-result').textContent = `降星 ${r.downgrades.length} 个`; return refresh(); }).catch(fail));
  $('f-export').addEventListener('click', () => exportList().catch(fail));
  $('f-import').addEventListener('click', () => importList().catch(fail));
  for (const box of document.querySelectorAll('#layers input')) box.addEventListener('change', () => setVisible(box.dataset.layer, box.checked));
  const m = places.map;
  m.on('click', (ev) => {
    const hit = m.queryRenderedFeatures(ev.point, { layers: ['stations-dot', 'grids-fill', 'areas-fill'].filter((l) => m.getLayoutProperty(l, 'visibility') !== 'none') });
    if (!hit.length) return;
    const f = hit[0];
    if (f.layer.id === 'stations-dot') showStation(f.properties.code).catch(fail);
    else if (f.layer.id === 'grids-fill') showGrid(f.properties.code).catch(fail);
    else showArea(f.properties.code).catch(fail);
  });
  for (const l of ['stations-dot', 'grids-fill', 'areas-fill']) {
    m.on('mouseenter', l, () => { m.getCanvas().style.cursor = 'pointer'; });
    m.on('mouseleave', l, () => { m.getCanvas().style.cursor = ''; });
  }
  $('btn-login').addEventListener('click', () => showLogin());
  $('btn-logout').addEventListener('click', () => { sessionStorage.removeItem(TOKEN_KEY); location.reload(); });
  $('login-skip').addEventListener('click', () => { $('login').hidden = true; });
  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    useToken($('login-token').value.trim()).then(() => refresh()).catch(fail);
  });
}

function showLogin(msg = '') {
  $('login').hidden = false;
  $('login-error').textContent = msg;
  $('login-token').focus();
}

async function useToken(token) {
  places.token = token;
  try {
    const who = await api('/api/v1/whoami');
    places.role = who.role;
    places.editor = who.role === 'organiser' || who.role === 'admin';
    sessionStorage.setItem(TOKEN_KEY, token);
    $('who-name').textContent = `${who.name}（${{ organiser: '组织部门', admin: '管理员', viewer: '只读', dispatcher: '调度', planner: '规划' }[who.role] || who.role}${places.editor ? '，可编辑' : '，只读'}）`;
    $('btn-login').hidden = true;
    $('btn-logout').hidden = false;
    $('login').hidden = true;
  } catch (e) {
    places.token = '';
    places.role = '';
    places.editor = false;
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(e.status === 401 ? '令牌无效或已注销' : explain(e));
  }
  for (const el of document.querySelectorAll('.editor-only')) el.hidden = !places.editor;
  for (const el of document.querySelectorAll('.viewer-only')) el.hidden = places.editor;
}

async function start() {
  $('p-day').value = places.day;
  fillLists();
  const u = new URL(location.href);
  const given = u.searchParams.get('access_token');
  if (given) {
    u.searchParams.delete('access_token');
    history.replaceState(null, '', u);
  }
  if (u.searchParams.get('day')) {
    places.day = u.searchParams.get('day');
    $('p-day').value = places.day;
  }
  const token = given || sessionStorage.getItem(TOKEN_KEY);
  if (token) await useToken(token);
  wire();
  await Promise.all([kpis(), loadProperty(), loadStations(), districts()]);
  showTab(u.searchParams.get('tab') || 'property');
  places.map.once('idle', () => {
    places.ready = true;
    document.body.dataset.ready = '1';
  });
  places.map.triggerRepaint();
}

places.show = { station: showStation, compound: showCompound, grid: showGrid, area: showArea, company: showCompany };
places.map = newMap();
window.map = places.map;
places.map.on('load', () => {
  addLayers(places.map);
  start().catch((err) => {
    console.error(err);
    const f = $('fatal');
    f.hidden = false;
    f.textContent = `数据加载失败：${err.message}`;
  });
});
