// The schemas app teams generate clients from: the whole schema and each role's
// (`cunhub schema --role ROLE`) load in graphql-js, and graphql-codegen generates typed
// operations for each role's own app operations against its own schema. An operation
// of a role that is not in another role's schema fails there, so the role schemas are
// cut, not copies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { generate } from '@graphql-codegen/cli';
import { cunhubBinary } from '../lib/hub.mjs';

const ROLES = ['anonymous', 'resident', 'village_assistant', 'township_officer', 'department_clerk',
  'police', 'dashboard', 'integrator', 'auditor', 'admin'];
const operationsDir = new URL('../operations/', import.meta.url).pathname;
const fullSchemaFile = new URL('../../../schema.graphql', import.meta.url).pathname;

function roleSdl(role) {
  return execFileSync(cunhubBinary(), ['schema', '--role', role], { encoding: 'utf8' });
}

function operationsOf(role) {
  const dir = join(operationsDir, role);
  return readdirSync(dir).filter((f) => f.endsWith('.graphql')).map((f) => join(dir, f));
}

test('schema.graphql and every role schema load in graphql-js buildSchema', () => {
  const full = buildSchema(readFileSync(fullSchemaFile, 'utf8'));
  assert.ok(full.getMutationType(), 'the whole schema has mutations');
  assert.ok(full.getSubscriptionType(), 'the whole schema has subscriptions');
  for (const role of ROLES) {
    const schema = buildSchema(roleSdl(role));
    assert.ok(schema.getQueryType(), `${role} has a query type`);
  }
});

test('each role schema carries the mutations and subscriptions the role may call, and no others', () => {
  const fieldsOf = (type) => Object.keys(type?.getFields() ?? {}).sort();
  const village = buildSchema(roleSdl('village_assistant'));
  assert.ok(fieldsOf(village.getMutationType()).includes('openServiceRequest'));
  assert.ok(fieldsOf(village.getMutationType()).includes('recordVisit'));
  assert.ok(!fieldsOf(village.getMutationType()).includes('addCatalogueItem'));
  assert.deepEqual(fieldsOf(village.getSubscriptionType()), ['serviceRequestChanged']);
  const admin = buildSchema(roleSdl('admin'));
  assert.ok(fieldsOf(admin.getMutationType()).includes('addCatalogueItem'));
  for (const role of ['anonymous', 'dashboard', 'integrator', 'auditor']) {
    const schema = buildSchema(roleSdl(role));
    assert.ok(!schema.getMutationType(), `${role} changes nothing`);
    assert.ok(!schema.getSubscriptionType(), `${role} follows nothing`);
  }
});

test('graphql-codegen generates each role app\'s operations against its own schema', async () => {
  const out = mkdtempSync(join(tmpdir(), 'cunhub-codegen-'));
  try {
    for (const role of ROLES) {
      const schemaFile = join(out, `${role}.graphql`);
      writeFileSync(schemaFile, roleSdl(role));
      const files = await generate({
        schema: schemaFile,
        documents: operationsOf(role),
        generates: { [join(out, role) + '/']: { preset: 'client' } },
        silent: true,
      }, false);
      const types = files.find((f) => f.filename.endsWith('graphql.ts'));
      assert.ok(types, `${role}: codegen wrote its types`);
      for (const file of operationsOf(role)) {
        for (const definition of parse(readFileSync(file, 'utf8')).definitions) {
          assert.ok(types.content.includes(`${definition.name.value}Document`), `${role}: ${definition.name.value} was generated`);
        }
      }
    }
    // And the whole schema takes every app's operations at once.
    const all = ROLES.flatMap(operationsOf);
    await generate({ schema: fullSchemaFile, documents: all, generates: { [join(out, 'all') + '/']: { preset: 'client' } }, silent: true }, false);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('an operation a role may not call does not validate against that role\'s schema', () => {
  const cases = [
    ['village_assistant', 'auditor'],
    ['auditor', 'village_assistant'],
    ['dashboard', 'village_assistant'],
    ['anonymous', 'resident'],
    ['integrator', 'admin'],
  ];
  for (const [role, foreign] of cases) {
    const schema = buildSchema(roleSdl(role));
    const failing = operationsOf(foreign)
      .flatMap((file) => parse(readFileSync(file, 'utf8')).definitions)
      .filter((definition) => validate(schema, { kind: 'Document', definitions: [definition] }).length > 0);
    assert.ok(failing.length > 0, `some operation of ${foreign} fails against ${role}'s schema`);
  }
});
