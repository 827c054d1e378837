/**
 * `a0bridge replay` in-process against the real management handler on moto, with the bus's archive as npm
 * start creates it: the CLI starts the replay, follows it to COMPLETED, and the route's subscriber receives
 * the event again with a `replay-name`. moto replays synchronously and ignores the window and FilterArns, so
 * which rules and which minutes are replayed is tested against StartReplay's input (replay-core.test.ts).
 */
import { DescribeArchiveCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig } from '../../local/provision';
import { drain } from '../support/queues';
import { type OperationsStack, startOperationsStack } from './support/stack';

let stack: OperationsStack;

beforeAll(async () => {
  stack = await startOperationsStack();
});

afterAll(async () => {
  await stack?.close();
});

async function archivedEvents(): Promise<number> {
  const eventBridge = new EventBridgeClient(clientConfig(stack.aws));
  const archive = await eventBridge.send(
    new DescribeArchiveCommand({ ArchiveName: stack.archive.archiveArn.split('/').at(-1) }),
  );
  eventBridge.destroy();
  return archive.EventCount ?? 0;
}

describe('a0bridge replay', () => {
  it('replays a window to the routes that take a code, follows it to COMPLETED, and the subscriber sees it again', async () => {
    // GIVEN a failed login published, routed and consumed
    const logId = '90020261122000000000000000000000000000000000000000replay1';
    const posted = await stack.post([
      { log_id: logId, data: { type: 'f', date: new Date().toISOString(), description: 'Wrong password' } },
    ]);
    expect(posted.body).toMatchObject({ published: 1 });
    expect(await drain(stack.sqs, stack.routeQueue('failed-logins'), 1)).toHaveLength(1);
    expect(await archivedEvents()).toBeGreaterThanOrEqual(1);

    // WHEN the last hour is replayed for code f
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() - 1000).toISOString();
    const run = await stack.a0bridge([
      'replay',
      '--from',
      from,
      '--to',
      to,
      '--codes',
      'f',
      '--poll-seconds',
      '0.2',
    ]);

    // THEN the CLI names the route it replays to and why, follows the replay to the end, and exits 0
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Replay \S+-replay-\d{8}T\d{6}Z-[0-9a-f]{6} /);
    expect(run.stdout).toMatch(/failed-logins\s+takes code f \(category auth\.login\.fail\)/);
    expect(run.stdout).toContain('every event of its own from the window');
    expect(run.stdout).toMatch(/COMPLETED 100%/);
    // AND the route's subscriber receives the event again, marked as replayed
    const replayed = await drain(stack.sqs, stack.routeQueue('failed-logins'), 1);
    const event = JSON.parse(replayed[0]?.Body ?? '{}');
    expect(event.detail.log_id).toBe(logId);
    expect(event['replay-name']).toMatch(/-replay-/);
  });

  it('shows a replay again by name, as JSON too', async () => {
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() - 1000).toISOString();
    const started = JSON.parse(
      (await stack.a0bridge(['replay', '--from', from, '--to', to, '--no-wait', '--json'])).stdout,
    );
    expect(started.replay).toMatchObject({ all_rules: true, routes: [] });

    const text = await stack.a0bridge(['replay', 'status', started.replay.name]);
    const json = JSON.parse(
      (await stack.a0bridge(['replay', 'status', started.replay.name, '--json'])).stdout,
    );

    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/State:\s+COMPLETED/);
    expect(json).toMatchObject({ name: started.replay.name, state: 'COMPLETED', progress: 1, done: true });
  });

  it('refuses what EventBridge would refuse, saying what to send instead', async () => {
    const future = new Date(Date.now() + 3600_000).toISOString();
    const now = new Date().toISOString();
    const cases = [
      [['replay', '--from', now, '--to', future], /400 \(invalid_window\).*is in the future/],
      [
        ['replay', '--from', '2026-03-01T08:00:00', '--to', now],
        /400 \(invalid_window\).*ISO 8601 time with a zone/,
      ],
      [
        ['replay', '--from', now, '--to', now, '--codes', 'fpp'],
        /400 \(invalid_selection\)|400 \(invalid_window\)/,
      ],
      [['replay', '--to', now], /--from and --to are required/],
      [['replay', 'status', 'not-ours'], /404 \(replay_not_found\)/],
    ] as const;
    for (const [args, message] of cases) {
      const run = await stack.a0bridge([...args]);
      expect(run.code, args.join(' ')).not.toBe(0);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
    const earlier = new Date(Date.now() - 3600_000).toISOString();
    const unknown = await stack.a0bridge(['replay', '--from', earlier, '--to', now, '--codes', 'fpp']);
    expect(unknown.stderr).toMatch(/unknown log type code "fpp"; did you mean/);
  });
});
