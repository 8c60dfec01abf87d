// Starts the hub as `cunhub demo` does (simulators, hub, background sync) on a small
// population and a fresh database, and hands out what its ready file says.

import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The `cunhub` binary: `CUNHUB_BIN`, else the debug build in the cargo target folder. */
export function cunhubBinary() {
  if (process.env.CUNHUB_BIN) return process.env.CUNHUB_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? new URL('../../../target', import.meta.url).pathname;
  return join(target, 'debug', 'cunhub');
}

/**
 * Starts a demo hub. `options.scope` (default: one township of 农安县), `options.args`
 * (more demo arguments) and `options.env` (settings as `CUNHUB_*` variables).
 */
export async function startHub(options = {}) {
  const binary = cunhubBinary();
  if (!existsSync(binary)) throw new Error(`no cunhub binary at ${binary}: build it or set CUNHUB_BIN`);
  const dir = await mkdtemp(join(tmpdir(), 'cunhub-clients-'));
  const readyFile = join(dir, 'ready.json');
  const args = [
    'demo',
    '--scope', options.scope ?? '220122101',
    '--people-per-village', String(options.peoplePerVillage ?? 40),
    '--no-walkthrough',
    '--ready-file', readyFile,
    ...(options.args ?? []),
  ];
  const env = {
    ...process.env,
    CUNHUB_BIND: '127.0.0.1:0',
    CUNHUB_METRICS_BIND: 'off',
    CUNHUB_DATABASE_URL: `sqlite://${join(dir, 'hub.db')}?mode=rwc`,
    ...(options.env ?? {}),
  };
  // The suite's own variable is no setting: the hub refuses unknown CUNHUB_* variables.
  delete env.CUNHUB_BIN;
  const child = spawn(binary, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr = (stderr + chunk).slice(-8000); });
  const exited = new Promise((resolve) => child.once('exit', resolve));

  const deadline = Date.now() + 120_000;
  while (!existsSync(readyFile)) {
    if (child.exitCode !== null) throw new Error(`cunhub demo exited (${child.exitCode}):\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`cunhub demo was not ready within 120 s:\n${stderr}`);
    }
    await sleep(100);
  }
  const ready = JSON.parse(await readFile(readyFile, 'utf8'));
  return {
    ...ready,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const killed = await Promise.race([exited, sleep(10_000).then(() => 'timeout')]);
        if (killed === 'timeout') child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A POST to the hub's /graphql as `role` (or anonymous), with a declared purpose. */
export async function graphql(hub, query, { variables, role, purpose = 'SERVICE_HANDLING', headers = {} } = {}) {
  const response = await fetch(hub.graphql, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(role ? { authorization: `Bearer ${hub.tokens[role]}`, 'x-purpose': purpose } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: await response.json() };
}

/** Waits until the background sync has indexed the sample resident. */
export async function waitForIndex(hub, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  const query = 'query($n: String!) { residentByIdNumber(idNumber: $n) { id } }';
  for (;;) {
    const { body } = await graphql(hub, query, { variables: { n: hub.sampleIdNumber }, role: 'village_assistant' });
    const id = body.data?.residentByIdNumber?.id;
    if (id) return id;
    if (Date.now() > deadline) throw new Error(`the sample resident was not indexed: ${JSON.stringify(body)}`);
    await sleep(250);
  }
}

/** Sets a department simulator's fault knobs (`{ outage: 'unavailable' }`, …). */
export async function setKnobs(hub, department, knobs) {
  const response = await fetch(`${hub.departments[department]}/__sim/knobs`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(knobs),
  });
  if (!response.ok) throw new Error(`knobs of ${department}: HTTP ${response.status}`);
}
