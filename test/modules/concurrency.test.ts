/** Concurrent requests through the real handler, on moto, over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopEsbuild } from '../../lambdas/modules/adapters/esbuild-builder';
import { captureOutput } from './support/capture';
import { jsonClient, type ManagementServer, startManagementServer } from './support/server';

const MODULES = '/api/v2/actions/modules';
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('concurrent management requests', () => {
  let server: ManagementServer;
  let call: ReturnType<typeof jsonClient>;
  let output: ReturnType<typeof captureOutput>;
  /** Printed after the output capture ends. */
  const report: string[] = [];

  beforeAll(async () => {
    output = captureOutput();
    server = await startManagementServer({ POWERTOOLS_LOG_LEVEL: 'WARN' });
    call = jsonClient(server, []);
    // Start esbuild's service before the races: its first start costs seconds of CPU.
    const warm = await call('POST', MODULES, { name: 'warm-up', code: '', publish: true });
    expect(warm.status).toBe(201);
  });

  afterAll(async () => {
    await server?.close();
    await stopEsbuild();
    output?.restore();
    // Through console, once restored: vitest then names the file it comes from.
    if (report.length > 0) console.info(report.join('').trimEnd());
  });

  it('creates exactly one module when 10 creates of one name race', async () => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call('POST', MODULES, { name: 'racer', code: `// ${i}` })),
    );
    const list = await call('GET', MODULES);

    expect(responses.filter(({ status }) => status === 201)).toHaveLength(1);
    expect(responses.filter(({ status }) => status === 409)).toHaveLength(9);
    expect(list.body.modules.filter((m: { name: string }) => m.name === 'racer')).toHaveLength(1);
  });

  it('numbers 20 concurrent publishes 1..20 with no duplicate, no gap and no lost draft', async () => {
    const created = await call('POST', MODULES, { name: 'busy', code: '// start' });
    const id = created.body.id as string;
    const attempts: number[] = [];

    // Each worker saves its own draft and publishes exactly that draft (If-Match), retrying on 409/412.
    const numbers = await Promise.all(
      Array.from({ length: 20 }, async (_, worker) => {
        const code = `module.exports = { worker: ${worker} };`;
        for (let attempt = 1; attempt <= 40; attempt++) {
          attempts[worker] = attempt;
          const saved = await call('PATCH', `${MODULES}/${id}`, { code });
          if (saved.status === 200) {
            const published = await call('POST', `${MODULES}/${id}/versions`, undefined, {
              'If-Match': saved.headers.get('etag') as string,
            });
            if (published.status === 200) {
              expect(published.body.code).toBe(code);
              return published.body.version_number as number;
            }
            expect([409, 412]).toContain(published.status);
          } else {
            expect(saved.status).toBe(409);
          }
          // Full-jitter exponential backoff: a publish needs a quiet moment between two saves to win.
          await pause(Math.random() * Math.min(1500, 50 * 2 ** attempt));
        }
        throw new Error(`worker ${worker} did not publish in 40 attempts`);
      }),
    );
    const history = await call('GET', `${MODULES}/${id}/versions?per_page=50`);
    const codes = history.body.versions.map((v: { code: string }) => v.code);

    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(history.body.total).toBe(20);
    expect(history.body.versions.map((v: { version_number: number }) => v.version_number)).toEqual(
      Array.from({ length: 20 }, (_, i) => 20 - i),
    );
    for (let worker = 0; worker < 20; worker++) {
      expect(codes.filter((code: string) => code === `module.exports = { worker: ${worker} };`)).toHaveLength(
        1,
      );
    }
    report.push(`  (20 workers needed ${attempts.reduce((a, b) => a + b, 0)} save+publish attempts)\n`);
  }, 90_000);

  it('publishes one unchanged draft once when 20 publishes of it race', async () => {
    const created = await call('POST', MODULES, { name: 'same-draft', code: 'module.exports = 1;' });
    const id = created.body.id as string;

    const responses = await Promise.all(
      Array.from({ length: 20 }, () => call('POST', `${MODULES}/${id}/versions`)),
    );
    const history = await call('GET', `${MODULES}/${id}/versions`);

    expect(responses.filter(({ status }) => status === 200)).toHaveLength(1);
    expect(responses.filter(({ status }) => status === 409)).toHaveLength(19);
    expect(history.body.total).toBe(1);
  });
});
