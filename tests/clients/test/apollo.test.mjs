// Apollo Client as the village app uses it: a normalized cache that must keep serving
// cache-first reads during a department outage, Relay-style paging with `fetchMore`, and
// objects normalized by their `id` whichever query brought them.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { relayStylePagination } from '@apollo/client/utilities';
import { startHub, waitForIndex, setKnobs } from '../lib/hub.mjs';

let hub;
let residentId;
before(async () => {
  // No department cache, so that an outage shows as the error it is.
  hub = await startHub({
    env: {
      CUNHUB_DEPARTMENTS_CACHE_TTL: '0s',
      CUNHUB_DEPARTMENTS_STALE_FOR: '0s',
      CUNHUB_DEPARTMENTS_RETRIES: '0',
    },
  });
  residentId = await waitForIndex(hub);
});
after(async () => { await hub?.stop(); });

/** An Apollo client as `role`, counting the requests that reach the network. */
function client(role) {
  const counter = { requests: 0 };
  const countingFetch = (input, init) => { counter.requests += 1; return fetch(input, init); };
  const apollo = new ApolloClient({
    link: new HttpLink({
      uri: hub.graphql,
      fetch: countingFetch,
      headers: { authorization: `Bearer ${hub.tokens[role]}`, 'x-purpose': 'SERVICE_HANDLING' },
    }),
    cache: new InMemoryCache({
      typePolicies: { Query: { fields: { residents: relayStylePagination(['region', 'filter']) } } },
    }),
  });
  return { apollo, counter };
}

const RESIDENT = gql`
  query ResidentCard($id: ID!) {
    resident(id: $id) {
      id
      name
      medicalInsurance { enrolments { scheme status } }
    }
  }
`;

test('a cache-first read during a department outage is served from the cache, with the field null', async () => {
  const { apollo, counter } = client('village_assistant');
  await setKnobs(hub, 'medical_insurance', { outage: 'unavailable' });
  try {
    const first = await apollo.query({ query: RESIDENT, variables: { id: residentId }, errorPolicy: 'all' });
    assert.equal(first.data.resident.id, residentId);
    assert.equal(first.data.resident.medicalInsurance, null);
    const errors = first.error?.errors ?? [];
    assert.ok(errors.length > 0, 'the outage is reported');
    assert.deepEqual(errors[0].path, ['resident', 'medicalInsurance']);
    assert.match(errors[0].extensions.code, /^DEPARTMENT_/);
    assert.equal(counter.requests, 1);

    // The key is present (null), so the cache holds a complete answer: no second request.
    const second = await apollo.query({ query: RESIDENT, variables: { id: residentId }, fetchPolicy: 'cache-first', errorPolicy: 'all' });
    assert.equal(counter.requests, 1, 'a cache-first read went back to the network');
    assert.equal(second.data.resident.medicalInsurance, null);
    assert.equal(second.data.resident.name, first.data.resident.name);
  } finally {
    await setKnobs(hub, 'medical_insurance', { outage: 'none' });
  }
});

const RESIDENTS = gql`
  query VillageList($region: String!, $first: Int!, $after: String) {
    residents(region: $region, first: $first, after: $after, filter: { minAge: 14 }) {
      edges { cursor node { id name } }
      pageInfo { hasNextPage endCursor }
      totalCount
    }
  }
`;

test('Relay-style paging with fetchMore merges pages into one list', async () => {
  const { apollo } = client('village_assistant');
  const observable = apollo.watchQuery({ query: RESIDENTS, variables: { region: hub.village, first: 5 } });
  const seen = [];
  let notify = () => {};
  const subscription = observable.subscribe({
    next: (result) => { if (!result.loading && result.data) { seen.push(result); notify(); } },
  });
  const emitted = async (count) => {
    const deadline = Date.now() + 10_000;
    while (seen.length < count && Date.now() < deadline) {
      await new Promise((resolve) => { notify = resolve; setTimeout(resolve, 100); });
    }
    assert.ok(seen.length >= count, `the watched query emitted ${seen.length} results`);
    return seen[seen.length - 1];
  };
  const first = await emitted(1);
  assert.equal(first.data.residents.edges.length, 5);
  assert.ok(first.data.residents.pageInfo.hasNextPage);
  const more = await observable.fetchMore({ variables: { after: first.data.residents.pageInfo.endCursor } });
  assert.equal(more.data.residents.edges.length, 5, 'the second page');
  const merged = (await emitted(2)).data.residents.edges.map((e) => e.node.id);
  assert.equal(merged.length, 10);
  assert.equal(new Set(merged).size, 10, 'no resident twice');
  assert.deepEqual(merged.slice(0, 5), first.data.residents.edges.map((e) => e.node.id));
  subscription.unsubscribe();
});

test('objects are normalized by id, whether read directly or through node(id:)', async () => {
  const { apollo } = client('village_assistant');
  const direct = await apollo.query({
    query: gql`query Direct($id: ID!) { resident(id: $id) { id name } }`,
    variables: { id: residentId },
  });
  const viaNode = await apollo.query({
    query: gql`query ViaNode($id: ID!) { node(id: $id) { id ... on Resident { name age } } }`,
    variables: { id: residentId },
  });
  assert.equal(viaNode.data.node.__typename, 'Resident');
  assert.equal(viaNode.data.node.id, direct.data.resident.id);
  const key = apollo.cache.identify({ __typename: 'Resident', id: residentId });
  const entry = apollo.cache.extract()[key];
  assert.equal(entry.name, direct.data.resident.name);
  assert.equal(typeof entry.age, 'number', 'the node read added to the same cache entry');
  const residents = Object.keys(apollo.cache.extract()).filter((k) => k.startsWith('Resident:'));
  assert.deepEqual(residents, [key]);

  const region = await apollo.query({
    query: gql`query R($code: String!) { region(code: $code) { id code name } }`,
    variables: { code: hub.village },
  });
  const again = await apollo.query({
    query: gql`query N($id: ID!) { node(id: $id) { id ... on Region { code } } }`,
    variables: { id: region.data.region.id },
  });
  assert.equal(again.data.node.code, hub.village);
});
