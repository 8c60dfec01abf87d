// The dashboard page in Debian's headless chromium, with every request that does not go
// to the hub blocked: it takes the pasted token, drills down from 农安县 to a township,
// shows "<5" for a withheld cell, and its CSV download holds exactly the table.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHub } from '../lib/hub.mjs';
import { openBrowser, openDashboard, tableText, waitForColumn } from '../lib/dashboard.mjs';

const COUNTY = '220122';
let hub;
let started;
before(async () => {
  started = Date.now();
  // 30 people a village: a county small enough for CI, with many villages' counts of 1–4.
  hub = await startHub({ scope: COUNTY, peoplePerVillage: 30 });
});
after(async () => { await hub?.stop(); });

test('the dashboard drills down from 农安县 to a township, withholds small cells, and downloads the table as CSV', async (t) => {
  const { browser, page, blocked, problems } = await openBrowser(hub);
  const downloads = await mkdtemp(join(tmpdir(), 'cunhub-dashboard-'));
  try {
    await openDashboard(page, hub, COUNTY);
    t.diagnostic(`figures shown ${((Date.now() - started) / 1000).toFixed(1)} s after the demo started`);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('cunhub.dashboard.token')), hub.tokens.dashboard);
    const county = await tableText(page);
    assert.equal(county[1][1], '农安县（合计）');

    // Down to the first township of the county.
    const township = await page.$$eval('#table tbody a', (links) => links
      .map((a) => a.getAttribute('href').slice(1))
      .find((code) => code.length === 9));
    assert.ok(township, 'the county lists its townships');
    await page.click(`#table tbody a[href="#${township}"]`);
    await page.waitForFunction(
      (want) => document.querySelector('#table tbody tr.total td')?.textContent === want,
      { timeout: 30_000 },
      township,
    );
    assert.match(await page.$eval('#crumbs', (nav) => nav.textContent), /农安县/);
    const rows = await tableText(page);
    assert.ok(rows.length > 2, 'the township lists its villages');
    assert.ok(rows.slice(2).every((row) => row[0].startsWith(township) && row[0].length === 12));

    // A village's count of 1–4 is withheld as "<5", marked and explained in the legend.
    const small = await page.$$eval('#table td.small', (cells) => cells.map((c) => c.textContent));
    assert.ok(small.length > 0, 'some cell of the villages is withheld as small');
    assert.ok(small.every((text) => text === '<5'));
    assert.match(await page.$eval('#legend', (l) => l.textContent), /小数抑制/);

    // The CSV of the table: a byte-order mark, then the same cells, marks included.
    const cdp = await browser.target().createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await page.click('#csv');
    let file;
    for (let i = 0; i < 100 && !file; i += 1) {
      file = (await readdir(downloads)).find((name) => name.endsWith('.csv'));
      if (!file) await sleep(100);
    }
    assert.ok(file, 'a CSV file was downloaded');
    const bytes = await readFile(join(downloads, file));
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte-order mark');
    const lines = bytes.subarray(3).toString('utf8').split('\r\n').filter((line) => line !== '');
    assert.deepEqual(lines.map((line) => line.split(',')), rows);
    assert.ok(lines.some((line) => line.split(',').includes('<5')));

    // Coverage as shares beside their counts (once screening has published them): a
    // share is shown only where both counts are, and equals their quotient.
    const coverage = await waitForColumn(page, '覆盖', '已筛查居民');
    const column = (name) => coverage[0].indexOf(name);
    const [share, insured, screened] = [column('医保参保率'), column('已参医保'), column('已筛查居民')];
    assert.ok(share > 1 && insured > 1 && screened > 1, coverage[0].join(' '));
    for (const row of coverage.slice(1)) {
      const [a, b] = [Number(row[insured]), Number(row[screened])];
      const published = /^\d+$/.test(row[insured]) && /^\d+$/.test(row[screened]) && b > 0;
      assert.equal(row[share], published ? `${((a / b) * 100).toFixed(1)}%` : '—', row.join(' '));
    }
    assert.match(coverage[1][share], /^\d+\.\d%$/, 'the township\'s own share is published');
    // The work tabs are offered, and the medians say whether they are published.
    const tabs = await page.$$eval('#tabs button', (buttons) => buttons.map((b) => b.textContent));
    for (const tab of ['人口', '覆盖', '预警', '服务请求', '走访', '服务目录']) assert.ok(tabs.includes(tab), tabs.join(' '));
    const medians = await page.$$eval('#medians li', (items) => items.map((i) => i.textContent));
    assert.equal(medians.length, 2, medians.join(' '));

    // Nothing but the hub was asked for, and the page raised no error.
    assert.deepEqual(blocked, []);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await rm(downloads, { recursive: true, force: true });
  }
});
