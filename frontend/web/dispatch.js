// The dispatcher console: find the grid of a place (map click, coordinates
// in WGS84 or GCJ-02, or an address through the geocoder), report an
// incident there, watch the open incidents with their SLA clocks and move
// them through the lifecycle ("whistle and report"), all live from the
// server's event stream. Everything comes from the gridmap binary: the map
// style from /style.json (dark, no glyphs or sprites), the grid card from
// /api/v1/locate, categories and departments from /api/v1/rules.
import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';

const abs = (p) => new URL(p, location.href).href;
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const fmt = (n) => (n == null || Number.isNaN(n) ? '—' : Number(n).toLocaleString('zh-CN'));
const TOKEN_KEY = 'gridmap.dispatch.token';

const OPEN = ['reported', 'accepted', 'dispatched', 'responded'];
const STATUS = {
  reported: '待受理', accepted: '已受理', dispatched: '已派单', responded: '部门已报到',
  resolved: '已办结', closed: '已结案', rejected: '不予受理', duplicate: '重复',
};
const FLOW = ['reported', 'accepted', 'dispatched', 'responded', 'resolved', 'closed'];
const MODULE = { development: '发展', enforcement: '执法', livelihood: '民生' };
const ACTION = {
  accept: '受理', reject: '不予受理', mark_duplicate: '标记重复', dispatch: '吹哨派单', respond: '部门报到',
  resolve: '办结', close: '结案', reopen: '退回重办',
};
const STATION_KIND = { community_centre: '党群服务中心', grid_station: '网格红色驿站' };
const STATION_STATUS = { built: '已建', planned: '规划' };
const ROLE = { viewer: '观察员', dispatcher: '调度员', planner: '规划员', admin: '管理员' };

// window.dispatch is the page's state, read by the browser tests.
const dispatch = {
  ready: false,
  token: '',
  user: null, // { name, role, incidents }
  rules: null,
  point: null, // [lon, lat] WGS84 of the place in the card
  locate: null, // the last /api/v1/locate answer
  incidents: [], // the open list as shown
  total: 0,
  selected: null, // id of the incident in the detail panel
  detail: null, // { incident, history }
  live: false,
  events: 0,
  lastEventId: '',
  idempotencyKey: '',
};
window.dispatch = dispatch;

// ---- API ----------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// explain puts a server error into words a dispatcher reads: what kind of
// failure in Chinese, then the server's own message.
function explain(status, msg) {
  const kind = {
    400: '请求有误', 401: '令牌无效或已吊销，请重新登录', 403: '当前令牌无此权限', 404: '未找到',
    409: '当前状态不允许该操作', 413: '内容过长', 422: '内容不符合要求', 429: '操作过于频繁，请稍后再试',
    503: '服务暂不可用，请稍后重试',
  }[status] || `服务器错误（HTTP ${status}）`;
  return msg ? `${kind}：${msg}` : kind;
}

async function api(path, { method = 'GET', body, headers = {} } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (dispatch.token) h.Authorization = `Bearer ${dispatch.token}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  let r;
  try {
    r = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-cache' });
  } catch (err) {
    throw new ApiError(0, `无法连接服务器：${err.message}`);
  }
  const text = await r.text();
  let j = null;
  try { j = text ? JSON.parse(text) : null; } catch (_) { /* not JSON */ }
  if (!r.ok) {
    const e = new ApiError(r.status, explain(r.status, (j && j.error) || text.slice(0, 300)));
    if (r.status === 401 && dispatch.token) showLogin(e.message);
    throw e;
  }
  return j;
}

function toast(msg, kind = 'ok') {
  const t = $('toast');
  t.textContent = msg;
  t.className = kind;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, kind === 'error' ? 8000 : 4000);
}

function showError(box, err) {
  const el = $(box);
  el.textContent = err ? (err.message || String(err)) : '';
  el.hidden = !err;
}

// ---- time -------------------------------------------------------------

const pad = (n) => String(n).padStart(2, '0');

function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  const t = d.toLocaleTimeString('zh-CN', { hour12: false });
  return today ? t : `${d.getMonth() + 1}月${d.getDate()}日 ${t}`;
}

function span(ms) {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  const hms = `${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return d ? `${d}天 ${hms}` : hms;
}

// slaOf says which deadline an incident runs against now: accepting it
// while it is reported, resolving it after; none once it is resolved.
function slaOf(inc) {
  const sla = inc.sla || {};
  if (!OPEN.includes(inc.status)) return null;
  const accepting = inc.status === 'reported';
  const due = accepting ? sla.accept_due : sla.resolve_due;
  return { due, label: accepting ? '受理' : '办结', escalated: !!sla.escalated_at, overdueFlag: !!sla.overdue };
}

function slaHTML(inc) {
  const s = slaOf(inc);
  if (!s) return '';
  if (!s.due) return `<span class="sla none" data-testid="sla">无时限</span>`;
  return `<span class="sla" data-testid="sla" data-due="${esc(s.due)}" data-label="${s.label}" data-flag="${s.overdueFlag ? 1 : 0}"></span>`;
}

// tickClocks rewrites every SLA clock on the page: time left, or how long
// overdue (red).
function tickClocks() {
  const now = Date.now();
  for (const el of document.querySelectorAll('.sla[data-due]')) {
    const left = new Date(el.dataset.due).getTime() - now;
    const over = left < 0 || el.dataset.flag === '1';
    el.classList.toggle('overdue', over);
    el.textContent = left < 0 ? `${el.dataset.label}超时 ${span(left)}` : `${el.dataset.label}剩余 ${span(left)}`;
    el.closest('li.inc')?.classList.toggle('overdue', over);
  }
  const d = new Date();
  $('clock').textContent = d.toLocaleTimeString('zh-CN', { hour12: false });
}

// ---- login ------------------------------------------------------------

function showLogin(msg) {
  $('login').hidden = false;
  showError('login-error', msg ? { message: msg } : null);
  $('token').focus();
}

async function login(token) {
  dispatch.token = token;
  const me = await api('/api/v1/whoami');
  dispatch.user = me;
  sessionStorage.setItem(TOKEN_KEY, token);
  $('login').hidden = true;
  $('who-name').textContent = `${me.name}（${ROLE[me.role] || me.role}）`;
  $('logout').hidden = false;
  if (!me.incidents) toast(`令牌角色为${ROLE[me.role] || me.role}，只能查看，不能创建或处置事件`, 'error');
  updateCreateButton();
  await loadIncidents();
  listen();
}

function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
  dispatch.token = '';
  dispatch.user = null;
  closeStream();
  $('who-name').textContent = '未登录';
  $('logout').hidden = true;
  dispatch.incidents = [];
  renderList();
  closeDetail();
  showLogin();
}

// ---- the map ----------------------------------------------------------

const map = new maplibregl.Map({
  container: 'map',
  style: abs('/style.json'),
  center: [117.55, 34.86],
  zoom: 12,
  attributionControl: false,
  canvasContextAttributes: { preserveDrawingBuffer: true, antialias: true },
  dragRotate: false,
  pitchWithRotate: false,
});
map.touchZoomRotate.disableRotation();
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'bottom-right');
window.map = map;

let pin = null;

function setupLayers() {
  // The style's own incident dots come from cached tiles; the console draws
  // the live list instead.
  if (map.getLayer('incidents-open')) map.setLayoutProperty('incidents-open', 'visibility', 'none');
  map.addLayer({
    id: 'grid-selected', type: 'line', source: 'gridmap', 'source-layer': 'grids',
    filter: ['==', ['get', 'code'], ''],
    paint: { 'line-color': '#00e5ff', 'line-width': 3.5 },
  });
  map.addSource('open-incidents', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({
    id: 'inc-dots', type: 'circle', source: 'open-incidents',
    paint: {
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 3, 16, 8],
      'circle-color': ['match', ['get', 'status'], 'reported', '#ff4d5e', 'accepted', '#ffa940', 'dispatched', '#ffd666', 'responded', '#b37feb', 'resolved', '#73d13d', '#bfbfbf'],
      'circle-stroke-color': ['case', ['get', 'overdue'], '#ff1f3d', ['get', 'selected'], '#ffffff', '#111a2b'],
      'circle-stroke-width': ['case', ['get', 'selected'], 3, ['get', 'overdue'], 2.5, 1],
    },
  });
}

function paintIncidents() {
  const src = map.getSource('open-incidents');
  if (!src) return;
  const now = Date.now();
  src.setData({
    type: 'FeatureCollection',
    features: dispatch.incidents.map((inc) => {
      const s = slaOf(inc);
      const overdue = !!(s && (s.overdueFlag || (s.due && new Date(s.due).getTime() < now)));
      return {
        type: 'Feature', geometry: { type: 'Point', coordinates: inc.point },
        properties: { id: inc.id, status: inc.status, overdue, selected: inc.id === dispatch.selected },
      };
    }),
  });
}

function outlineGrid(code) {
  if (map.getLayer('grid-selected')) map.setFilter('grid-selected', ['==', ['get', 'code'], code || '']);
}

function putPin(lonlat) {
  if (!pin) {
    const el = document.createElement('div');
    el.className = 'pin';
    pin = new maplibregl.Marker({ element: el, anchor: 'bottom' });
  }
  pin.setLngLat(lonlat).addTo(map);
}

// ---- the grid card ----------------------------------------------------

function distance(m) {
  if (m == null) return '';
  return m < 1000 ? `${Math.round(m)} 米` : `${(m / 1000).toFixed(2)} 公里`;
}

// locateAt asks which grid a point is in and shows its card; crs names the
// coordinates given (the answer's point is always WGS84).
async function locateAt(lon, lat, crs = 'wgs84', opts = {}) {
  const q = new URLSearchParams({ lon: String(lon), lat: String(lat) });
  if (crs !== 'wgs84') q.set('crs', crs);
  const a = await api(`/api/v1/locate?${q}`);
  dispatch.locate = a;
  dispatch.point = a.point_wgs84;
  putPin(a.point_wgs84);
  renderCard(a);
  if (!opts.keepAddress) $('address').value = '';
  newDraft();
  if (opts.fly) map.flyTo({ center: a.point_wgs84, zoom: Math.max(map.getZoom(), 16), duration: 800 });
  if ($('f-grid').checked) loadIncidents().catch((e) => toast(e.message, 'error'));
  return a;
}

function renderCard(a) {
  const card = $('card');
  const g = a.grid;
  const ng = a.nearest_grid;
  const pt = a.point_wgs84;
  const where = `<div class="pt">WGS84 ${pt[0].toFixed(6)}, ${pt[1].toFixed(6)}</div>`;
  if (!g) {
    card.dataset.grid = '';
    outlineGrid(ng ? ng.code : '');
    card.innerHTML = `<h2>不在网格内</h2>${where}
      <div class="note">${ng ? `该点不在任何网格内；最近网格为 ${esc(ng.name)}（${esc(ng.code)}），距离 ${distance(a.distance_m)}。无法在此处创建事件。` : '该点不在任何网格范围内，无法在此处创建事件。'}</div>`;
    return;
  }
  card.dataset.grid = g.code;
  outlineGrid(g.code);
  const head = g.head || {};
  const team = (g.team || []).map((p) => `<li>${esc(p.name)} <small>${esc(p.title)} · ${esc(p.phone)}</small></li>`).join('');
  const cadres = (g.cadres || []).map((c) =>
    `<li>${esc(c.name)} <small>${esc(c.unit)} · ${esc(c.rank)}</small> <span class="tel">${esc(c.phone)}</span></li>`).join('') || '<li>—</li>';
  const st = a.nearest_station;
  const station = st
    ? `${esc(st.name)}<br><small>${esc(STATION_KIND[st.kind] || st.kind)} · ${esc(STATION_STATUS[st.status] || st.status)}${st.stars ? ` · ${'★'.repeat(st.stars)}` : ''}</small> <b class="dist" data-testid="station-distance">${distance(st.distance_m)}</b>`
    : '—';
  card.innerHTML = `
    <h2 data-testid="grid-name">${esc(g.name)}</h2>
    <div class="code" data-testid="grid-code">${esc(g.code)}</div>
    <div class="path"><span data-testid="district">${esc(g.district?.name)}</span> · <span data-testid="street">${esc(g.street?.name)}</span> · <span data-testid="community">${esc(g.community?.name)}</span></div>
    ${where}
    <div class="figs"><span>户数 <b>${fmt(g.households)}</b></span><span>人口 <b>${fmt(g.population)}</b></span><span>楼栋 <b>${fmt(g.buildings)}</b></span></div>
    <dl>
      <dt>网格长</dt><dd data-testid="grid-head">${esc(head.name)} <small>${esc(head.title)}</small> <span class="tel">${esc(head.phone)}</span></dd>
      ${team ? `<dt>网格员</dt><dd><ul>${team}</ul></dd>` : ''}
      <dt>下沉干部</dt><dd><ul data-testid="cadres">${cadres}</ul></dd>
      <dt>最近站点</dt><dd data-testid="station">${station}</dd>
    </dl>`;
}

// ---- search: address and coordinates ----------------------------------

let suggestTimer = null;
let suggestSeq = 0;

async function suggest(text) {
  const seq = ++suggestSeq;
  const list = $('suggest');
  if (text.trim().length < 2) {
    list.hidden = true;
    return;
  }
  const r = await api(`/api/v1/geocode/suggest?${new URLSearchParams({ q: text, limit: '8' })}`);
  if (seq !== suggestSeq) return;
  const items = r.suggestions || [];
  list.innerHTML = items.map((s, i) =>
    `<li role="option" data-i="${i}" data-text="${esc((s.context || '') + s.text)}">${esc(s.text)} <small>${esc(s.context || '')}</small></li>`).join('');
  list.hidden = items.length === 0;
}

async function geocode(text) {
  clearTimeout(suggestTimer);
  suggestSeq++; // a suggestion list still on its way is not wanted now
  $('suggest').hidden = true;
  const box = $('candidates');
  box.hidden = true;
  const ans = await api(`/api/v1/geocode?${new URLSearchParams({ q: text, limit: '5' })}`);
  const cs = ans.candidates || [];
  if (ans.status === 'ok' && cs.length) return useCandidate(cs[0]);
  if (!cs.length) {
    toast(`未找到该地址${ans.message ? `：${ans.message}` : ''}`, 'error');
    return null;
  }
  // Ambiguous: let the dispatcher choose rather than guess.
  box.innerHTML = `<div class="note">地址有多个可能的位置${ans.message ? `（${esc(ans.message)}）` : ''}，请选择：</div><ol>${
    cs.map((c, i) => `<li><button type="button" data-i="${i}">${esc(c.address || c.name)}<small>${esc(c.grid_name || '')} · 可信度 ${Math.round((c.confidence || 0) * 100)}%</small></button></li>`).join('')}</ol>`;
  box.hidden = false;
  box.onclick = (e) => {
    const b = e.target.closest('button[data-i]');
    if (!b) return;
    box.hidden = true;
    useCandidate(cs[Number(b.dataset.i)]).catch((err) => toast(err.message, 'error'));
  };
  return null;
}

async function useCandidate(c) {
  const a = await locateAt(c.point[0], c.point[1], 'wgs84', { fly: true, keepAddress: true });
  $('address').value = c.address || c.name || '';
  return a;
}

function parseCoords(text) {
  const m = text.trim().split(/[\s,，;；]+/).filter(Boolean).map(Number);
  if (m.length !== 2 || m.some((v) => !Number.isFinite(v))) throw new Error('坐标格式应为“经度,纬度”，如 117.55,34.86');
  const [lon, lat] = m;
  if (lon < -180 || lon > 180 || lat < -90 || lat > 90) throw new Error('经度须在 -180～180，纬度须在 -90～90 之间');
  return [lon, lat];
}

// ---- the create form ---------------------------------------------------

function renderRules() {
  const r = dispatch.rules;
  const byModule = {};
  for (const c of r.categories) (byModule[c.module] ||= []).push(c);
  $('category').innerHTML = '<option value="">请选择类别…</option>' + Object.keys(MODULE).filter((m) => byModule[m])
    .map((m) => `<optgroup label="${MODULE[m]}">${byModule[m].map((c) => `<option value="${esc(c.code)}">${esc(c.name)}</option>`).join('')}</optgroup>`).join('');
  $('f-category').innerHTML = '<option value="">全部类别</option>' + r.categories.map((c) => `<option value="${esc(c.code)}">${esc(c.name)}</option>`).join('');
}

const depName = (code) => dispatch.rules?.departments.find((d) => d.code === code)?.name || code;
const catName = (inc) => inc.category_name || dispatch.rules?.categories.find((c) => c.code === inc.category)?.name || inc.category;

function durationText(d) {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:\d+s)?$/.exec(d || '');
  if (!m) return d || '';
  const h = Number(m[1] || 0), min = Number(m[2] || 0);
  if (h >= 24 && h % 24 === 0 && !min) return `${h / 24} 天`;
  return [h ? `${h} 小时` : '', min ? `${min} 分钟` : ''].join('') || d;
}

function categoryNote() {
  const c = dispatch.rules?.categories.find((x) => x.code === $('category').value);
  if (!c) {
    $('category-note').textContent = '';
    return;
  }
  const sla = c.sla || dispatch.rules.default_sla;
  $('category-note').textContent = `${MODULE[c.module]} · 受理时限 ${durationText(sla.accept)} · 办结时限 ${durationText(sla.resolve)} · 派往 ${c.departments.map(depName).join('、')}`;
}

// newDraft starts a new report: a fresh idempotency key, so that a retry
// of the same report (same key, same body) cannot create it twice.
function newDraft() {
  dispatch.idempotencyKey = (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`);
  $('idem').textContent = `幂等键 ${dispatch.idempotencyKey.slice(0, 8)}`;
  const a = dispatch.locate;
  $('create-point').innerHTML = a && a.grid
    ? `<b>${esc(a.grid.name)}</b> <small>${a.point_wgs84[0].toFixed(6)}, ${a.point_wgs84[1].toFixed(6)}</small>`
    : '<span class="muted">请先在地图上选点（须在网格内）</span>';
  updateCreateButton();
  showError('create-error', null);
}

function updateCreateButton() {
  const ok = !!(dispatch.locate && dispatch.locate.grid && dispatch.user && dispatch.user.incidents);
  $('create-submit').disabled = !ok;
  $('create-submit').title = ok ? '' : !dispatch.user ? '请先登录' : !dispatch.user.incidents ? '该令牌无权创建事件' : '请先选点';
}

async function createIncident() {
  const a = dispatch.locate;
  const body = {
    category: $('category').value,
    description: $('description').value.trim(),
    lon: a.point_wgs84[0], lat: a.point_wgs84[1], crs: 'wgs84',
    source: 'phone',
  };
  if (!body.category) throw new Error('请选择事件类别');
  if (!body.description) throw new Error('请填写事件描述');
  const addr = $('address').value.trim();
  if (addr) body.address = addr;
  const name = $('caller-name').value.trim(), phone = $('caller-phone').value.trim();
  if (phone && !/^[0-9+\-\s()]{5,20}$/.test(phone)) throw new Error('来电电话格式不正确');
  if (name || phone) body.caller = { name, phone };
  const btn = $('create-submit');
  btn.disabled = true;
  btn.textContent = '提交中…';
  try {
    // A network failure keeps the key: submitting again is a safe retry.
    const inc = await api('/api/v1/incidents', { method: 'POST', body, headers: { 'Idempotency-Key': dispatch.idempotencyKey } });
    toast(`已创建事件 ${inc.id}（${catName(inc)}，${inc.grid?.name || inc.grid_code}）`);
    $('description').value = '';
    $('caller-name').value = '';
    $('caller-phone').value = '';
    upsert(inc);
    newDraft();
    await select(inc.id);
    return inc;
  } finally {
    btn.textContent = '创建事件';
    updateCreateButton();
  }
}

// ---- the incident list ------------------------------------------------

function filterQuery() {
  const q = new URLSearchParams({ limit: '200' });
  const st = $('f-status').value;
  q.set('status', st === 'open' ? OPEN.join(',') : st);
  if ($('f-category').value) q.set('category', $('f-category').value);
  if ($('f-grid').checked && dispatch.locate?.grid) q.set('grid', dispatch.locate.grid.code);
  return q;
}

// matches says whether an incident belongs in the list under the filters.
function matches(inc) {
  const st = $('f-status').value;
  if (st === 'open' ? !OPEN.includes(inc.status) : inc.status !== st) return false;
  if ($('f-category').value && inc.category !== $('f-category').value) return false;
  if ($('f-grid').checked && dispatch.locate?.grid && inc.grid_code !== dispatch.locate.grid.code) return false;
  if ($('f-overdue').checked) {
    const s = slaOf(inc);
    if (!(s && (s.escalated || s.overdueFlag || (s.due && new Date(s.due) < new Date())))) return false;
  }
  return true;
}

let listSeq = 0;
async function loadIncidents() {
  if (!dispatch.token) return;
  const seq = ++listSeq;
  const r = await api(`/api/v1/incidents?${filterQuery()}`);
  if (seq !== listSeq) return;
  dispatch.incidents = r.incidents.filter(matches);
  dispatch.total = r.total - (r.incidents.length - dispatch.incidents.length);
  renderList();
}

// upsert puts a fresh copy of an incident into the list, or takes it out
// when it no longer matches the filters.
function upsert(inc) {
  const i = dispatch.incidents.findIndex((x) => x.id === inc.id);
  const keep = matches(inc);
  if (i >= 0 && keep) dispatch.incidents[i] = inc;
  else if (i >= 0) {
    dispatch.incidents.splice(i, 1);
    dispatch.total--;
  } else if (keep) {
    dispatch.incidents.unshift(inc);
    dispatch.total++;
  }
  renderList();
}

function statusChip(s) {
  return `<span class="chip s-${esc(s)}" data-testid="status" data-status="${esc(s)}">${esc(STATUS[s] || s)}</span>`;
}

function renderList() {
  const n = dispatch.incidents.length;
  $('list-count').textContent = dispatch.total > n ? `共 ${fmt(dispatch.total)} 件，显示最新 ${fmt(n)} 件` : `共 ${fmt(n)} 件`;
  $('incidents').innerHTML = dispatch.incidents.map((inc) => {
    const esc1 = inc.sla?.escalated_at ? `<span class="tag esc" data-testid="escalated">已升级${inc.sla.escalated_to?.name ? `至${esc(inc.sla.escalated_to.name)}` : ''}</span>` : '';
    return `<li class="inc${inc.id === dispatch.selected ? ' on' : ''}" data-id="${esc(inc.id)}" tabindex="0">
      <div class="l1"><b>${esc(catName(inc))}</b>${statusChip(inc.status)}${esc1}</div>
      <div class="l2">${esc(inc.grid?.name || inc.grid_code)} · ${esc(inc.street?.name || '')}</div>
      <div class="l3"><span class="id">${esc(inc.id)}</span><span>${when(inc.reported_at)}</span>${slaHTML(inc)}</div>
    </li>`;
  }).join('') || '<li class="none">暂无符合条件的事件</li>';
  tickClocks();
  paintIncidents();
}

// ---- the detail panel and transitions ---------------------------------

async function select(id) {
  if (dispatch.selected !== id) $('detail').scrollTop = 0;
  dispatch.selected = id;
  showError('detail-error', null);
  for (const li of document.querySelectorAll('#incidents li.inc')) li.classList.toggle('on', li.dataset.id === id);
  const d = await api(`/api/v1/incidents/${encodeURIComponent(id)}`);
  if (dispatch.selected !== id) return;
  dispatch.detail = d;
  renderDetail();
  paintIncidents();
}

function closeDetail() {
  dispatch.selected = null;
  dispatch.detail = null;
  $('detail').hidden = true;
  for (const li of document.querySelectorAll('#incidents li.inc.on')) li.classList.remove('on');
  paintIncidents();
}

function stepper(status) {
  const at = FLOW.indexOf(status);
  if (at < 0) return `<div class="flow end">${statusChip(status)}</div>`;
  return `<ol class="flow">${FLOW.map((s, i) => `<li class="${i < at ? 'done' : i === at ? 'now' : ''}">${STATUS[s]}</li>`).join('')}</ol>`;
}

function renderDetail() {
  const { incident: inc, history } = dispatch.detail;
  $('detail').hidden = false;
  $('detail').dataset.id = inc.id;
  $('detail').dataset.status = inc.status;
  const sla = inc.sla || {};
  const deps = inc.departments.map((d) => `<span class="tag ${inc.responded.includes(d) ? 'ok' : ''}">${esc(depName(d))}${inc.responded.includes(d) ? ' ✓已报到' : ''}</span>`).join('') || '—';
  const resp = (inc.responders || []).map((r) =>
    `<li>${esc({ grid_head: '网格长', grid_worker: '网格员', cadre: '下沉干部' }[r.role] || r.role)} ${esc(r.name)} <span class="tel">${esc(r.phone)}</span> <small>${esc(r.unit || '')}</small></li>`).join('');
  const caller = inc.caller ? `<dt>来电人</dt><dd data-testid="caller">${esc(inc.caller.name || '—')} <span class="tel">${esc(inc.caller.phone || '')}</span></dd>` : '';
  $('detail-body').innerHTML = `
    <div class="dhead">
      <h2>${esc(catName(inc))} ${statusChip(inc.status)}</h2>
      <div class="code">${esc(inc.id)} · ${esc(MODULE[inc.module] || inc.module)} · 来源 ${esc(inc.source || '—')}</div>
      ${stepper(inc.status)}
    </div>
    <p class="desc">${esc(inc.description)}</p>
    <dl>
      <dt>网格</dt><dd>${esc(inc.grid?.name || inc.grid_code)} <small>${esc(inc.community?.name || '')} · ${esc(inc.street?.name || '')}</small></dd>
      ${inc.address ? `<dt>地址</dt><dd>${esc(inc.address)}</dd>` : ''}
      <dt>上报时间</dt><dd>${when(inc.reported_at)}</dd>
      <dt>时限</dt><dd>${sla.accept_due ? `受理 ${when(sla.accept_due)} · 办结 ${when(sla.resolve_due)}` : '无'} ${slaHTML(inc)}
        ${sla.escalated_at ? `<br><span class="tag esc">已于 ${when(sla.escalated_at)} 升级至${esc(sla.escalated_to?.name || '街道')}</span>` : ''}</dd>
      ${caller}
      <dt>派往部门</dt><dd data-testid="departments">${deps}</dd>
      <dt>首接责任人</dt><dd><ul>${resp || '<li>—</li>'}</ul></dd>
      ${inc.duplicate_of ? `<dt>重复于</dt><dd>${esc(inc.duplicate_of)}</dd>` : ''}
    </dl>`;
  renderActions(inc);
  $('history').innerHTML = history.slice().reverse().map((h) => `
    <li data-testid="history-entry"><span class="t">${when(h.at)}</span>
      <b>${esc(h.type === 'created' ? '上报' : h.type === 'escalated' ? '超时升级' : ACTION[h.action] || h.action)}</b>
      ${h.from && h.from !== h.to ? `<small>${esc(STATUS[h.from] || h.from)} → ${esc(STATUS[h.to] || h.to)}</small>` : ''}
      ${h.departments?.length ? `<div class="deps">${h.departments.map((d) => esc(depName(d))).join('、')}</div>` : ''}
      ${h.note && h.type !== 'created' ? `<div class="note">${esc(h.note)}</div>` : ''}
      <div class="who">${esc(h.actor || '')}${h.actor_role ? ` · ${esc(ROLE[h.actor_role] || h.actor_role)}` : ''}</div></li>`).join('');
  tickClocks();
}

// renderActions offers exactly the transitions the lifecycle allows from
// the incident's state (next_states from the server), with what each needs.
function renderActions(inc) {
  const box = $('actions');
  const may = dispatch.user?.incidents;
  const next = inc.next_states || [];
  if (!may || !next.length) {
    box.innerHTML = next.length ? '<div class="muted">当前令牌无权处置事件</div>' : '<div class="muted">事件已终结，无可执行操作</div>';
    return;
  }
  const parts = [];
  const btn = (to, label, cls = '', extra = '') => `<button type="button" class="act ${cls}" data-to="${to}" ${extra}>${label}</button>`;
  const simple = [];
  if (next.includes('accepted')) simple.push(btn('accepted', inc.status === 'resolved' ? '退回重办' : '受理', inc.status === 'resolved' ? '' : 'primary'));
  if (next.includes('resolved')) simple.push(btn('resolved', '办结', 'primary'));
  if (next.includes('closed')) simple.push(btn('closed', '结案', 'primary'));
  if (next.includes('rejected')) simple.push(btn('rejected', '不予受理', 'warn'));
  if (simple.length) parts.push(`<div class="btns">${simple.join('')}</div>`);
  if (next.includes('dispatched')) {
    const named = new Set(inc.departments);
    const cat = dispatch.rules.categories.find((c) => c.code === inc.category);
    const suggested = new Set(named.size ? [] : cat?.departments || []);
    const unnamed = dispatch.rules.departments.filter((d) => !named.has(d.code));
    if (unnamed.length) {
      parts.push(`<fieldset class="deps"><legend>${named.size ? '追加吹哨' : '吹哨派单'}：选择报到部门（1+6+N）</legend>
        ${dispatch.rules.departments.map((d) => `<label class="${named.has(d.code) ? 'named' : ''}"><input type="checkbox" value="${esc(d.code)}" ${named.has(d.code) || suggested.has(d.code) ? 'checked' : ''} ${named.has(d.code) ? 'disabled' : ''}> ${esc(d.name)}</label>`).join('')}
        ${btn('dispatched', named.size ? '追加吹哨' : '吹哨派单', 'primary')}</fieldset>`);
    }
  }
  if (next.includes('responded')) {
    const pending = inc.departments.filter((d) => !inc.responded.includes(d));
    if (pending.length) {
      parts.push(`<div class="btns respond"><span class="muted">部门报到：</span>${pending.map((d) => btn('responded', `${esc(depName(d))} 报到`, '', `data-dep="${esc(d)}"`)).join('')}</div>`);
    }
  }
  if (next.includes('duplicate')) {
    const others = dispatch.incidents.filter((x) => x.id !== inc.id && x.grid_code === inc.grid_code).map((x) => `<option value="${esc(x.id)}">${esc(catName(x))}</option>`).join('');
    parts.push(`<div class="btns dup"><input id="dup-of" list="dup-list" placeholder="原事件编号" aria-label="重复于事件编号"><datalist id="dup-list">${others}</datalist>${btn('duplicate', '标记重复')}</div>`);
  }
  // A live refresh of the same incident keeps what the dispatcher is typing.
  const same = box.dataset.for === inc.id;
  const typed = same ? $('note')?.value ?? '' : '';
  const dup = same ? $('dup-of')?.value ?? '' : '';
  box.innerHTML = `<textarea id="note" rows="2" maxlength="2000" placeholder="处置说明（不予受理时必填）" aria-label="处置说明"></textarea>${parts.join('')}`;
  box.dataset.for = inc.id;
  $('note').value = typed;
  if ($('dup-of')) $('dup-of').value = dup;
}

async function transition(button) {
  const inc = dispatch.detail.incident;
  const to = button.dataset.to;
  const body = { to };
  const note = $('note')?.value.trim();
  if (note) body.note = note;
  if (to === 'rejected' && !note) throw new Error('不予受理须在处置说明中写明原因');
  if (to === 'dispatched') {
    body.departments = [...document.querySelectorAll('#actions fieldset.deps input:checked:not(:disabled)')].map((i) => i.value);
    if (!body.departments.length) throw new Error('请至少选择一个报到部门');
  }
  if (to === 'responded') body.departments = [button.dataset.dep];
  if (to === 'duplicate') {
    body.duplicate_of = $('dup-of').value.trim();
    if (!body.duplicate_of) throw new Error('请填写原事件编号');
  }
  for (const b of document.querySelectorAll('#actions button')) b.disabled = true;
  try {
    const r = await api(`/api/v1/incidents/${encodeURIComponent(inc.id)}/transitions`, { method: 'POST', body });
    if ($('note')) $('note').value = ''; // sent with this transition
    if ($('dup-of')) $('dup-of').value = '';
    toast(`${inc.id}：${ACTION[r.event.action] || r.event.action}，状态 ${STATUS[r.incident.status] || r.incident.status}`);
    upsert(r.incident);
    await select(inc.id);
  } finally {
    for (const b of document.querySelectorAll('#actions button')) b.disabled = false;
  }
}

// ---- live events ------------------------------------------------------

let stream = null;
const pending = new Set();
let flushTimer = null;

function setLive(on, text) {
  dispatch.live = on;
  const el = $('live');
  el.className = on ? 'on' : 'off';
  el.textContent = `● 实时：${text}`;
}

// listen follows the event stream; EventSource reconnects by itself and
// sends Last-Event-ID, so the server replays what was missed.
function listen() {
  closeStream();
  if (!window.EventSource) return setLive(false, '浏览器不支持');
  stream = new EventSource(`/api/v1/events?access_token=${encodeURIComponent(dispatch.token)}`);
  stream.onopen = () => setLive(true, '已连接');
  stream.onerror = () => setLive(false, stream.readyState === EventSource.CLOSED ? '已断开' : '重连中…');
  stream.onmessage = (e) => {
    dispatch.events++;
    dispatch.lastEventId = e.lastEventId;
    let ev;
    try { ev = JSON.parse(e.data); } catch (_) { return; }
    pending.add(ev.incident.id);
    if (!flushTimer) flushTimer = setTimeout(flushEvents, 250);
  };
}

function closeStream() {
  if (stream) stream.close();
  stream = null;
  setLive(false, '未连接');
}

// flushEvents refreshes the incidents the last events touched (the stream
// carries public fields only; the console needs the full record); after a
// burst it reloads the list instead.
async function flushEvents() {
  flushTimer = null;
  const ids = [...pending];
  pending.clear();
  try {
    if (ids.length > 20) {
      await loadIncidents();
      if (dispatch.selected && ids.includes(dispatch.selected)) await select(dispatch.selected);
      return;
    }
    for (const id of ids) {
      const d = await api(`/api/v1/incidents/${encodeURIComponent(id)}`);
      upsert(d.incident);
      if (dispatch.selected === id) {
        dispatch.detail = d;
        renderDetail();
      }
    }
  } catch (err) {
    toast(`实时更新失败：${err.message}`, 'error');
  }
}

// ---- wiring -----------------------------------------------------------

function guard(fn, box) {
  return (e) => {
    e?.preventDefault?.();
    Promise.resolve().then(fn).catch((err) => {
      console.warn(err);
      if (box) showError(box, err);
      else toast(err.message, 'error');
    });
  };
}

function wire() {
  $('login-form').addEventListener('submit', guard(async () => {
    const t = $('token').value.trim();
    if (!t) throw new Error('请输入令牌');
    try {
      await login(t);
    } catch (err) {
      dispatch.token = '';
      throw err;
    }
  }, 'login-error'));
  $('logout').addEventListener('click', logout);
  $('addr').addEventListener('input', () => {
    clearTimeout(suggestTimer);
    suggestTimer = setTimeout(() => suggest($('addr').value).catch(() => {}), 200);
  });
  $('addr').addEventListener('keydown', (e) => { if (e.key === 'Escape') $('suggest').hidden = true; });
  $('suggest').addEventListener('click', (e) => {
    const li = e.target.closest('li[data-text]');
    if (!li) return;
    $('addr').value = li.dataset.text;
    guard(() => geocode(li.dataset.text))();
  });
  $('addr-form').addEventListener('submit', guard(() => {
    const q = $('addr').value.trim();
    if (!q) throw new Error('请输入地址');
    return geocode(q);
  }));
  $('coord-form').addEventListener('submit', guard(() => {
    const [lon, lat] = parseCoords($('coords').value);
    return locateAt(lon, lat, $('crs').value, { fly: true });
  }));
  $('category').addEventListener('change', () => { categoryNote(); newDraft(); });
  for (const id of ['description', 'address', 'caller-name', 'caller-phone']) {
    $(id).addEventListener('change', () => newDraft());
  }
  $('create-form').addEventListener('submit', guard(createIncident, 'create-error'));
  for (const id of ['f-status', 'f-category', 'f-overdue', 'f-grid']) {
    $(id).addEventListener('change', guard(loadIncidents));
  }
  $('incidents').addEventListener('click', (e) => {
    const li = e.target.closest('li.inc');
    if (li) guard(() => select(li.dataset.id))();
  });
  $('incidents').addEventListener('keydown', (e) => {
    const li = e.target.closest('li.inc');
    if (li && e.key === 'Enter') guard(() => select(li.dataset.id))();
  });
  $('detail-close').addEventListener('click', closeDetail);
  $('actions').addEventListener('click', (e) => {
    const b = e.target.closest('button.act');
    if (b) guard(() => transition(b), 'detail-error')();
  });
  map.on('click', (e) => {
    const hit = map.getLayer('inc-dots') ? map.queryRenderedFeatures(e.point, { layers: ['inc-dots'] }) : [];
    if (hit.length) return guard(() => select(hit[0].properties.id))();
    guard(() => locateAt(e.lngLat.lng.toFixed(7), e.lngLat.lat.toFixed(7)))();
  });
  map.on('mousemove', 'inc-dots', () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', 'inc-dots', () => { map.getCanvas().style.cursor = ''; });
  setInterval(tickClocks, 1000);
}

async function setup() {
  setupLayers();
  const [rules, stats] = await Promise.all([api('/api/v1/rules'), api('/api/v1/stats')]);
  dispatch.rules = rules;
  renderRules();
  // Start on the district with the most grids, where dispatchers work most.
  const d = (stats.by_district || []).slice().sort((a, b) => b.grids - a.grids)[0];
  const b = d ? d.bbox : stats.bbox;
  if (b) map.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, duration: 0, maxZoom: 13 });
  if (map.getZoom() < 11.5) map.setZoom(11.5);
  newDraft();

  const params = new URLSearchParams(location.search);
  const given = params.get('access_token');
  if (given) {
    // Keep the token out of the address bar and the history.
    params.delete('access_token');
    history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}${location.hash}`);
  }
  const token = given || sessionStorage.getItem(TOKEN_KEY);
  if (token) {
    try {
      await login(token);
    } catch (err) {
      dispatch.token = '';
      showLogin(err.message);
    }
  } else {
    showLogin();
  }
  map.once('idle', () => {
    dispatch.ready = true;
    document.body.dataset.ready = '1';
  });
  map.triggerRepaint();
}

wire();
tickClocks();
map.on('load', () => setup().catch((err) => {
  console.error(err);
  const f = $('fatal');
  f.hidden = false;
  f.textContent = `调度台加载失败：${err.message}`;
}));
