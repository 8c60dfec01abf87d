// A village's public pages: its service list for a phone (`services`) and the poster
// for its notice board (`poster`). Both read the public villageServices query of this
// hub, with no token: the list is public information and names no person.
'use strict';

const MODES = {
  PROXY: ['帮办代办', '村干部或帮办代办员代为办理'],
  VIDEO: ['视频办', '在村里通过视频连线办理'],
  ONLINE: ['全程网办', '在网上或手机上全程办理'],
  IN_VILLAGE: ['不出村', '在村便民服务站即可办理'],
};
const LEVELS = { PROVINCIAL_REFERENCE: '省级', MUNICIPAL_GUIDANCE: '市级', COUNTY_BASIC: '县级' };
const DEPARTMENTS = {
  MEDICAL_INSURANCE: '医保局', SOCIAL_SECURITY: '人社局', CIVIL_AFFAIRS: '民政局',
  PUBLIC_SECURITY: '公安局', VETERANS_AFFAIRS: '退役军人事务局', HEALTH: '卫健局',
  AGRICULTURE: '农业农村局', JUSTICE: '司法局', EMERGENCY_MANAGEMENT: '应急管理局',
  EDUCATION: '教育局', HOUSING: '住建局', TRANSPORT: '交通运输局', POSTAL: '邮政',
};

const LIST = `query VillageServices($village: String!, $after: String) {
  region(code: $village) { name ancestors { name } }
  villageServices(village: $village, first: 50, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { code name department level modes materials timeLimitDays illustrative }
  }
}`;

const $ = (id) => document.getElementById(id);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// The village's code, from /villages/{code}/services or /villages/{code}/poster.
function villageCode() {
  const match = /^\/villages\/(\d{12})\//.exec(location.pathname);
  return match ? match[1] : null;
}

async function graphql(query, variables) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      'accept-language': 'zh-CN',
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => ({}));
  if (body.errors?.length) throw new Error(body.errors[0].message);
  if (!response.ok) throw new Error(`服务暂时不可用（${response.status}）`);
  return body.data;
}

// The village, the names above it, and every item of its list.
async function load(code) {
  let after = null;
  let place = null;
  const items = [];
  do {
    const data = await graphql(LIST, { village: code, after });
    if (!data.region || !data.villageServices) throw new Error('没有这个村（社区）。');
    place = data.region;
    items.push(...data.villageServices.nodes);
    after = data.villageServices.pageInfo.hasNextPage ? data.villageServices.pageInfo.endCursor : null;
  } while (after);
  return { place, items };
}

function showPlace(place) {
  $('place').textContent = place.ancestors.map((a) => a.name).join(' · ');
  $('title').textContent = `${place.name} 便民服务事项`;
  document.title = `${place.name} 便民服务事项`;
}

function modeChips(modes) {
  const chips = element('span', 'modes');
  for (const mode of modes) chips.append(element('span', `mode ${mode.toLowerCase()}`, MODES[mode]?.[0] ?? mode));
  return chips;
}

// The phone page: one card per item, with a filter by department.
function renderServices(items) {
  const list = $('list');
  list.replaceChildren();
  for (const item of items) {
    const card = element('li', 'card');
    card.dataset.department = item.department;
    card.id = item.code;
    const head = element('div', 'head');
    head.append(element('h2', null, item.name));
    head.append(element('span', 'level', LEVELS[item.level] ?? ''));
    card.append(head);
    const facts = element('dl');
    facts.append(element('dt', null, '负责部门'), element('dd', 'department', DEPARTMENTS[item.department] ?? item.department));
    const how = element('dd');
    how.append(modeChips(item.modes));
    facts.append(element('dt', null, '办理方式'), how);
    facts.append(element('dt', null, '办理时限'), element('dd', 'limit', `${item.timeLimitDays} 个工作日`));
    const materials = element('dd');
    if (item.materials.length) {
      const ul = element('ul', 'materials');
      for (const material of item.materials) ul.append(element('li', null, material));
      materials.append(ul);
    } else {
      materials.textContent = '无需材料';
    }
    facts.append(element('dt', null, '所需材料'), materials);
    card.append(facts);
    list.append(card);
  }
  const departments = [...new Set(items.map((i) => i.department))];
  const filters = $('filters');
  const button = (label, department) => {
    const b = element('button', null, label);
    b.type = 'button';
    b.setAttribute('aria-pressed', department === null ? 'true' : 'false');
    b.addEventListener('click', () => {
      for (const other of filters.children) other.setAttribute('aria-pressed', 'false');
      b.setAttribute('aria-pressed', 'true');
      for (const card of list.children) card.hidden = department !== null && card.dataset.department !== department;
    });
    return b;
  };
  filters.replaceChildren(button(`全部（${items.length}）`, null),
    ...departments.map((d) => button(DEPARTMENTS[d] ?? d, d)));
  filters.hidden = departments.length < 2;
  const modes = $('modes');
  modes.replaceChildren();
  for (const [name, explanation] of Object.values(MODES)) modes.append(element('dt', null, name), element('dd', null, explanation));
}

// The poster: one compact row per item.
function renderPoster(items) {
  const body = $('table').tBodies[0];
  body.replaceChildren();
  for (const item of items) {
    const row = element('tr');
    const name = element('td', 'name');
    name.append(element('strong', null, item.name));
    if (item.materials.length) name.append(element('small', null, `材料：${item.materials.join('、')}`));
    row.append(name);
    row.append(element('td', null, DEPARTMENTS[item.department] ?? item.department));
    const how = element('td');
    how.append(modeChips(item.modes));
    row.append(how);
    row.append(element('td', 'limit', `${item.timeLimitDays}日`));
    body.append(row);
  }
  $('modes-line').textContent = Object.values(MODES).map(([name, explanation]) => `${name}：${explanation}`).join('；') + '。';
}

async function main() {
  const code = villageCode();
  const status = $('status');
  if (!code) {
    status.textContent = '地址有误：缺少村（社区）代码。';
    return;
  }
  try {
    const { place, items } = await load(code);
    showPlace(place);
    if (document.body.classList.contains('poster')) renderPoster(items);
    else renderServices(items);
    $('illustrative').hidden = !items.some((i) => i.illustrative);
    status.textContent = items.length ? `共 ${items.length} 项` : '本村暂无公布的服务事项。';
    document.body.dataset.ready = 'true';
  } catch (error) {
    status.textContent = `读取失败：${error.message}`;
    status.classList.add('error');
  }
}

main();
