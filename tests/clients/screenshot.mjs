// Takes docs/dashboard.png: a demo hub of 农安县, the dashboard at its township 农安镇 on the
// coverage tab, in
// headless chromium (Debian's `chromium`; a Chinese font such as `fonts-wqy-microhei`
// must be installed for the text to show). Usage: node screenshot.mjs [output.png]
import { fileURLToPath } from 'node:url';
import { startHub } from './lib/hub.mjs';
import { openBrowser, openDashboard, waitForColumn } from './lib/dashboard.mjs';

const output = process.argv[2] ?? fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url));
const hub = await startHub({ scope: '220122', peoplePerVillage: 60 });
try {
  const { browser, page } = await openBrowser(hub, { width: 1400, height: 1100 });
  try {
    await openDashboard(page, hub, '220122100');
    // The coverage tab, once screening has published it: shares beside their counts.
    await waitForColumn(page, '覆盖', '已筛查居民');
    await page.screenshot({ path: output, fullPage: true });
    console.log(`written ${output}`);
  } finally {
    await browser.close();
  }
} finally {
  await hub.stop();
}
