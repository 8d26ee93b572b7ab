// The wall map of a static site written by `gridmap bake --site DIR`: the
// MapLibre style (style.json) draws the vector tiles of city.pmtiles,
// read with HTTP range requests through the pmtiles:// protocol (the
// vendored pmtiles library, loaded before this module as the global
// `pmtiles`); the key figures are city.json, the same document as the
// server's /api/v1/stats at bake time. Any static file server that
// answers Range requests serves it; nothing comes from the internet.
import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';

const $ = (id) => document.getElementById(id);
const fmt = (n) => (n ?? 0).toLocaleString('zh-CN');
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
window.wall = { ready: false, gridFillLayers: ['grids-fill'] };

function tick() {
  const now = new Date();
  $('clock').textContent = now.toLocaleTimeString('zh-CN', { hour12: false });
  $('date').textContent = now.toLocaleDateString('zh-CN', { year: 'numeric', month: 'long', day: 'numeric', weekday: 'long' });
}

async function getJSON(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

function showStats(st) {
  $('kpi-grids').textContent = fmt(st.grids);
  $('kpi-households').textContent = fmt(st.households);
  $('kpi-population').textContent = `人口 ${fmt(st.population)}`;
  $('kpi-cadres').textContent = fmt(st.cadres_deployed);
  $('kpi-cadre-grids').textContent = `帮包网格 ${fmt(st.grids_with_cadres)} 个`;
  $('kpi-stations').textContent = fmt(st.stations);
  $('kpi-stations-split').textContent = `已建 ${fmt(st.stations_built)} · 规划 ${fmt(st.stations_planned)}`;
  $('kpi-coverage').textContent = `${(st.coverage_pct ?? 0).toFixed(1)}%`;
  $('kpi-covered').textContent = `覆盖网格 ${fmt(st.grids_covered)} 个`;
  const open = Object.values(st.open_by_status ?? {}).reduce((a, b) => a + b, 0);
  $('kpi-open').textContent = fmt(st.open_incidents ?? open);
  $('updated').textContent = `数据制作于 ${new Date(st.generated_at).toLocaleString('zh-CN', { hour12: false })}`;
}

// The legend reads the households ramp off the style's grid fill colour,
// so the two can never disagree.
function showLegend(style) {
  const grid = style.layers.find((l) => l.id === 'grids-fill');
  const expr = grid?.paint?.['fill-color'];
  const items = [];
  if (Array.isArray(expr) && expr[0] === 'interpolate') {
    for (let i = 3; i + 1 < expr.length; i += 2) items.push([expr[i], expr[i + 1]]);
  }
  $('legend-items').innerHTML = items.map(([v, c], i) => {
    const next = items[i + 1];
    const label = next ? `${fmt(Math.round(v))}–${fmt(Math.round(next[0]))} 户` : `${fmt(Math.round(v))} 户以上`;
    return `<div class="li"><i style="background:${esc(c)}"></i>${label}</div>`;
  }).join('');
}

function showDistricts(st, map) {
  const rows = (st.by_district ?? []).filter((d) => d.grids > 0);
  $('districts-body').innerHTML = rows.map((d) => `<tr data-code="${esc(d.code)}"><td>${esc(d.name)}</td><td>${fmt(d.grids)}</td><td>${fmt(d.households)}</td><td>${(d.coverage_pct ?? 0).toFixed(1)}%</td></tr>`).join('');
  $('districts-body').onclick = (e) => {
    const tr = e.target.closest('tr');
    const d = rows.find((x) => x.code === tr?.dataset.code);
    if (!d) return;
    for (const r of $('districts-body').children) r.classList.toggle('on', r === tr);
    map.fitBounds([[d.bbox[0], d.bbox[1]], [d.bbox[2], d.bbox[3]]], { padding: 80, duration: 1200 });
  };
}

function showCard(p) {
  const card = $('card');
  card.hidden = false;
  card.innerHTML = `<button id="card-close" aria-label="关闭">×</button>
    <h2>${esc(p.name)}</h2><div class="code">${esc(p.code)}</div>
    <div class="figs"><div>楼栋<b>${fmt(p.buildings)}</b></div><div>户数<b>${fmt(p.households)}</b></div><div>人口<b>${fmt(p.population)}</b></div>
    <div>下沉干部<b>${fmt(p.cadres)}</b></div><div>站点<b>${fmt(p.stations)}</b></div><div class="${p.open_incidents ? 'hot' : ''}">未办结<b>${fmt(p.open_incidents)}</b></div></div>
    <dl><dt>网格长</dt><dd>${esc(p.head)}</dd><dt>站点覆盖</dt><dd>${p.covered ? '已覆盖' : '未覆盖'}</dd></dl>`;
  $('card-close').onclick = () => { card.hidden = true; };
}

async function main() {
  tick();
  setInterval(tick, 1000);
  const protocol = new pmtiles.Protocol();
  maplibregl.addProtocol('pmtiles', protocol.tile);
  const [style, st] = await Promise.all([getJSON('style.json'), getJSON('city.json')]);
  // The archive beside this page, whatever folder the site is served from.
  for (const src of Object.values(style.sources)) {
    if (src.url?.startsWith('pmtiles://')) src.url = `pmtiles://${new URL(src.url.slice('pmtiles://'.length), location.href)}`;
  }
  showStats(st);
  showLegend(style);
  // preserveDrawingBuffer: a screenshot or a wall capture reads the canvas.
  const map = new maplibregl.Map({ container: 'map', style, attributionControl: false, maxZoom: 18, dragRotate: false,
    canvasContextAttributes: { preserveDrawingBuffer: true, antialias: true } });
  window.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  showDistricts(st, map);
  map.on('mousemove', 'grids-fill', (e) => {
    const f = e.features[0];
    map.getCanvas().style.cursor = 'pointer';
    const tip = $('tip');
    tip.hidden = false;
    tip.innerHTML = `<b>${esc(f.properties.name)}</b> ${fmt(f.properties.households)} 户`;
    tip.style.left = `${e.point.x + 16}px`;
    tip.style.top = `${e.point.y + 16}px`;
  });
  map.on('mouseleave', 'grids-fill', () => { map.getCanvas().style.cursor = ''; $('tip').hidden = true; });
  map.on('click', 'grids-fill', (e) => showCard(e.features[0].properties));
  map.once('load', () => {
    // Open on the first district's urban area (the seat, listed first),
    // close enough for the grids (drawn from zoom 11); the table flies to
    // the others.
    const d = (st.by_district ?? []).find((x) => x.grids > 0);
    if (d) {
      map.fitBounds([[d.bbox[0], d.bbox[1]], [d.bbox[2], d.bbox[3]]], { padding: 120, duration: 0, maxZoom: 14 });
      $('districts-body').querySelector(`tr[data-code="${d.code}"]`)?.classList.add('on');
    }
    map.once('idle', () => { window.wall.ready = true; });
  });
}

main().catch((err) => {
  console.error(err);
  const f = $('fatal');
  f.hidden = false;
  f.textContent = `地图数据加载失败：${err.message}`;
});
