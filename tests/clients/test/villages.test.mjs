// A village's public pages in Debian's headless chromium, with every request that does
// not go to the hub blocked: the service list on a phone-sized screen shows every item
// of the public list, and the A4 poster carries the list and a QR code that decodes to
// the list's address.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { startHub, graphql } from '../lib/hub.mjs';
import { openBrowser } from '../lib/dashboard.mjs';

let hub;
before(async () => {
  hub = await startHub({ peoplePerVillage: 5 });
});
after(async () => { await hub?.stop(); });

/** The village's public list as the API gives it, with no token. */
async function publicList(village) {
  const items = [];
  let after = null;
  do {
    const { body } = await graphql(hub, `query($v: String!, $after: String) {
      region(code: $v) { name }
      villageServices(village: $v, first: 50, after: $after) {
        pageInfo { hasNextPage endCursor } nodes { code name timeLimitDays } } }`,
    { variables: { v: village, after } });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    items.push(...body.data.villageServices.nodes);
    after = body.data.villageServices.pageInfo.hasNextPage ? body.data.villageServices.pageInfo.endCursor : null;
    items.village = body.data.region.name;
  } while (after);
  return items;
}

async function ready(page) {
  await page.waitForFunction(() => document.body.dataset.ready === 'true', { timeout: 30_000 });
}

test('the service list of the demo\'s first village reads well on a phone', async () => {
  const village = hub.village;
  const expected = await publicList(village);
  assert.ok(expected.length > 20, `${expected.length} items`);
  const { browser, page, blocked, problems } = await openBrowser(hub, { width: 390, height: 844 });
  try {
    await page.goto(`${hub.url}/villages/${village}/services`, { waitUntil: 'load' });
    await ready(page);
    assert.equal(await page.$eval('#title', (h) => h.textContent), `${expected.village} 便民服务事项`);
    const cards = await page.$$eval('#list > li', (items) => items.map((li) => ({
      code: li.id, name: li.querySelector('h2').textContent, limit: li.querySelector('.limit').textContent,
    })));
    assert.deepEqual(cards, expected.map((i) => ({ code: i.code, name: i.name, limit: `${i.timeLimitDays} 个工作日` })));
    // Made for the phone: nothing wider than the screen.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    // The department filter narrows the list.
    await page.click('#filters button:nth-child(2)');
    const shown = await page.$$eval('#list > li', (items) => items.filter((li) => !li.hidden).length);
    assert.ok(shown > 0 && shown < expected.length, `${shown} of ${expected.length} shown`);
    assert.deepEqual(blocked, []);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('the poster prints on A4 with the list and a QR code of the list\'s address', async () => {
  const village = hub.village;
  const expected = await publicList(village);
  // An A4 sheet at 96 dpi.
  const { browser, page, blocked, problems } = await openBrowser(hub, { width: 794, height: 1123 });
  try {
    await page.goto(`${hub.url}/villages/${village}/poster`, { waitUntil: 'load' });
    await ready(page);
    const rows = await page.$$eval('#table tbody tr', (trs) => trs.map((tr) => tr.querySelector('strong').textContent));
    assert.deepEqual(rows, expected.map((i) => i.name));

    const address = `${hub.url}/villages/${village}/services`;
    assert.equal(await page.$eval('#address', (p) => p.textContent), address);
    const qr = await page.$('#qr svg');
    assert.ok(qr, 'the poster has the hub\'s QR code');
    const png = PNG.sync.read(Buffer.from(await qr.screenshot({ type: 'png' })));
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    assert.ok(decoded, 'the QR code decodes');
    assert.equal(decoded.data, address);

    const pdf = Buffer.from(await page.pdf({ format: 'A4', printBackground: true }));
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
    assert.deepEqual(blocked, []);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('a page of a code that names no village is 404', async () => {
  for (const path of ['/villages/220122101999/services', '/villages/220122101/poster', '/villages/220122101201/poster.html']) {
    const response = await fetch(`${hub.url}${path}`);
    assert.equal(response.status, 404, path);
  }
});
