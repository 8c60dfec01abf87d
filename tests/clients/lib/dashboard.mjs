// The dashboard page in Debian's headless chromium, with every request that does not go
// to the hub blocked, as on an intranet.

import puppeteer from 'puppeteer-core';

/** `CHROMIUM`, else Debian's package. */
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** A browser, and a page on which only requests to `hub.url` get through (`blocked` lists the others). */
export async function openBrowser(hub, { width = 1400, height = 1000 } = {}) {
  const browser = await puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    // Root in CI containers has no user namespace for the sandbox.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--lang=zh-CN'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width, height });
  const blocked = [];
  const problems = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith(`${hub.url}/`) || url.startsWith('blob:') || url.startsWith('data:')) {
      request.continue();
    } else {
      blocked.push(url);
      request.abort('blockedbyclient');
    }
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  return { browser, page, blocked, problems };
}

/** Opens `/dashboard#code`, pastes the dashboard token and waits for the table of its children. */
export async function openDashboard(page, hub, code, { timeout = 90_000 } = {}) {
  await page.goto(`${hub.url}/dashboard#${code}`, { waitUntil: 'load' });
  await page.waitForSelector('#token', { visible: true });
  await page.type('#token', hub.tokens.dashboard);
  await page.click('#login button[type=submit]');
  // Before the demo's first snapshot the page says so and reloads on its own.
  await page.waitForFunction(
    (want) => !document.getElementById('view').hidden
      && document.querySelector('#table tbody tr.total td')?.textContent === want,
    { timeout, polling: 250 },
    code,
  );
}

/** The table as the page shows it: one array of cell texts per row, the header first. */
export function tableText(page) {
  return page.$$eval('#table tr', (rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent)));
}

/**
 * Shows the tab `name` and, reloading the page while the demo's snapshots arrive, waits until
 * the region's own value in the column `column` is a published non-zero count.
 */
export async function waitForColumn(page, name, column, { timeout = 180_000 } = {}) {
  const until = Date.now() + timeout;
  for (;;) {
    await page.waitForFunction(
      (tab) => [...document.querySelectorAll('#tabs button')].some((b) => b.textContent === tab),
      { timeout: 60_000, polling: 250 },
      name,
    );
    await page.$$eval('#tabs button', (buttons, tab) => buttons.find((b) => b.textContent === tab).click(), name);
    const rows = await tableText(page);
    const value = rows[1]?.[rows[0].indexOf(column)];
    if (/^[1-9]\d*$/.test(value ?? '')) return rows;
    if (Date.now() > until) throw new Error(`${column} of ${name} still ${value}`);
    await new Promise((resolve) => { setTimeout(resolve, 2_000); });
    const total = await page.$eval('#table tbody tr.total td', (td) => td.textContent);
    await page.reload({ waitUntil: 'load' });
    await page.waitForFunction(
      (want) => document.querySelector('#table tbody tr.total td')?.textContent === want,
      { timeout: 60_000, polling: 250 },
      total,
    );
  }
}
