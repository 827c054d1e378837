/**
 * The runner on an Auth0 Actions trigger's event, with the action in its own child process (ActionProcess,
 * as locally): the action gets the whole event with its own secrets, its `api` calls are recorded in the
 * execution with secret values redacted, and the run succeeds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ActionDeployment, ExecutionRecord } from '../../lambdas/actions/model';
import type { ExecutionWriter, RunClaim } from '../../lambdas/actions/ports';
import { type BusEvent, runActionEvent, UnexpectedEventError } from '../../lambdas/actions/runner';
import { assembleActionBundle } from '../../lambdas/actions/runtime/bundle';
import { ActionProcess } from '../../lambdas/actions/runtime/local-process';

const API_KEY = 'action-key-3f9b2c71';
const TENANT_SECRET = 'tenant-secret-never-published';

const POST_LOGIN_ACTION = `
exports.onExecutePostLogin = async (event, api) => {
  console.log('secrets', Object.keys(event.secrets).join(','), 'user', event.user.user_id, 'keys', Object.keys(event).sort().join(','));
  if (event.request.geoip.countryCode === 'KP') api.access.deny('blocked country ' + event.request.geoip.countryCode);
  api.idToken.setCustomClaim('https://example.com/checked-with', 'key ' + event.secrets.API_KEY);
};`;

/** Executions and run claims in memory. */
class MemoryExecutions implements ExecutionWriter {
  public readonly records: ExecutionRecord[] = [];
  private readonly claims = new Map<string, RunClaim>();

  public async claim(run: { versionId: string; eventId: string }): Promise<RunClaim> {
    const key = `${run.versionId}/${run.eventId}`;
    const found = this.claims.get(key);
    if (found) return found === 'claimed' ? 'in-flight' : found;
    this.claims.set(key, 'claimed');
    return 'claimed';
  }

  public async complete(run: { versionId: string; eventId: string }): Promise<void> {
    this.claims.set(`${run.versionId}/${run.eventId}`, 'done');
  }

  public async release(run: { versionId: string; eventId: string }): Promise<void> {
    this.claims.delete(`${run.versionId}/${run.eventId}`);
  }

  public async put(execution: ExecutionRecord): Promise<void> {
    this.records.push(execution);
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const directory = mkdtempSync(join(tmpdir(), 'action-runner-test-'));
const processes: ActionProcess[] = [];

afterAll(async () => {
  await Promise.all(processes.map((action) => action.stop()));
  rmSync(directory, { recursive: true, force: true });
});

async function startAction(code: string): Promise<ActionProcess> {
  const bundlePath = join(directory, `bundle-${processes.length}.js`);
  writeFileSync(bundlePath, assembleActionBundle({ action: { code }, modules: [] }).content);
  const action = await ActionProcess.start({
    bundlePath,
    secrets: { API_KEY },
    moduleSecrets: {},
    onEmit: async () => undefined,
  });
  processes.push(action);
  return action;
}

const deployment: ActionDeployment = {
  actionId: 'action-1',
  actionName: 'deny-blocked-countries',
  versionId: 'version-1',
  versionNumber: 1,
  bundle: { bucket: 'b', key: 'k', sha256: '0'.repeat(64), bytes: 1 },
  triggers: [{ id: 'post-login', version: 'v3' }],
  moduleSecretSets: [],
  timeoutMs: 2000,
};

function postLoginEvent(countryCode: string): BusEvent {
  return {
    id: `event-${countryCode}`,
    source: 'auth0.logs',
    'detail-type': 'Auth0 action: post-login',
    detail: {
      user: { user_id: 'auth0|42', email: 'jane@example.com' },
      request: { ip: '203.0.113.7', geoip: { countryCode } },
      transaction: { id: 'tx-1' },
      // Never on the bus (the ingest strips it); if it were, the action would still not see it.
      secrets: { TENANT: TENANT_SECRET },
    },
  };
}

describe('runActionEvent on a post-login event, in a child process', () => {
  it('succeeds, and records api.access.deny and api.idToken.setCustomClaim with the secret redacted', async () => {
    // GIVEN a post-login action with a secret of its own, running in its child process
    const action = await startAction(POST_LOGIN_ACTION);
    const executions = new MemoryExecutions();

    // WHEN a post-login event from a blocked country reaches it
    const outcome = await runActionEvent(deployment, postLoginEvent('KP'), {
      executions,
      execute: ({ event, ...options }) => action.run(event, options),
      logger: silent,
    });

    // THEN the run succeeds: the calls could not change a login that is over, so they are recorded
    expect(outcome.kind).toBe('ran');
    const [execution] = executions.records;
    expect(outcome).toEqual({ kind: 'ran', execution });
    expect(execution).toMatchObject({
      triggerId: 'post-login',
      eventId: 'event-KP',
      status: 'succeeded',
      recorded: [
        { method: 'api.access.deny', args: ['blocked country KP'] },
        {
          method: 'api.idToken.setCustomClaim',
          args: ['https://example.com/checked-with', 'key [REDACTED]'],
        },
      ],
    });
    expect(execution).not.toHaveProperty('recordedOmitted');
    // AND the action saw the whole event, with its own secrets as event.secrets and not the detail's
    expect(execution?.logs).toEqual(['secrets API_KEY user auth0|42 keys request,secrets,transaction,user']);
    expect(JSON.stringify(execution)).not.toContain(API_KEY);
    expect(JSON.stringify(execution)).not.toContain(TENANT_SECRET);
  });

  it('records only the calls the action made', async () => {
    const action = await startAction(POST_LOGIN_ACTION);
    const executions = new MemoryExecutions();

    await runActionEvent(deployment, postLoginEvent('NZ'), {
      executions,
      execute: ({ event, ...options }) => action.run(event, options),
      logger: silent,
    });

    expect(executions.records[0]?.recorded).toEqual([
      { method: 'api.idToken.setCustomClaim', args: ['https://example.com/checked-with', 'key [REDACTED]'] },
    ]);
  });

  it('refuses an event of a trigger the version is not written for', async () => {
    const executions = new MemoryExecutions();
    const event = { ...postLoginEvent('KP'), 'detail-type': 'Auth0 action: credentials-exchange' };
    await expect(
      runActionEvent(deployment, event, {
        executions,
        execute: () => Promise.reject(new Error('not expected')),
        logger: silent,
      }),
    ).rejects.toThrow(UnexpectedEventError);
    expect(executions.records).toEqual([]);
  });
});
