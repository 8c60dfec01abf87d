// The explorer as an intranet user meets it: a headless Chromium with every request off
// the hub blocked loads /graphiql, finds the Authorization and X-Purpose headers waiting
// to be filled, runs a query with a token and shows the answer.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import puppeteer from 'puppeteer-core';
import { startHub, waitForIndex } from '../lib/hub.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

let hub;
let browser;
before(async () => {
  hub = await startHub();
  await waitForIndex(hub);
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
});
after(async () => {
  await browser?.close();
  await hub?.stop();
});

/** The texts of the CodeMirror editors matching `selector`. */
async function editorText(page, selector) {
  return page.$$eval(selector, (nodes) => nodes.map((node) => node.CodeMirror?.getValue() ?? ''));
}

test('the explorer loads with the outside network blocked and runs a query with a token', async () => {
  const page = await browser.newPage();
  const blocked = [];
  const violations = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith(hub.url) || url.startsWith('data:')) {
      request.continue();
    } else {
      blocked.push(url);
      request.abort('blockedbyclient');
    }
  });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });

  const response = await page.goto(`${hub.url}/graphiql`, { waitUntil: 'networkidle0' });
  assert.equal(response.status(), 200);
  assert.match(response.headers()['content-security-policy'], /script-src 'self'/);
  await page.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror', { timeout: 30_000 });

  // The header editor comes filled with the placeholders to complete.
  const tools = await editorText(page, '.graphiql-editor-tool .CodeMirror');
  const headers = tools.find((text) => text.includes('X-Purpose'));
  assert.ok(headers, `no header editor with X-Purpose among ${JSON.stringify(tools)}`);
  assert.match(headers, /"Authorization": "Bearer </);

  const query = `query Sample { residentByIdNumber(idNumber: "${hub.sampleIdNumber}") { name } }`;
  await page.evaluate(
    (query, token) => {
      const set = (selector, test, value) => {
        const editor = [...document.querySelectorAll(selector)]
          .map((node) => node.CodeMirror)
          .find((cm) => cm && test(cm.getValue()));
        editor.setValue(value);
      };
      set('.graphiql-query-editor .CodeMirror', () => true, query);
      set('.graphiql-editor-tool .CodeMirror', (text) => text.includes('X-Purpose'),
        JSON.stringify({ Authorization: `Bearer ${token}`, 'X-Purpose': 'SERVICE_HANDLING' }));
    },
    query,
    hub.tokens.village_assistant,
  );
  // GraphiQL reads the operation name from the edited document a moment after the edit.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () => {
      const cm = document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror;
      return cm && cm.getValue().includes('"name"');
    },
    { timeout: 20_000 },
  );
  const [answer] = await editorText(page, '.graphiql-response .CodeMirror');
  const body = JSON.parse(answer);
  assert.equal(body.errors, undefined, answer);
  assert.equal(typeof body.data.residentByIdNumber.name, 'string');
  assert.ok(body.data.residentByIdNumber.name.length > 0);

  assert.deepEqual(blocked, [], 'the explorer asked for nothing outside the hub');
  assert.deepEqual(violations, [], 'nothing broke the Content-Security-Policy');
  await page.close();
});
