/**
 * Per-event cost of the ingest core for each surface, one event per request (how Actions and Event Streams
 * deliver), against one log record per request: CPU only, every port an in-memory fake. Loops are bounded.
 * Part of `npm run bench`; alone: `npx tsx bench/surfaces.ts`.
 */
import { DEFAULT_INGEST_SETTINGS } from '../lambdas/ingest/config';
import { type IngestSettings, ingest } from '../lambdas/ingest/ingest';
import type { IngestRequest } from '../lambdas/ingest/receive';
import { sampleActionEvent } from '../test/support/action-events';
import { fakePorts } from '../test/support/ingest-fakes';
import type { Figure } from './report';

const TOKEN = 'bench-token';
/** The deployed defaults, with retries that do not wait: no retry happens with an accepting sink anyway. */
const SETTINGS: IngestSettings = {
  ...DEFAULT_INGEST_SETTINGS,
  busName: 'bench',
  publishMaxAttempts: 3,
  publishBaseDelayMs: 1,
  publishMaxDelayMs: 5,
};

type Body = (i: number) => { path: string; body: unknown };

const SURFACES: Record<string, Body> = {
  'log record (POST /)': (i) => ({
    path: '/',
    body: [
      {
        log_id: `bench-log-${i}`,
        data: {
          type: 's',
          date: '2026-12-03T10:00:00.000Z',
          client_id: 'abc123',
          client_name: 'My App',
          ip: '203.0.113.7',
          user_id: 'auth0|jane',
          user_name: 'jane@example.com',
          user_agent: 'Mozilla/5.0',
          details: { prompts: [], elapsedTime: 42 },
        },
      },
    ],
  }),
  'Actions event (POST /actions/post-login)': (i) => ({
    path: '/actions/post-login',
    body: sampleActionEvent('post-login', { id: `bench-action-${i}` }),
  }),
  'CloudEvent (POST /events)': (i) => ({
    path: '/events',
    body: {
      id: `evt_bench_${i}`,
      source: 'urn:auth0:example:users',
      specversion: '1.0',
      type: 'com.auth0.user.created',
      time: '2026-12-03T10:00:00.000Z',
      data: { object: { user_id: 'auth0|jane', email: 'jane@example.com', name: 'Jane' } },
    },
  }),
};

/** Mean microseconds of CPU per request over `count` requests, after `warmup` unmeasured ones. */
export async function microsecondsPerEvent(make: Body, count = 2000, warmup = 300): Promise<number> {
  const ports = fakePorts([TOKEN]);
  const request = (i: number): IngestRequest => {
    const { path, body } = make(i);
    return {
      method: 'POST',
      path,
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(body),
    };
  };
  for (let i = 0; i < warmup; i++) await ingest(request(-i - 1), ports, SETTINGS);
  const requests = Array.from({ length: count }, (_, i) => request(i));
  const started = process.cpuUsage();
  for (const each of requests) await ingest(each, ports, SETTINGS);
  const used = process.cpuUsage(started);
  return (used.user + used.system) / count;
}

export async function surfaceOverhead(): Promise<Array<{ surface: string; us: number; ratio: number }>> {
  const rows: Array<{ surface: string; us: number; ratio: number }> = [];
  let baseline = 0;
  for (const [surface, make] of Object.entries(SURFACES)) {
    const us = await microsecondsPerEvent(make);
    baseline ||= us;
    rows.push({ surface, us, ratio: us / baseline });
  }
  return rows;
}

/** The per-event CPU of an Actions event and a CloudEvent over a log record's (no goal: reported). */
export async function surfaceFigures(): Promise<Figure[]> {
  const [log, ...others] = await surfaceOverhead();
  return others.map(({ surface, us, ratio }) => ({
    goal: `8. Per event: ${surface.split(' (')[0]}`,
    measured: `${us.toFixed(0)} µs CPU per request vs ${log?.us.toFixed(0)} µs for one log record`,
    ratio,
    target: 'reported',
    met: true,
    details: { microseconds: us, logRecordMicroseconds: log?.us ?? Number.NaN },
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const { surface, us, ratio } of await surfaceOverhead()) {
    console.log(`${surface.padEnd(44)} ${us.toFixed(1).padStart(8)} µs CPU/event  ${ratio.toFixed(2)}×`);
  }
}
