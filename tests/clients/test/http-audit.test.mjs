// The GraphQL-over-HTTP audit of graphql-http: every MUST and SHOULD of the spec.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { auditServer } from 'graphql-http';
import { startHub } from '../lib/hub.mjs';

let hub;
before(async () => { hub = await startHub(); });
after(async () => { await hub?.stop(); });

test('the hub passes every MUST and SHOULD of the GraphQL-over-HTTP audit', async () => {
  const results = await auditServer({ url: hub.graphql, fetchFn: fetch });
  const required = results.filter((r) => /^(MUST|SHOULD)\b/.test(r.name));
  assert.ok(required.length >= 30, `the audit ran ${required.length} MUST/SHOULD checks`);
  const failed = [];
  for (const result of required) {
    if (result.status !== 'ok') {
      const reason = result.reason ?? '';
      failed.push(`${result.name}: ${reason}`);
    }
  }
  assert.deepEqual(failed, []);
});
