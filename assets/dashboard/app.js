// The dashboard page: a client of the hub's public /graphql with the token its user
// pastes (kept in sessionStorage for the browser session only). Charts are inline SVG
// drawn by this script, with no charting library: it keeps the page a few kilobytes,
// embedded in the hub, and working on an intranet with no outside network.
'use strict';

const TOKEN_KEY = 'cunhub.dashboard.token';
const SVG = 'http://www.w3.org/2000/svg';

const LABELS = {
  'population.residents': '户籍居民', 'population.households': '户数',
  'population.aged_60_plus': '60岁及以上', 'population.aged_80_plus': '80岁及以上',
  'population.children': '14岁以下儿童',
  'alerts.open': '未处理预警', 'alerts.DECEASED_STILL_PAID': '已故仍领待遇',
  'alerts.ASSISTANCE_NOT_INSURED': '救助对象未参保', 'alerts.ELDERLY_NO_ALLOWANCE': '高龄未领津贴',
  'alerts.SEVERE_DISABILITY_NO_NURSING': '重度残疾未领护理补贴',
  'alerts.PENSION_CERT_OVERDUE': '养老金认证逾期', 'alerts.ID_CARD_EXPIRED': '身份证过期',
  'alerts.NAME_MISMATCH': '姓名不一致', 'alerts.NAME_ENCODING_LOSS': '生僻字丢失',
  'requests.opened': '受理', 'requests.resolved_by_township': '乡镇办结', 'requests.routed': '转县部门',
  'requests.resolved': '办结', 'requests.returned': '退回', 'requests.rejected': '不予受理',
  'requests.escalated': '超时督办',
  'satisfaction.rated': '评价件数', 'satisfaction.VERY_SATISFIED': '非常满意', 'satisfaction.SATISFIED': '满意',
  'satisfaction.FAIRLY_SATISFIED': '基本满意', 'satisfaction.DISSATISFIED': '不满意',
  'satisfaction.VERY_DISSATISFIED': '非常不满意',
  'visits.visits': '走访（近12个月）',
  'coverage.screened': '已筛查居民', 'coverage.medically_insured': '已参医保',
  'coverage.not_medically_insured': '未参医保', 'coverage.id_card_valid': '身份证有效',
  'coverage.id_card_not_valid': '身份证无效', 'coverage.pension_age': '达养老年龄',
  'coverage.pension_in_payment': '领取养老金', 'coverage.pension_not_in_payment': '未领养老金',
  'coverage.elderly': '80岁及以上（已筛查）', 'coverage.old_age_allowance': '领高龄津贴',
  'coverage.no_old_age_allowance': '未领高龄津贴', 'coverage.severely_disabled': '一二级残疾',
  'coverage.nursing_subsidy': '领护理补贴', 'coverage.no_nursing_subsidy': '未领护理补贴',
  'coverage.recipients.dibao': '低保', 'coverage.recipients.extremely_poor': '特困供养',
  'coverage.recipients.temporary': '临时救助', 'coverage.recipients.disability_living': '困难残疾人生活补贴',
  'coverage.recipients.severe_disability_nursing': '重度残疾人护理补贴',
  'coverage.recipients.old_age_allowance': '高龄津贴', 'coverage.recipients.child_in_difficulty': '困境儿童',
  'population.living_alone_60_plus': '60岁以上独居', 'coverage.assistance_recipients': '低保特困对象',
  'alerts.found': '近12个月新发现预警', 'alerts.handled': '已处置预警',
  'alerts.handled.ACKNOWLEDGED': '已知悉', 'alerts.handled.DISMISSED': '误报排除',
  'alerts.handled.REQUEST_OPENED': '转服务请求',
  'catalogue.provincial': '省级参考事项', 'catalogue.municipal': '市级指导事项', 'catalogue.county': '县级基本事项',
  'alerts.median_days_to_handle': '预警处置天数中位数',
  'requests.median_working_days_to_resolve': '请求办结工作日中位数',
};
const STEP_LEVELS = { village: '村', township: '乡镇', department: '县部门' };
const DEPARTMENTS = {
  medical_insurance: '医保局', social_security: '人社局', civil_affairs: '民政局',
  public_security: '公安局', veterans_affairs: '退役军人事务局', health: '卫健局',
  agriculture: '农业农村局', justice: '司法局', emergency_management: '应急管理局',
  education: '教育局', housing: '住建局', transport: '交通运输局', postal: '邮政',
};
const GROUPS = {
  ELDERLY_LIVING_ALONE: '独居老人', SEVERELY_DISABLED: '重度残疾人', ASSISTANCE_RECIPIENT: '低保特困',
  POVERTY_MONITORING: '防返贫监测', LEFT_BEHIND_ELDERLY: '留守老人', LEFT_BEHIND_CHILD: '留守儿童',
  ENTITLED_GROUP: '优抚对象', OTHER: '其他',
};
// The table's tabs: which indicators each shows (monthly figures go to the trend chart).
const DEPARTMENT_KEY = /^requests\.(routed|late|in_time|steps_on_time\.department|steps_late\.department)\./;
const TABS = [
  ['人口', (k) => k.startsWith('population.')],
  ['覆盖', (k) => k.startsWith('coverage.') || /^share:coverage\./.test(k)],
  ['预警', (k) => k.startsWith('alerts.')],
  ['服务请求', (k) => k.startsWith('requests.') && !DEPARTMENT_KEY.test(k)
    && !/^requests\.(item|steps|steps_on_time|steps_late)\./.test(k)],
  ['办理时效', (k) => /^(share:)?requests\.(steps|steps_on_time|steps_late)\.[a-z]+$/.test(k)],
  ['部门报到', (k) => DEPARTMENT_KEY.test(k) || /^share:requests\.late\./.test(k)],
  ['事项', (k) => /^requests\.item\./.test(k)],
  ['走访', (k) => k.startsWith('visits.') || /^share:visits\./.test(k)],
  ['满意度', (k) => /^satisfaction\.(rated|[A-Z_]+)$/.test(k)],
  ['部门满意度', (k) => /^satisfaction\.(rated|satisfied|dissatisfied)\.[a-z_]+$/.test(k)],
  ['事项满意度', (k) => /^satisfaction\.(rated|satisfied|dissatisfied)\.item\./.test(k)],
  ['服务目录', (k) => k.startsWith('catalogue.')],
  ['其他', (k) => !/^(share:)?(population|coverage|alerts|requests|visits|satisfaction|catalogue)\./.test(k)],
];
// Shares shown beside the counts: numerator and denominator, both published or no share.
const SHARES = [
  ['coverage.medically_insured', 'coverage.screened', '医保参保率'],
  ['coverage.id_card_valid', 'coverage.screened', '身份证有效率'],
  ['coverage.pension_in_payment', 'coverage.pension_age', '养老金领取率'],
  ['coverage.old_age_allowance', 'coverage.elderly', '高龄津贴覆盖率'],
  ['coverage.nursing_subsidy', 'coverage.severely_disabled', '护理补贴覆盖率'],
  ...Object.keys(STEP_LEVELS).map((l) => [`requests.steps_on_time.${l}`, `requests.steps.${l}`, `${STEP_LEVELS[l]}按时答复率`]),
  ...[['ELDERLY_LIVING_ALONE', 'population.living_alone_60_plus'], ['SEVERELY_DISABLED', 'coverage.severely_disabled'],
    ['ASSISTANCE_RECIPIENT', 'coverage.assistance_recipients']].flatMap(([g, size]) => [30, 90]
    .map((d) => [`visits.within_${d}.${g}`, size, `${GROUPS[g]}${d}天内走访率`])),
];
const SHARE_OF = Object.fromEntries(SHARES.map(([num, den, name]) => [`share:${num}`, { num, den, name }]));
const LEVELS = { province: 2, prefecture: 4, county: 6, township: 9 };

const $ = (id) => document.getElementById(id);
const state = { code: null, data: null, region: null, tab: 0, column: 0, retry: null };

function label(key) {
  if (LABELS[key]) return LABELS[key];
  if (SHARE_OF[key]) return SHARE_OF[key].name;
  let m = /^requests\.(routed|late|in_time)\.(.+)$/.exec(key);
  if (m) return `${DEPARTMENTS[m[2]] ?? m[2]}${{ routed: '转办', late: '超时', in_time: '未超时' }[m[1]]}`;
  m = /^requests\.steps_(on_time|late)\.department\.(.+)$/.exec(key);
  if (m) return `${DEPARTMENTS[m[2]] ?? m[2]}${m[1] === 'on_time' ? '按时答复' : '逾期答复'}`;
  m = /^requests\.(steps|steps_on_time|steps_late)\.(.+)$/.exec(key);
  if (m) return `${STEP_LEVELS[m[2]] ?? m[2]}${{ steps: '答复环节', steps_on_time: '按时', steps_late: '逾期' }[m[1]]}`;
  m = /^requests\.item\.(opened|resolved|late|in_time)\.(.+)$/.exec(key);
  if (m) return `${m[2]} ${{ opened: '受理', resolved: '办结', late: '超时', in_time: '未超时' }[m[1]]}`;
  m = /^visits\.(within|not_within)_(\d+)\.(.+)$/.exec(key);
  if (m) return `${GROUPS[m[3]] ?? m[3]}${m[2]}天内${m[1] === 'within' ? '已走访' : '未走访'}`;
  m = /^satisfaction\.(rated|satisfied|dissatisfied)\.(item\.)?(.+)$/.exec(key);
  if (m) return `${m[2] ? m[3] : DEPARTMENTS[m[3]] ?? m[3]}${{ rated: '评价', satisfied: '满意', dissatisfied: '不满意' }[m[1]]}`;
  return key;
}

// What a table cell and the CSV show for one figure.
function shown(figure) {
  if (!figure) return '';
  if (figure.state === 'SMALL') return `<${state.data.threshold}`;
  if (figure.state === 'COMPLEMENTARY') return '※';
  if (figure.state === 'NO_SHARE') return '—';
  if (figure.share !== undefined) return `${(figure.share * 100).toFixed(1)}%`;
  return String(figure.value);
}

async function graphql(query, variables) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => ({}));
  const error = body.errors?.[0];
  if (error) {
    const code = error.extensions?.code;
    if (['UNAUTHENTICATED', 'INVALID_TOKEN'].includes(code)) {
      sessionStorage.removeItem(TOKEN_KEY);
      throw new Error('令牌无效或已过期，请重新粘贴。');
    }
    if (code === 'FORBIDDEN') throw new Error('此令牌无权查看该地区的统计。');
    throw new Error(`${error.message}${code ? `（${code}）` : ''}`);
  }
  return body.data;
}

const STATISTICS = `query Dashboard($code: String!) {
  region(code: $code) { code name level ancestors { code name } }
  statistics(region: $code) {
    takenAt threshold
    region { code name level figures { indicator value state } medians { indicator value state } }
    children { code name level figures { indicator value state } }
  }
}`;

// The region the token is scoped to, as a starting point (the token is not verified
// here: the hub does that on every request).
function tokenRegion() {
  try {
    const part = sessionStorage.getItem(TOKEN_KEY).split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part)).region || '22';
  } catch {
    return '22';
  }
}

function naturalCode(row) {
  const length = LEVELS[row.level];
  return length ? row.code.slice(0, length) : row.code;
}

async function load() {
  clearTimeout(state.retry);
  const code = decodeURIComponent(location.hash.slice(1)) || tokenRegion();
  state.code = code;
  $('status').textContent = '正在读取…';
  try {
    const data = await graphql(STATISTICS, { code });
    if (state.code !== code) return;
    state.region = data.region;
    renderCrumbs();
    if (!data.statistics) {
      $('view').hidden = true;
      $('status').textContent = data.region
        ? '尚无统计快照（数据同步后生成），10 秒后自动刷新…'
        : `没有代码为 ${code} 的地区。`;
      if (data.region) state.retry = setTimeout(load, 10_000);
      return;
    }
    state.data = data.statistics;
    $('status').textContent = '';
    render();
  } catch (error) {
    $('status').textContent = error.message;
    if (!sessionStorage.getItem(TOKEN_KEY)) showLogin();
  }
}

function renderCrumbs() {
  const nav = $('crumbs');
  nav.replaceChildren();
  const region = state.region;
  if (!region) return;
  for (const a of region.ancestors) {
    const link = document.createElement('a');
    link.href = `#${a.code}`;
    link.textContent = a.name;
    nav.append(link);
  }
  const here = document.createElement('span');
  here.textContent = region.name;
  nav.append(here);
}

// Every column a snapshot offers: its indicators (no monthly figures), then the shares
// whose two counts it publishes.
function allColumns() {
  const keys = state.data.region.figures.map((f) => f.indicator).filter((k) => !k.includes('@'));
  const present = new Set(keys);
  const shares = SHARES.filter(([num, den]) => present.has(num) && present.has(den)).map(([num]) => `share:${num}`);
  return [...shares, ...keys];
}

// The columns of the current tab.
function columns() {
  return allColumns().filter(TABS[state.tab][1]);
}

// A figure of a row; a share is computed from its two published counts, or not shown.
function figureOf(row, key) {
  const share = SHARE_OF[key];
  if (!share) return row.figures.find((f) => f.indicator === key);
  const num = row.figures.find((f) => f.indicator === share.num);
  const den = row.figures.find((f) => f.indicator === share.den);
  if (num?.state !== 'PUBLISHED' || den?.state !== 'PUBLISHED' || !(den.value > 0)) {
    return { indicator: key, state: 'NO_SHARE' };
  }
  return { indicator: key, state: 'PUBLISHED', value: num.value / den.value, share: num.value / den.value };
}

// The table as text, one array per line: what the page shows and the CSV holds.
function tableRows() {
  const keys = columns();
  const head = ['地区代码', '地区', ...keys.map(label)];
  const line = (row, name) => [naturalCode(row), name, ...keys.map((k) => shown(figureOf(row, k)))];
  return [head, line(state.data.region, `${state.data.region.name}（合计）`),
    ...state.data.children.map((c) => line(c, c.name))];
}

function render() {
  $('view').hidden = false;
  $('title').textContent = `${state.data.region.name}：下级地区指标`;
  $('taken').textContent = `快照时间 ${new Date(state.data.takenAt).toLocaleString('zh-CN')}`;
  for (const el of document.querySelectorAll('.threshold')) el.textContent = String(state.data.threshold - 1);
  const present = allColumns();
  if (!present.some(TABS[state.tab][1])) { state.tab = 0; state.column = 0; }
  const tabs = $('tabs');
  tabs.replaceChildren();
  TABS.forEach(([name, test], i) => {
    if (!present.some(test)) return;
    const button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('role', 'tab');
    button.textContent = name;
    button.setAttribute('aria-selected', String(i === state.tab));
    button.addEventListener('click', () => { state.tab = i; state.column = 0; render(); });
    tabs.append(button);
  });
  renderTable();
  renderMedians();
  renderBars();
  renderTrend();
  renderLeague();
  renderItems();
}

// The region's medians, or why they are not shown.
function renderMedians() {
  const list = $('medians');
  list.replaceChildren();
  for (const m of state.data.region.medians ?? []) {
    const item = document.createElement('li');
    const value = m.state === 'PUBLISHED' && m.value !== null
      ? `${m.value} 天` : `不足 ${state.data.threshold} 件，不公布`;
    item.textContent = `${label(m.indicator)}：${value}`;
    list.append(item);
  }
}

function renderTable() {
  const rows = tableRows();
  const table = $('table');
  table.replaceChildren();
  const thead = table.createTHead().insertRow();
  rows[0].forEach((text, i) => {
    const th = document.createElement('th');
    th.textContent = text;
    if (i >= 2) {
      th.title = `${columns()[i - 2]}（点击作图）`;
      if (i - 2 === state.column) th.className = 'chosen';
      th.addEventListener('click', () => { state.column = i - 2; renderTable(); renderBars(); });
    }
    thead.append(th);
  });
  const body = table.createTBody();
  const sources = [state.data.region, ...state.data.children];
  rows.slice(1).forEach((cells, r) => {
    const tr = body.insertRow();
    if (r === 0) tr.className = 'total';
    const source = sources[r];
    cells.forEach((text, i) => {
      const td = tr.insertCell();
      if (i === 1 && r > 0 && LEVELS[source.level]) {
        const link = document.createElement('a');
        link.href = `#${naturalCode(source)}`;
        link.textContent = text;
        td.append(link);
      } else {
        td.textContent = text;
      }
      if (text.startsWith('<')) { td.className = 'small'; td.title = '小数抑制'; }
      if (text === '※') { td.className = 'comp'; td.title = '次级抑制'; }
    });
  });
}

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Horizontal bars of the chosen column, one per child region; withheld cells are drawn
// as an outlined box with their mark, never as a length.
function renderBars() {
  const key = columns()[state.column];
  $('bars-title').textContent = key ? `${label(key)}：按下级地区` : '';
  const rows = state.data.children;
  const values = rows.map((r) => figureOf(r, key));
  const isShare = Boolean(SHARE_OF[key]);
  const max = isShare ? 1 : Math.max(1, ...values.map((f) => (f?.state === 'PUBLISHED' ? f.value : 0)));
  const height = 18;
  const svg = el('svg', { viewBox: `0 0 480 ${rows.length * height + 10}`, role: 'img' });
  rows.forEach((row, i) => {
    const y = i * height + 4;
    svg.append(el('text', { x: 112, y: y + 12, 'text-anchor': 'end' }, row.name.slice(0, 9)));
    const f = values[i];
    if (f?.state === 'PUBLISHED') {
      const width = (f.value / max) * 300;
      svg.append(el('rect', { x: 118, y, width: Math.max(width, 0.5), height: height - 5, class: 'bar-v' }));
      svg.append(el('text', { x: 122 + width, y: y + 12 }, shown(f)));
    } else if (f) {
      svg.append(el('rect', { x: 118, y, width: 24, height: height - 5, class: 'withheld' }));
      svg.append(el('text', { x: 146, y: y + 12, class: 'muted' }, shown(f)));
    }
  });
  $('bars').replaceChildren(svg);
}

// Monthly series of the current region: requests opened and resolved, and visits.
function renderTrend() {
  const series = [
    ['requests.opened', '受理', 'a'], ['requests.resolved', '办结', 'b'], ['visits.visits', '走访', 'c'],
    ['alerts.found', '新预警', 'd'], ['alerts.handled', '预警处置', 'e'],
  ];
  const figures = state.data.region.figures;
  const months = [...new Set(figures.filter((f) => f.indicator.startsWith('requests.opened@'))
    .map((f) => f.indicator.split('@')[1]))].sort();
  const svg = el('svg', { viewBox: '0 0 480 220', role: 'img' });
  const lines = series.map(([key]) => months.map((m) => figures.find((f) => f.indicator === `${key}@${m}`)));
  const max = Math.max(1, ...lines.flat().map((f) => (f?.state === 'PUBLISHED' ? f.value : 0)));
  const x = (i) => 40 + (i * 420) / Math.max(1, months.length - 1);
  const y = (v) => 180 - (v / max) * 160;
  svg.append(el('line', { x1: 40, y1: 180, x2: 460, y2: 180, class: 'axis' }));
  svg.append(el('text', { x: 34, y: 24, 'text-anchor': 'end', class: 'muted' }, max));
  svg.append(el('text', { x: 34, y: 184, 'text-anchor': 'end', class: 'muted' }, 0));
  months.forEach((m, i) => {
    if (i % 2 === 0 || i === months.length - 1) {
      svg.append(el('text', { x: x(i), y: 196, 'text-anchor': 'middle', class: 'muted' }, m.slice(2)));
    }
  });
  lines.forEach((line, s) => {
    const [, name, tone] = series[s];
    // A withheld month breaks the line: it is not drawn as any value.
    let path = '';
    let pen = false;
    line.forEach((f, i) => {
      if (f?.state === 'PUBLISHED') {
        path += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(f.value).toFixed(1)}`;
        pen = true;
        svg.append(el('circle', { cx: x(i), cy: y(f.value), r: 2.5, class: `dot-${tone}` }));
      } else {
        pen = false;
        if (f) svg.append(el('text', { x: x(i), y: 176 - s * 10, 'text-anchor': 'middle', class: 'muted' }, shown(f)));
      }
    });
    if (path) svg.append(el('path', { d: path, class: `line-${tone}` }));
    svg.append(el('circle', { cx: 30 + s * 90, cy: 210, r: 4, class: `dot-${tone}` }));
    svg.append(el('text', { x: 38 + s * 90, y: 214 }, name));
  });
  $('trend').replaceChildren(svg);
}

// Departments of the current region, latest-answering first: routed requests as a bar,
// the share escalated for lateness (only where both counts are published) and the share
// of the department's steps answered by their deadline as text.
function renderLeague() {
  const region = state.data.region;
  const rows = Object.keys(DEPARTMENTS).map((dept) => {
    const routed = figureOf(region, `requests.routed.${dept}`);
    const late = figureOf(region, `requests.late.${dept}`);
    const share = routed?.state === 'PUBLISHED' && late?.state === 'PUBLISHED' && routed.value > 0
      ? late.value / routed.value : null;
    const onTime = figureOf(region, `requests.steps_on_time.department.${dept}`);
    const lateSteps = figureOf(region, `requests.steps_late.department.${dept}`);
    const steps = onTime?.state === 'PUBLISHED' && lateSteps?.state === 'PUBLISHED'
      && onTime.value + lateSteps.value > 0 ? onTime.value / (onTime.value + lateSteps.value) : null;
    return { dept, routed, late, share, steps };
  }).filter((r) => r.routed && !(r.routed.state === 'PUBLISHED' && r.routed.value === 0));
  rows.sort((a, b) => (b.share ?? -1) - (a.share ?? -1));
  const max = Math.max(1, ...rows.map((r) => (r.routed.state === 'PUBLISHED' ? r.routed.value : 0)));
  const height = 18;
  const svg = el('svg', { viewBox: `0 0 480 ${rows.length * height + 10}`, role: 'img' });
  rows.forEach((r, i) => {
    const y = i * height + 4;
    svg.append(el('text', { x: 104, y: y + 12, 'text-anchor': 'end' }, DEPARTMENTS[r.dept]));
    if (r.routed.state === 'PUBLISHED') {
      const width = (r.routed.value / max) * 240;
      svg.append(el('rect', { x: 110, y, width: Math.max(width, 0.5), height: height - 5, class: 'bar-v' }));
      if (r.share !== null) {
        svg.append(el('rect', { x: 110, y, width: width * r.share, height: height - 5, class: 'bar-late' }));
      }
      const share = r.share === null ? `超时 ${shown(r.late)}` : `超时 ${(r.share * 100).toFixed(0)}%`;
      const steps = r.steps === null ? '' : `，按时答复 ${(r.steps * 100).toFixed(0)}%`;
      svg.append(el('text', { x: 116 + width, y: y + 12 }, `${r.routed.value} 件，${share}${steps}`));
    } else {
      svg.append(el('rect', { x: 110, y, width: 24, height: height - 5, class: 'withheld' }));
      svg.append(el('text', { x: 138, y: y + 12, class: 'muted' }, shown(r.routed)));
    }
  });
  $('league').replaceChildren(svg);
}

// Catalogue items of the current region by requests opened, with the late share where
// both counts are published: the league table by item.
function renderItems() {
  const region = state.data.region;
  const items = region.figures.filter((f) => f.indicator.startsWith('requests.item.opened.'))
    .map((opened) => {
      const code = opened.indicator.slice('requests.item.opened.'.length);
      const late = figureOf(region, `requests.item.late.${code}`);
      return { code, opened, late };
    })
    .filter((r) => !(r.opened.state === 'PUBLISHED' && r.opened.value === 0))
    .sort((a, b) => (b.opened.state === 'PUBLISHED' ? b.opened.value : 0)
      - (a.opened.state === 'PUBLISHED' ? a.opened.value : 0))
    .slice(0, 10);
  const table = $('items');
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const text of ['事项', '受理', '超时', '超时比例']) {
    const th = document.createElement('th');
    th.textContent = text;
    head.append(th);
  }
  const body = table.createTBody();
  for (const { code, opened, late } of items) {
    const share = opened.state === 'PUBLISHED' && late?.state === 'PUBLISHED' && opened.value > 0
      ? `${((late.value / opened.value) * 100).toFixed(0)}%` : '—';
    const tr = body.insertRow();
    for (const text of [code, shown(opened), shown(late), share]) tr.insertCell().textContent = text;
  }
}

// The current table as CSV: UTF-8 with a byte-order mark (so that spreadsheet software
// on Chinese Windows reads it as UTF-8), CRLF line ends, the same marks as the table.
function downloadCsv() {
  const quote = (cell) => (/[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell);
  const text = tableRows().map((line) => line.map(quote).join(',')).join('\r\n');
  const blob = new Blob(['\uFEFF', text, '\r\n'], { type: 'text/csv;charset=utf-8' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `${state.data.region.name}-${TABS[state.tab][0]}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function showLogin() {
  $('login').hidden = false;
  $('view').hidden = true;
  $('forget').hidden = true;
}

function start() {
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token').value.trim().replace(/^Bearer\s+/i, '');
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('token').value = '';
    $('login').hidden = true;
    $('forget').hidden = false;
    load();
  });
  $('forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin();
  });
  $('csv').addEventListener('click', downloadCsv);
  window.addEventListener('hashchange', load);
  if (sessionStorage.getItem(TOKEN_KEY)) {
    $('forget').hidden = false;
    load();
  } else {
    showLogin();
  }
}

start();
