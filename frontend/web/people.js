// 人员与报到: the organisation department's page. Tables with filters and
// sorting for the people who serve the grids, their assignments, the
// 双报到 units, commitments, evaluations, workload and contact points;
// forms for the edits; list files in and out; and a map of the grids that
// lack a head or worker and of those whose people carry too much. All
// through /api/v1/people (see server/people.go); the organiser's token
// edits, other roles read what they may.
import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';

const TOKEN_KEY = 'gridmap.people.token';
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const fmt = (n) => (n == null ? '—' : Number(n).toLocaleString('zh-CN'));
const pctOf = (x) => (x == null ? '—' : `${(100 * x).toFixed(1)}%`);

const ROLE_LABEL = { cadre: '下沉干部', head: '网格长', worker: '专职网格员', member: '兼职委员', leader: '领导干部', secretary: '街道党工委书记' };
const GAP_LABEL = { head: '缺网格长', worker: '缺网格员', 'head,worker': '缺网格长和网格员' };

const people = window.people = {
  token: '', role: '', ready: false, tab: 'staff', map: null,
  tables: {}, // per table: rows, sort key, order, offset
};

// ---- API ------------------------------------------------------------

async function api(path, opts = {}) {
  const headers = { ...(opts.headers || {}) };
  if (people.token) headers.Authorization = `Bearer ${people.token}`;
  if (opts.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(opts.json);
  }
  const r = await fetch(path, { method: opts.method || 'GET', headers, body: opts.body });
  const ct = r.headers.get('Content-Type') || '';
  const body = ct.includes('json') ? await r.json() : await r.blob();
  if (!r.ok) {
    const err = new Error((body && body.reason) || (body && body.error) || `HTTP ${r.status}`);
    err.status = r.status;
    err.body = body;
    throw err;
  }
  return body;
}

function toast(msg, bad) {
  const t = $('toast');
  t.textContent = msg;
  t.className = bad ? 'bad' : '';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, bad ? 8000 : 3500);
}

const canEdit = () => people.role === 'organiser' || people.role === 'admin';

// ---- tables ---------------------------------------------------------

// table renders rows into a table with sortable headers and a pager.
function table(id, rows, render, opts = {}) {
  const st = people.tables[id] ||= { key: opts.key || '', desc: false, offset: 0 };
  st.rows = rows;
  const el = $(id);
  const size = opts.size || 50;
  const sorted = [...rows];
  if (st.key) {
    sorted.sort((a, b) => {
      const x = a[st.key], y = b[st.key];
      const v = Array.isArray(x) ? x.length - y.length
        : (typeof x === 'number' ? x - y : String(x ?? '').localeCompare(String(y ?? ''), 'zh-CN'));
      return st.desc ? -v : v;
    });
  }
  if (st.offset >= sorted.length) st.offset = 0;
  const pageRows = sorted.slice(st.offset, st.offset + size);
  el.querySelector('tbody').innerHTML = pageRows.map(render).join('') || `<tr><td colspan="20" class="empty">无记录</td></tr>`;
  el.querySelectorAll('th[data-sort]').forEach((th) => {
    th.classList.toggle('sorted', th.dataset.sort === st.key);
    th.classList.toggle('desc', th.dataset.sort === st.key && st.desc);
    th.onclick = () => {
      st.desc = st.key === th.dataset.sort ? !st.desc : false;
      st.key = th.dataset.sort;
      table(id, rows, render, opts);
    };
  });
  const pager = $(opts.pager || id.replace('-table', '-pager'));
  if (pager) {
    const pages = Math.max(1, Math.ceil(sorted.length / size));
    const cur = Math.floor(st.offset / size) + 1;
    pager.innerHTML = `共 ${fmt(sorted.length)} 条 · 第 ${cur}/${pages} 页 <button type="button" data-p="-1" ${cur <= 1 ? 'disabled' : ''}>上一页</button><button type="button" data-p="1" ${cur >= pages ? 'disabled' : ''}>下一页</button>`;
    pager.querySelectorAll('button').forEach((b) => {
      b.onclick = () => { st.offset = Math.max(0, st.offset + Number(b.dataset.p) * size); table(id, rows, render, opts); };
    });
  }
}

// ---- summary ----------------------------------------------------------

async function loadSummary() {
  const s = await api('/api/v1/people/summary');
  const serving = Object.values(s.staff_serving || {}).reduce((a, b) => a + b, 0);
  $('sum-staff').textContent = fmt(serving);
  $('sum-head').textContent = `${fmt(s.grids_with_head)}/${fmt(s.grids)}`;
  $('sum-worker').textContent = `${fmt(s.grids_with_worker)}/${fmt(s.grids)}`;
  $('sum-units').textContent = `${fmt((s.units_paired.municipal || 0) + (s.units_paired.district || 0))}/${fmt((s.units.municipal || 0) + (s.units.district || 0))}`;
  const c = s.commitments_by_status || {};
  const total = Object.values(c).reduce((a, b) => a + b, 0);
  $('sum-commit').textContent = total ? `${((100 * (c.done || 0)) / total).toFixed(1)}%` : '—';
  $('sum-viol').textContent = fmt(s.violations);
  $('sum-viol-chip').classList.toggle('bad', s.violations > 0);
  return s;
}

// ---- staff ------------------------------------------------------------

async function loadStaff() {
  if (people.role === 'viewer') {
    $('staff-table').querySelector('tbody').innerHTML = '<tr><td colspan="9" class="empty">查看者只能看到人数统计，不能查看人员名单</td></tr>';
    return;
  }
  const q = new URLSearchParams({ limit: '10000', serving: $('staff-serving').value });
  if ($('staff-role').value) q.set('role', $('staff-role').value);
  if ($('staff-q').value.trim()) q.set('q', $('staff-q').value.trim());
  const out = await api(`/api/v1/people/staff?${q}`);
  table('staff-table', out.staff, (s) => `<tr data-id="${esc(s.id)}">
    <td>${esc(s.id)}</td><td>${esc(s.name)}</td><td>${esc(s.role_label)}</td><td>${esc(s.unit)}</td><td>${esc(s.rank)}</td>
    <td>${esc(s.phone)}</td><td>${s.grids.map(esc).join('<br>') || '<span class="warn">无</span>'}</td><td>${esc(s.joined)}</td>
    <td>${canEdit() && s.serving ? `<button type="button" class="edit-staff">编辑</button> <button type="button" class="retire-staff">退出</button>` : ''}</td></tr>`, { key: 'id' });
  $('staff-table').querySelectorAll('.edit-staff').forEach((b) => { b.onclick = () => staffDialog(out.staff.find((s) => s.id === b.closest('tr').dataset.id)); });
  $('staff-table').querySelectorAll('.retire-staff').forEach((b) => { b.onclick = () => retireDialog(b.closest('tr').dataset.id); });
}

function dialog(title, fields, onSubmit) {
  $('dialog-title').textContent = title;
  $('dialog-body').innerHTML = fields.map((f) => `<label>${esc(f.label)} ${f.options
    ? `<select name="${f.name}">${f.options.map(([v, l]) => `<option value="${esc(v)}" ${v === f.value ? 'selected' : ''}>${esc(l)}</option>`).join('')}</select>`
    : `<input name="${f.name}" type="${f.type || 'text'}" value="${esc(f.value ?? '')}" ${f.required ? 'required' : ''}>`}</label>`).join('')
    + '<div class="error" id="dialog-error"></div>';
  $('dialog').hidden = false;
  $('dialog-form').onsubmit = async (ev) => {
    ev.preventDefault();
    const vals = {};
    $('dialog-body').querySelectorAll('[name]').forEach((el) => { vals[el.name] = el.value; });
    try {
      await onSubmit(vals);
      $('dialog').hidden = true;
    } catch (err) {
      $('dialog-error').textContent = err.message;
    }
  };
}
$('dialog-cancel').onclick = () => { $('dialog').hidden = true; };

function staffDialog(s) {
  const isNew = !s;
  s ||= {};
  dialog(isNew ? '新增人员' : `编辑 ${s.id}`, [
    { name: 'name', label: '姓名', value: s.name, required: true },
    { name: 'role', label: '角色', value: s.role || 'worker', options: Object.entries(ROLE_LABEL) },
    { name: 'unit', label: '工作单位', value: s.unit },
    { name: 'rank', label: '职级', value: s.rank },
    { name: 'phone', label: '联系电话', value: s.phone },
    { name: 'title', label: '职务', value: s.title },
    { name: 'community_code', label: '所属社区编码', value: s.community_code },
    { name: 'street_code', label: '所属街道编码', value: s.street_code },
    { name: 'joined', label: '入职日期', type: 'date', value: s.joined },
  ], async (v) => {
    if (!v.joined) delete v.joined;
    const out = isNew ? await api('/api/v1/people/staff', { method: 'POST', json: v })
      : await api(`/api/v1/people/staff/${encodeURIComponent(s.id)}`, { method: 'PATCH', json: v });
    toast(isNew ? `已新增 ${out.result.id}` : `已保存 ${s.id}`);
    await refresh();
  });
}

function retireDialog(id) {
  dialog(`人员退出 ${id}`, [{ name: 'day', label: '退出日期', type: 'date', value: today() }], async (v) => {
    const out = await api(`/api/v1/people/staff/${encodeURIComponent(id)}/retire`, { method: 'POST', json: { day: v.day } });
    toast(`已退出，结束任职 ${out.result.assignments_ended} 项`);
    await refresh();
  });
}

const today = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);

// ---- grid assignments ---------------------------------------------------

async function loadGrid(code) {
  if (!code) return;
  $('grid-code').value = code;
  const day = $('grid-day').value || today();
  if (people.role === 'viewer') {
    $('grid-served').innerHTML = '<p class="empty">查看者不能查看人员任职</p>';
    return;
  }
  try {
    const out = await api(`/api/v1/people/grids/${encodeURIComponent(code)}?day=${day}`);
    const row = (a) => `<tr data-id="${esc(a.id)}"><td>${esc(a.id)}</td><td>${esc(a.duty_label)}</td><td>${esc(a.staff_id)}</td><td>${esc(a.name)}</td>
      <td>${esc(a.from)}</td><td>${esc(a.to) || '—'}</td><td>${canEdit() && a.active ? '<button type="button" class="end-asg">结束</button>' : ''}</td></tr>`;
    $('grid-served').innerHTML = `<h3>${esc(out.name || code)} <small>${esc(day)} 在岗</small></h3>
      <table class="list" id="served-table"><thead><tr><th>任职</th><th>职责</th><th>人员</th><th>姓名</th><th>起</th><th>止</th><th></th></tr></thead>
      <tbody>${out.served.map(row).join('') || '<tr><td colspan="7" class="empty warn">当日无人在岗</td></tr>'}</tbody></table>
      <h3>任职历史</h3><table class="list"><thead><tr><th>任职</th><th>职责</th><th>人员</th><th>姓名</th><th>起</th><th>止</th><th></th></tr></thead>
      <tbody>${out.history.map(row).join('')}</tbody></table>`;
    $('grid-served').querySelectorAll('.end-asg').forEach((b) => {
      b.onclick = () => dialog(`结束任职 ${b.closest('tr').dataset.id}`, [{ name: 'day', label: '结束日期', type: 'date', value: today() }], async (v) => {
        await api(`/api/v1/people/assignments/${encodeURIComponent(b.closest('tr').dataset.id)}/end`, { method: 'POST', json: { day: v.day } });
        toast('已结束任职');
        await refresh();
        await loadGrid(code);
      });
    });
    $('assign-form').hidden = !canEdit();
  } catch (err) {
    $('grid-served').innerHTML = `<p class="error">${esc(err.message)}</p>`;
  }
}

$('grid-form').onsubmit = (ev) => { ev.preventDefault(); loadGrid($('grid-code').value.trim()); };
$('assign-form').onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    const out = await api('/api/v1/people/assignments', {
      method: 'POST',
      json: { staff_id: $('assign-staff').value.trim(), grid_code: $('grid-code').value.trim(), duty: $('assign-duty').value,
        from: $('assign-from').value, replaces: $('assign-replaces').value.trim() },
    });
    toast(`已安排任职 ${out.result.id}；现有规则问题 ${out.violations} 项`);
    await refresh();
    await loadGrid($('grid-code').value.trim());
  } catch (err) {
    toast(`未保存：${err.message}`, true);
  }
};

// ---- units and the proposal ------------------------------------------------

async function loadUnits() {
  const q = new URLSearchParams({ limit: '10000' });
  if ($('unit-level').value) q.set('level', $('unit-level').value);
  if ($('unit-paired').value) q.set('paired', $('unit-paired').value);
  if ($('unit-q').value.trim()) q.set('q', $('unit-q').value.trim());
  const out = await api(`/api/v1/people/units?${q}`);
  table('unit-table', out.units, (u) => `<tr><td>${esc(u.code)}</td><td>${esc(u.name)}</td><td>${esc(u.level_label)}</td>
    <td>${fmt(u.members)}</td><td>${u.communities.map(esc).join('<br>') || '<span class="warn">待结对</span>'}</td></tr>`, { key: 'code' });
  const p = await api('/api/v1/people/pairings/proposal');
  const pr = p.proposal;
  people.proposal = pr;
  const canApply = ['planner', 'organiser', 'admin'].includes(people.role);
  $('proposal').innerHTML = `<h3>结对调整建议</h3>
    <p>规则：每个社区 1–2 个区直单位、1–2 个市直单位。${pr.moves.length
    ? `建议调整 <b>${pr.moves.length}</b> 对（下限 ${pr.lower_bound}，${pr.moves.length === pr.lower_bound ? '已是最少' : '可能非最少'}）。`
    : '现有结对符合规则，无需调整。'}</p>
    ${pr.moves.length ? `<table class="list" id="moves-table"><thead><tr><th>单位</th><th>原社区</th><th>调整到</th></tr></thead><tbody>${
      pr.moves.map((m) => `<tr><td>${esc(m.unit)}</td><td>${esc(m.from_name || '（未结对）')}</td><td>${esc(m.to_name || '（无空位）')}</td></tr>`).join('')
    }</tbody></table>${canApply ? '<button type="button" class="primary" id="apply-proposal">确认并应用调整</button>' : ''}` : ''}`;
  const btn = $('apply-proposal');
  if (btn) {
    btn.onclick = async () => {
      try {
        await api('/api/v1/people/pairings/proposal/apply', { method: 'POST', json: { moves: pr.moves } });
        toast(`已调整 ${pr.moves.length} 对结对`);
        await refresh();
      } catch (err) {
        toast(`未应用：${err.message}`, true);
      }
    };
  }
}

// ---- commitments ------------------------------------------------------------

function years(sel, from = 2024) {
  const y = Number(today().slice(0, 4));
  if (!sel.options.length) {
    for (let x = y; x >= from; x--) sel.add(new Option(`${x} 年`, String(x)));
  }
}

async function loadCommitments() {
  if (people.role === 'viewer') {
    $('commit-table').querySelector('tbody').innerHTML = '<tr><td colspan="6" class="empty">请查看公开的年度公示</td></tr>';
    return;
  }
  const q = new URLSearchParams({ limit: '10000', year: $('commit-year').value });
  if ($('commit-status').value) q.set('status', $('commit-status').value);
  if ($('commit-unit').value.trim()) q.set('unit', $('commit-unit').value.trim());
  $('disclosure-link').href = `/api/v1/disclosure?format=csv&year=${$('commit-year').value}`;
  const out = await api(`/api/v1/people/commitments?${q}`);
  const next = { pledged: ['in_progress'], in_progress: ['done', 'not_done'] };
  const label = { in_progress: '开始实施', done: '完成', not_done: '未完成' };
  table('commit-table', out.commitments, (x) => `<tr data-id="${esc(x.id)}"><td>${esc(x.unit)}</td><td>${esc(x.community)}</td><td>${esc(x.title)}</td>
    <td class="st-${esc(x.status)}">${esc(x.status_label)}</td><td>${x.evidence.map((e) => esc(e.text)).join('<br>')}</td>
    <td>${canEdit() ? (next[x.status] || []).map((s) => `<button type="button" data-to="${s}">${label[s]}</button>`).join(' ') + ' <button type="button" data-to="">记录</button>' : ''}</td></tr>`, { key: 'unit' });
  $('commit-table').querySelectorAll('button[data-to]').forEach((b) => {
    b.onclick = () => {
      const id = b.closest('tr').dataset.id;
      dialog(b.dataset.to ? `${label[b.dataset.to]}：${id}` : `记录进展：${id}`, [{ name: 'evidence', label: '佐证/说明', required: b.dataset.to === 'done' || b.dataset.to === 'not_done' || !b.dataset.to }], async (v) => {
        await api(`/api/v1/people/commitments/${encodeURIComponent(id)}`, { method: 'PATCH', json: { status: b.dataset.to, evidence: v.evidence } });
        toast('已保存');
        await loadCommitments();
      });
    };
  });
}

// ---- evaluations ---------------------------------------------------------------

async function loadEvaluations() {
  if (people.role === 'viewer') {
    $('eval-table').querySelector('tbody').innerHTML = '<tr><td colspan="8" class="empty">查看者不能查看考核记录</td></tr>';
    return;
  }
  const q = new URLSearchParams({ limit: '10000', year: $('eval-year').value, subject: $('eval-subject').value });
  if ($('eval-grade').value) q.set('grade', $('eval-grade').value);
  const out = await api(`/api/v1/people/evaluations?${q}`);
  table('eval-table', out.evaluations, (e) => `<tr><td>${esc(e.subject_id)}</td><td>${esc(e.name)}</td><td>${fmt(e.incidents)}</td>
    <td>${pctOf(e.on_time_share)}</td><td>${pctOf(e.reopen_rate)}</td><td>${e.score.toFixed(1)}</td><td class="g-${esc(e.grade)}">${esc(e.grade)}</td><td>${esc(e.comment)}</td></tr>`, { key: 'subject_id' });
}

$('eval-form').onsubmit = async (ev) => {
  ev.preventDefault();
  const json = { year: Number($('eval-year').value), subject: $('evalf-subject').value, subject_id: $('evalf-id').value.trim(), grade: $('evalf-grade').value };
  if ($('evalf-score').value) json.score = Number($('evalf-score').value);
  try {
    const out = await api('/api/v1/people/evaluations', { method: 'POST', json });
    toast(`已评定：${out.result.name || out.result.subject_id} ${out.result.grade}`);
    await loadEvaluations();
  } catch (err) {
    toast(`未保存：${err.message}`, true);
  }
};
$('eval-run').onclick = async () => {
  $('eval-run').disabled = true;
  try {
    const out = await api('/api/v1/people/evaluations/run', { method: 'POST', json: { year: Number($('eval-year').value) } });
    toast(`已评定 ${fmt(out.result.evaluated)} 个对象（${out.result.capped} 名书记因街道等次封顶）`);
    await loadEvaluations();
  } catch (err) {
    toast(`未评定：${err.message}`, true);
  } finally {
    $('eval-run').disabled = false;
  }
};

// ---- workload ------------------------------------------------------------------

async function loadWorkload() {
  const by = $('work-by').value;
  const q = new URLSearchParams({ by, limit: '10000' });
  if ($('work-only').value) q.set('only', $('work-only').value);
  $('work-xlsx').href = '#';
  $('work-xlsx').onclick = (ev) => { ev.preventDefault(); download(`/api/v1/people/workload?${q}&format=xlsx`, `workload-${by}.xlsx`); };
  let out;
  try {
    out = await api(`/api/v1/people/workload?${q}`);
  } catch (err) {
    $('work-table').querySelector('thead').innerHTML = '';
    $('work-table').querySelector('tbody').innerHTML = `<tr><td class="empty">${esc(err.message)}</td></tr>`;
    return;
  }
  const head = by === 'grid'
    ? '<tr><th data-sort="code">网格</th><th data-sort="name">名称</th><th data-sort="households">户数</th><th data-sort="population">人口</th><th data-sort="heads">网格长</th><th data-sort="workers">网格员</th><th data-sort="cadres">帮包干部</th><th data-sort="open">待办</th><th data-sort="overdue">超期</th><th data-sort="on_time_share">按时办结率</th><th data-sort="gap">缺岗</th></tr>'
    : '<tr><th data-sort="staff_id">人员</th><th data-sort="name">姓名</th><th data-sort="role">角色</th><th data-sort="grids">网格数</th><th data-sort="households">户数</th><th data-sort="open">待办</th><th data-sort="overdue">超期</th><th data-sort="on_time_share">按时办结率</th><th data-sort="overloaded">超负荷</th></tr>';
  $('work-table').querySelector('thead').innerHTML = head;
  const render = by === 'grid'
    ? (g) => `<tr><td>${esc(g.code)}</td><td>${esc(g.name)}</td><td>${fmt(g.households)}</td><td>${fmt(g.population)}</td>
      <td>${g.heads}</td><td>${g.workers}</td><td>${g.cadres}</td><td>${fmt(g.open)}</td><td class="${g.overdue ? 'warn' : ''}">${fmt(g.overdue)}</td>
      <td>${pctOf(g.on_time_share)}</td><td class="warn">${esc(GAP_LABEL[g.gap] || '')}</td></tr>`
    : (p) => `<tr><td>${esc(p.staff_id)}</td><td>${esc(p.name)}</td><td>${esc(ROLE_LABEL[p.role] || p.role)}</td><td>${p.grids.length}</td>
      <td>${fmt(p.households)}</td><td>${fmt(p.open)}</td><td>${fmt(p.overdue)}</td><td>${pctOf(p.on_time_share)}</td>
      <td class="warn">${p.overloaded === 'grids' ? '帮包网格过多' : p.overloaded === 'households' ? '服务户数过多' : ''}</td></tr>`;
  // A new table each time (the columns differ by grid and by person):
  // households first, most first.
  people.tables['work-table'] = { key: 'households', desc: true, offset: 0 };
  table('work-table', by === 'grid' ? out.grids : out.people, render);
}

async function download(url, name) {
  try {
    const blob = await api(url);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 5000);
  } catch (err) {
    toast(`下载失败：${err.message}`, true);
  }
}

// ---- contact points, files, rules ----------------------------------------------------

async function loadContacts() {
  if (people.role === 'viewer') {
    $('contact-table').querySelector('tbody').innerHTML = '<tr><td colspan="5" class="empty">查看者不能查看领导干部联系点</td></tr>';
    return;
  }
  const out = await api('/api/v1/people/contact-points?limit=10000');
  $('contact-table').querySelector('tbody').innerHTML = out.contact_points.filter((p) => p.active).map((p) =>
    `<tr><td>${esc(p.id)}</td><td>${esc(p.name)}</td><td>${esc(p.unit)}</td><td>${esc(p.community)}</td><td>${esc(p.from)}</td></tr>`).join('');
}

async function loadFiles() {
  if (people.role === 'viewer') {
    $('file-result').innerHTML = '<p class="empty">查看者不能导出名单</p>';
    return;
  }
  const sel = $('file-list');
  if (!sel.options.length) {
    const out = await api('/api/v1/people/lists');
    out.lists.forEach((l) => sel.add(new Option(l.title, l.name)));
  }
  $('file-csv').onclick = () => download(`/api/v1/people/lists/${sel.value}?format=csv`, `${sel.value}.csv`);
  $('file-xlsx').onclick = () => download(`/api/v1/people/lists/${sel.value}?format=xlsx`, `${sel.value}.xlsx`);
}

$('file-upload').onchange = async () => {
  const f = $('file-upload').files[0];
  if (!f) return;
  const list = $('file-list').value;
  const type = f.name.toLowerCase().endsWith('.xlsx') ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv';
  try {
    const out = await api(`/api/v1/people/lists/${list}`, { method: 'POST', body: await f.arrayBuffer(), headers: { 'Content-Type': type } });
    const changed = Object.entries(out.changed || {}).map(([k, n]) => `${k} ${n} 条`).join('，') || '无变化';
    $('file-result').innerHTML = `<p class="ok" data-testid="import-ok">已导入 ${esc(f.name)}：${esc(changed)}</p>`;
    await refresh();
  } catch (err) {
    const probs = (err.body && err.body.problems) || [];
    $('file-result').innerHTML = `<p class="error" data-testid="import-refused">${esc(f.name)} 未导入（整份文件未写入）：${probs.length || 1} 个问题</p>
      <table class="list"><thead><tr><th>行</th><th>列</th><th>表头</th><th>原因</th></tr></thead><tbody>${
      probs.map((p) => `<tr><td>${p.row}</td><td>${p.column || ''}</td><td>${esc(p.header || '')}</td><td>${esc(p.reason)}</td></tr>`).join('')
      || `<tr><td colspan="4">${esc(err.message)}</td></tr>`}</tbody></table>`;
  } finally {
    $('file-upload').value = '';
  }
};

const RULE_LABEL = {
  grid_head: '网格长', grid_worker: '网格员', cadre_load: '干部帮包网格数', assignment: '任职记录', district_units: '区直单位报到数',
  municipal_units: '市直单位报到数', pairing: '结对记录', contact_point: '联系点', grade_cap: '书记等次封顶', commitment: '承诺事项', staff: '人员记录',
};

// The report's reasons are English (the API's language); the rules whose
// reason is a count against a limit are said in Chinese here, from the
// violation's count and the rules in force. Others show the API's reason.
function ruleReason(v, r) {
  const range = (x) => (x.max === 0 ? `至少 ${x.min}` : x.min === x.max ? `${x.min}` : `${x.min}–${x.max}`);
  switch (v.rule) {
    case 'grid_head': return v.count === 0 ? '网格无网格长' : `网格有 ${v.count} 名网格长（应为 1 名）`;
    case 'grid_worker': return `网格有 ${v.count} 名责任网格员，至少需 ${r.min_workers_per_grid} 名`;
    case 'cadre_load': return `干部帮包 ${v.count} 个网格（上限 ${r.max_grids_per_cadre} 个）`;
    case 'district_units': return `${v.count} 个区直单位到社区报到（规则：${range(r.district_units_per_community)} 个）`;
    case 'municipal_units': return `${v.count} 个市直单位到社区报到（规则：${range(r.municipal_units_per_community)} 个）`;
    default: return v.reason;
  }
}

async function loadRules() {
  const rep = await api('/api/v1/people/report');
  $('rules-report').innerHTML = `<p>${rep.ok ? '<span class="ok">全部规则符合</span>' : `<span class="warn">${rep.violations.length} 项问题</span>`}（${esc(rep.day.slice(0, 10))}；干部最多帮包 ${rep.rules.max_grids_per_cadre} 个网格，每个网格至少 ${rep.rules.min_workers_per_grid} 名网格员，每个社区区直单位 ${rep.rules.district_units_per_community.min}–${rep.rules.district_units_per_community.max} 个）</p>
    <table class="list" id="rules-table"><thead><tr><th>规则</th><th>对象</th><th>名称</th><th>说明</th></tr></thead><tbody>${
    rep.violations.map((v) => `<tr data-subject="${esc(v.subject)}"><td>${esc(RULE_LABEL[v.rule] || v.rule)}</td><td>${esc(v.subject)}</td><td>${esc(v.name)}</td><td title="${esc(v.reason)}">${esc(ruleReason(v, rep.rules))}</td></tr>`).join('')
  }</tbody></table><p class="hint">另有 ${rep.findings.length} 项提示（如待结对单位、服务户数较多的人员），不属违规。</p>`;
  fillRules(rep.rules);
  $('rules-table').querySelectorAll('tr[data-subject]').forEach((tr) => {
    tr.onclick = () => {
      const code = tr.dataset.subject;
      if (/^\d{15}$/.test(code)) { select('grid'); loadGrid(code); flyToGrid(code); }
    };
  });
}

// The rules form: the organiser's limits, kept in the store (PATCH
// /api/v1/people/rules); the report follows at once.
const RULE_FIELDS = [
  ['rule-max-grids', (r) => r.max_grids_per_cadre, (j, v) => { j.max_grids_per_cadre = v; }],
  ['rule-min-workers', (r) => r.min_workers_per_grid, (j, v) => { j.min_workers_per_grid = v; }],
  ['rule-district-min', (r) => r.district_units_per_community.min, (j, v) => { (j.district_units_per_community ||= {}).min = v; }],
  ['rule-district-max', (r) => r.district_units_per_community.max, (j, v) => { (j.district_units_per_community ||= {}).max = v; }],
  ['rule-municipal-min', (r) => r.municipal_units_per_community.min, (j, v) => { (j.municipal_units_per_community ||= {}).min = v; }],
  ['rule-municipal-max', (r) => r.municipal_units_per_community.max, (j, v) => { (j.municipal_units_per_community ||= {}).max = v; }],
  ['rule-max-households', (r) => r.max_households_per_person, (j, v) => { j.max_households_per_person = v; }],
];

function fillRules(rules) {
  for (const [id, get] of RULE_FIELDS) $(id).value = String(get(rules));
}

$('rules-form').onsubmit = async (ev) => {
  ev.preventDefault();
  const json = {};
  for (const [id, , set] of RULE_FIELDS) set(json, Number($(id).value));
  try {
    const out = await api('/api/v1/people/rules', { method: 'PATCH', json });
    toast(Object.keys(out.changed || {}).length ? `规则已保存：现有 ${fmt(out.violations)} 项问题` : '规则未变');
    await refresh();
  } catch (err) {
    toast(`规则未保存：${err.message}`, true);
  }
};

// ---- the map of gaps and overloads --------------------------------------------------------------

async function loadMap() {
  const [grids, work] = await Promise.all([
    api('/api/v1/layers/grids'),
    api('/api/v1/people/workload?by=grid&limit=10000'),
  ]);
  const byCode = new Map(work.grids.map((g) => [g.code, g]));
  let over = new Set();
  if (people.role !== 'viewer') {
    try {
      const ps = await api('/api/v1/people/workload?by=person&only=overloaded&limit=10000');
      over = new Set(ps.people.flatMap((p) => p.grids));
    } catch { /* a role without the person table: no overload layer */ }
  }
  for (const f of grids.features) {
    const g = byCode.get(f.properties.code) || {};
    f.properties.state = g.gap ? (g.gap.includes('head') ? 'head' : 'worker') : (over.has(f.properties.code) ? 'over' : 'ok');
    f.properties.households = g.households;
  }
  people.grids = grids;
  // The grids with a problem also as points, so they show at city zoom.
  const marks = { type: 'FeatureCollection', features: grids.features.filter((f) => f.properties.state !== 'ok').map((f) => {
    const b = bounds([f]);
    return { type: 'Feature', properties: { code: f.properties.code, state: f.properties.state },
      geometry: { type: 'Point', coordinates: [(b[0][0] + b[1][0]) / 2, (b[0][1] + b[1][1]) / 2] } };
  }) };
  people.problemGrids = marks.features.map((f) => f.properties);
  const m = people.map;
  const put = () => {
    if (m.getSource('grids')) {
      m.getSource('grids').setData(grids);
      m.getSource('marks').setData(marks);
    } else {
      m.addSource('grids', { type: 'geojson', data: grids, promoteId: 'code' });
      m.addLayer({ id: 'grid-fill', type: 'fill', source: 'grids', paint: {
        'fill-color': ['match', ['get', 'state'], 'head', '#d7301f', 'worker', '#fc8d59', 'over', '#7b3294', '#9ecae1'],
        'fill-opacity': ['match', ['get', 'state'], 'ok', 0.55, 0.9] } });
      m.addLayer({ id: 'grid-line', type: 'line', source: 'grids', paint: { 'line-color': '#52606d', 'line-width': 0.4 } });
      m.addLayer({ id: 'grid-sel', type: 'line', source: 'grids', filter: ['==', ['get', 'code'], ''], paint: { 'line-color': '#111', 'line-width': 2.5 } });
      m.addSource('marks', { type: 'geojson', data: marks });
      m.addLayer({ id: 'marks', type: 'circle', source: 'marks', paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, 7, 14, 4],
        'circle-color': ['match', ['get', 'state'], 'head', '#d7301f', 'worker', '#fc8d59', '#7b3294'],
        'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
      m.on('click', 'grid-fill', (e) => {
        const code = e.features[0].properties.code;
        m.setFilter('grid-sel', ['==', ['get', 'code'], code]);
        select('grid');
        loadGrid(code);
      });
      m.on('click', 'marks', (e) => {
        const code = e.features[0].properties.code;
        select('grid');
        loadGrid(code);
        flyToGrid(code);
      });
      m.on('mouseenter', 'grid-fill', () => { m.getCanvas().style.cursor = 'pointer'; });
      m.on('mouseleave', 'grid-fill', () => { m.getCanvas().style.cursor = ''; });
    }
    if (!people.fitted) {
      m.fitBounds(bounds(grids.features), { padding: 20, duration: 0 });
      people.fitted = true;
    }
  };
  if (m.loaded()) put(); else m.once('load', put);
}

function bounds(features) {
  let b = null;
  for (const f of features) {
    for (const ring of f.geometry.coordinates) {
      for (const [x, y] of ring) {
        b = b ? [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)] : [x, y, x, y];
      }
    }
  }
  return b && [[b[0], b[1]], [b[2], b[3]]];
}

function flyToGrid(code) {
  const f = people.grids?.features.find((x) => x.properties.code === code);
  if (!f) return;
  people.map.fitBounds(bounds([f]), { padding: 120, maxZoom: 15, duration: 0 });
  people.map.setFilter('grid-sel', ['==', ['get', 'code'], code]);
}
people.flyToGrid = flyToGrid;

// ---- tabs, login, start -----------------------------------------------------------------

const loaders = { staff: loadStaff, grid: async () => loadGrid($('grid-code').value.trim()), units: loadUnits, commitments: loadCommitments,
  evaluations: loadEvaluations, workload: loadWorkload, contacts: loadContacts, files: loadFiles, rules: loadRules };

function select(tab) {
  people.tab = tab;
  document.querySelectorAll('#tabs [role=tab]').forEach((b) => b.setAttribute('aria-selected', String(b.dataset.tab === tab)));
  document.querySelectorAll('.tab').forEach((el) => { el.hidden = el.id !== `tab-${tab}`; });
}
people.select = select;

document.querySelectorAll('#tabs [role=tab]').forEach((b) => {
  b.onclick = async () => { select(b.dataset.tab); await run(loaders[b.dataset.tab]); };
});

async function run(fn) {
  try {
    await fn();
  } catch (err) {
    if (err.status === 401) { showLogin(); return; }
    toast(err.message, true);
  }
}

async function refresh() {
  await run(async () => {
    await loadSummary();
    await loaders[people.tab]();
    await loadMap();
  });
}
people.refresh = refresh;

for (const [f, fn] of [['staff-filters', loadStaff], ['unit-filters', loadUnits], ['commit-filters', loadCommitments], ['eval-filters', loadEvaluations], ['work-filters', loadWorkload]]) {
  $(f).onsubmit = (ev) => { ev.preventDefault(); run(fn); };
}
$('staff-new').onclick = () => staffDialog(null);

function showLogin() {
  $('login').hidden = false;
  setTimeout(() => $('login-token').focus(), 0);
}
$('login-form').onsubmit = async (ev) => {
  ev.preventDefault();
  await useToken($('login-token').value.trim());
};
$('logout').onclick = () => {
  sessionStorage.removeItem(TOKEN_KEY);
  people.token = '';
  location.reload();
};

async function useToken(token) {
  people.token = token;
  try {
    const who = await api('/api/v1/whoami');
    people.role = who.role || '';
    $('who-name').textContent = `${who.name || ''}（${({ organiser: '组织部', admin: '管理员', viewer: '查看者', planner: '规划', dispatcher: '调度' })[people.role] || people.role}）`;
    $('logout').hidden = false;
    $('login').hidden = true;
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch (err) {
    people.token = '';
    toast(`令牌无效：${err.message}`, true);
    showLogin();
    return;
  }
  document.body.classList.toggle('can-edit', canEdit());
  await refresh();
  people.ready = true;
}

function start() {
  Object.entries(ROLE_LABEL).forEach(([v, l]) => $('staff-role').add(new Option(l, v)));
  years($('commit-year'));
  years($('eval-year'));
  $('eval-year').value = String(Number(today().slice(0, 4)) - 1);
  $('grid-day').value = today();
  people.map = new maplibregl.Map({
    container: 'map',
    style: { version: 8, sources: {}, layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#e4e7eb' } }] },
    center: [117.45, 34.85], zoom: 9, attributionControl: false,
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  window.map = people.map;
  const u = new URL(location.href);
  const given = u.searchParams.get('access_token');
  if (given) {
    u.searchParams.delete('access_token');
    history.replaceState(null, '', u);
  }
  const token = given || sessionStorage.getItem(TOKEN_KEY);
  if (token) useToken(token); else showLogin();
}

start();
