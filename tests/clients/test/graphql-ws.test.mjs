// The graphql-ws client as a township app uses it: the token in `connectionParams` the
// way people write it, a change arriving live, and a clean close when the app disposes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startHub, waitForIndex, graphql } from '../lib/hub.mjs';

let hub;
let residentId;
before(async () => {
  hub = await startHub();
  residentId = await waitForIndex(hub);
});
after(async () => { await hub?.stop(); });

const CHANGES = `subscription { serviceRequestChanged { event { kind sequence } request { id status resident { id } } } }`;

test('a subscription with Authorization in connectionParams gets a change and closes with 1000', async () => {
  const closes = [];
  let acknowledged;
  const connected = new Promise((resolve) => { acknowledged = resolve; });
  const client = createClient({
    url: hub.ws,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { Authorization: `Bearer ${hub.tokens.township_officer}`, purpose: 'SERVICE_HANDLING' },
    on: { connected: () => acknowledged(), closed: (event) => closes.push(event.code) },
  });
  const changes = [];
  let arrived;
  const first = new Promise((resolve, reject) => { arrived = { resolve, reject }; });
  const unsubscribe = client.subscribe({ query: CHANGES }, {
    next: (message) => { changes.push(message); arrived.resolve(); },
    error: (error) => arrived.reject(error),
    complete: () => {},
  });
  await connected;
  // The subscription is registered once the server has seen `subscribe`; give it a moment.
  await new Promise((resolve) => setTimeout(resolve, 300));

  const item = await openableItem();
  const opened = await graphql(hub, `
    mutation($input: OpenServiceRequestInput!) { openServiceRequest(input: $input) { request { id } } }`, {
    role: 'village_assistant',
    variables: {
      input: {
        residentId,
        catalogueCode: item.code,
        mode: item.mode,
        description: '申请临时救助，家中突发困难',
        idempotencyKey: `clients-ws-${Date.now()}`,
        ...(item.mode === 'PROXY' ? { authorisation: { by: '本人', method: 'WRITTEN', at: new Date().toISOString() } } : {}),
      },
    },
  });
  assert.equal(opened.body.errors, undefined, JSON.stringify(opened.body.errors));
  const requestId = opened.body.data.openServiceRequest.request.id;

  await Promise.race([first, new Promise((_, reject) => setTimeout(() => reject(new Error('no change within 10 s')), 10_000))]);
  assert.equal(changes[0].errors, undefined, JSON.stringify(changes[0].errors));
  assert.equal(changes[0].data.serviceRequestChanged.request.id, requestId);
  assert.equal(changes[0].data.serviceRequestChanged.request.resident.id, residentId);

  unsubscribe();
  await client.dispose();
  const deadline = Date.now() + 5000;
  while (closes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(closes, [1000]);
});

async function openableItem() {
  const { body } = await graphql(hub, `query($r: String!) { catalogue(region: $r, first: 50) { nodes { code modes retiredAt } } }`, {
    role: 'village_assistant',
    variables: { r: hub.village },
  });
  const items = body.data.catalogue.nodes.filter((i) => !i.retiredAt);
  const item = items.find((i) => i.modes.includes('IN_VILLAGE')) ?? items[0];
  return { code: item.code, mode: item.modes.includes('IN_VILLAGE') ? 'IN_VILLAGE' : item.modes[0] };
}

test('a subscription that cannot run is rejected with the error message and its code', async () => {
  const client = createClient({
    url: hub.ws,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { Authorization: `Bearer ${hub.tokens.township_officer}`, purpose: 'SERVICE_HANDLING' },
  });
  try {
    const outcome = await new Promise((resolve) => {
      client.subscribe({ query: 'subscription { serviceRequestChanged { noSuchField } }' }, {
        next: (message) => resolve({ next: message }),
        error: (errors) => resolve({ error: errors }),
        complete: () => resolve({ complete: true }),
      });
    });
    assert.ok(Array.isArray(outcome.error), `rejected through error, got ${JSON.stringify(outcome)}`);
    assert.equal(outcome.error[0].extensions.code, 'GRAPHQL_VALIDATION_FAILED');
  } finally {
    await client.dispose();
  }
});
