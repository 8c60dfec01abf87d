// Apollo's persisted-query link as the village app uses it: the first run sends only the
// hash, is told PERSISTED_QUERY_NOT_FOUND and registers the text; later runs send the
// hash alone. With automatic persisted queries off, the link falls back to the text.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { startHub } from '../lib/hub.mjs';

let hub;
let plainHub;
before(async () => {
  [hub, plainHub] = await Promise.all([
    startHub(),
    startHub({ env: { CUNHUB_DOCUMENTS_AUTOMATIC: 'false' } }),
  ]);
});
after(async () => { await Promise.all([hub?.stop(), plainHub?.stop()]); });

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** An Apollo client with the persisted-query link, recording what each request sent. */
function client(target) {
  const sent = [];
  const recordingFetch = async (input, init) => {
    const body = JSON.parse(init.body);
    const response = await fetch(input, init);
    sent.push({ query: body.query !== undefined, hash: body.extensions?.persistedQuery?.sha256Hash !== undefined, status: response.status });
    return response;
  };
  const apollo = new ApolloClient({
    link: new PersistedQueryLink({ sha256 }).concat(new HttpLink({ uri: target.graphql, fetch: recordingFetch })),
    cache: new InMemoryCache(),
  });
  return { apollo, sent };
}

const PROVINCE = gql`query Province { region(code: "22") { name } }`;

test('the link registers the text after PERSISTED_QUERY_NOT_FOUND, then sends the hash alone', async () => {
  const { apollo, sent } = client(hub);
  const first = await apollo.query({ query: PROVINCE, fetchPolicy: 'network-only' });
  assert.equal(first.data.region.name, '吉林省');
  assert.deepEqual(sent, [
    { query: false, hash: true, status: 200 },
    { query: true, hash: true, status: 200 },
  ]);

  const { apollo: other, sent: later } = client(hub);
  const again = await other.query({ query: PROVINCE, fetchPolicy: 'network-only' });
  assert.equal(again.data.region.name, '吉林省');
  assert.deepEqual(later, [{ query: false, hash: true, status: 200 }]);
});

test('with automatic persisted queries off, the link falls back to sending the text', async () => {
  const { apollo, sent } = client(plainHub);
  const first = await apollo.query({ query: PROVINCE, fetchPolicy: 'network-only' });
  assert.equal(first.data.region.name, '吉林省');
  assert.deepEqual(sent.map((s) => s.status), [200, 200]);
  assert.equal(sent[1].query, true);
  const second = await apollo.query({ query: PROVINCE, fetchPolicy: 'network-only' });
  assert.equal(second.data.region.name, '吉林省');
  assert.equal(sent.length, 3);
  assert.deepEqual(sent[2], { query: true, hash: false, status: 200 });
});
