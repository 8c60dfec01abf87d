// The graphql-sse client as an app that cannot hold a WebSocket uses it: a query and a
// live change over server-sent events ("distinct connections"), with the token and the
// purpose in the headers, and the door refusing a subscription without a purpose.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'graphql-sse';
import { startHub, waitForIndex, graphql } from '../lib/hub.mjs';

let hub;
let residentId;
before(async () => {
  hub = await startHub();
  residentId = await waitForIndex(hub);
});
after(async () => { await hub?.stop(); });

function client(role, purpose) {
  return createClient({
    url: `${hub.url}/graphql/stream`,
    singleConnection: false,
    retryAttempts: 0,
    headers: {
      ...(role ? { Authorization: `Bearer ${hub.tokens[role]}` } : {}),
      ...(purpose ? { 'X-Purpose': purpose } : {}),
    },
  });
}

test('a query over server-sent events answers once and completes', async () => {
  const sse = client();
  const results = [];
  for await (const result of sse.iterate({ query: '{ region(code: "22") { name } }' })) {
    results.push(result);
  }
  assert.deepEqual(results, [{ data: { region: { name: '吉林省' } } }]);
  sse.dispose();
});

test('a subscription over server-sent events gets a change in scope', async () => {
  const sse = client('township_officer', 'SERVICE_HANDLING');
  const changes = sse.iterate({
    query: 'subscription { serviceRequestChanged { request { id resident { id } } event { kind } } }',
  });
  const first = changes.next();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const { body } = await graphql(hub, `query($r: String!) { catalogue(region: $r, first: 50) { nodes { code modes retiredAt } } }`, {
    role: 'village_assistant',
    variables: { r: hub.village },
  });
  const items = body.data.catalogue.nodes.filter((i) => !i.retiredAt);
  const item = items.find((i) => i.modes.includes('IN_VILLAGE')) ?? items[0];
  const mode = item.modes.includes('IN_VILLAGE') ? 'IN_VILLAGE' : item.modes[0];
  const opened = await graphql(hub, `
    mutation($input: OpenServiceRequestInput!) { openServiceRequest(input: $input) { request { id } } }`, {
    role: 'village_assistant',
    variables: {
      input: {
        residentId,
        catalogueCode: item.code,
        mode,
        description: '申请临时救助，家中突发困难',
        idempotencyKey: `clients-sse-${Date.now()}`,
        ...(mode === 'PROXY' ? { authorisation: { by: '本人', method: 'WRITTEN', at: new Date().toISOString() } } : {}),
      },
    },
  });
  assert.equal(opened.body.errors, undefined, JSON.stringify(opened.body.errors));
  const change = await Promise.race([
    first,
    new Promise((_, reject) => setTimeout(() => reject(new Error('no change within 10 s')), 10_000)),
  ]);
  assert.equal(change.value.errors, undefined, JSON.stringify(change.value));
  assert.equal(change.value.data.serviceRequestChanged.request.id, opened.body.data.openServiceRequest.request.id);
  assert.equal(change.value.data.serviceRequestChanged.event.kind, 'OPENED');
  await changes.return();
  sse.dispose();
});

test('a subscription without a purpose is refused at the door', async () => {
  const sse = client('township_officer');
  const results = [];
  for await (const result of sse.iterate({ query: 'subscription { serviceRequestChanged { request { id } } }' })) {
    results.push(result);
  }
  assert.equal(results.length, 1);
  assert.equal(results[0].errors[0].extensions.code, 'PURPOSE_REQUIRED');
  sse.dispose();
});
