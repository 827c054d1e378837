/** The 100-module limit, on a table of its own, through the real handler on moto. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapWithConcurrency } from '../../lambdas/shared/concurrency';
import { captureOutput } from './support/capture';
import { jsonClient, type ManagementServer, startManagementServer } from './support/server';

const MODULES = '/api/v2/actions/modules';

describe('the 100-module limit', () => {
  let server: ManagementServer;
  let call: ReturnType<typeof jsonClient>;
  let output: ReturnType<typeof captureOutput>;

  beforeAll(async () => {
    output = captureOutput();
    server = await startManagementServer({ POWERTOOLS_LOG_LEVEL: 'WARN' });
    call = jsonClient(server, []);
  });

  afterAll(async () => {
    await server?.close();
    output?.restore();
  });

  it('creates the 100th module, refuses the 101st even under concurrency, and frees a slot on delete', async () => {
    const first = await mapWithConcurrency(
      Array.from({ length: 98 }, (_, i) => i),
      8,
      (i) => call('POST', MODULES, { name: `module-${i}`, code: '' }),
    );

    // Three creates race for the last two slots.
    const racing = await Promise.all(
      ['last-a', 'last-b', 'last-c'].map((name) => call('POST', MODULES, { name, code: '' })),
    );
    const list = await call('GET', MODULES);
    const page = await call('GET', `${MODULES}?page=2&per_page=40`);
    const refused = racing.find(({ status }) => status !== 201);
    await call('DELETE', `${MODULES}/${first[0]?.body.id}`);
    const afterDelete = await call('POST', MODULES, { name: 'after-delete', code: '' });

    expect(first.every(({ status }) => status === 201)).toBe(true);
    expect(racing.filter(({ status }) => status === 201)).toHaveLength(2);
    expect(refused?.status).toBe(400);
    expect(refused?.body).toMatchObject({ errorCode: 'too_many_modules' });
    expect(refused?.body.message).toContain('limit: 100 modules');
    expect(list.body.total).toBe(100);
    expect(list.body.modules).toHaveLength(100);
    expect(page.body).toMatchObject({ total: 100, page: 2, per_page: 40 });
    expect(page.body.modules).toHaveLength(20);
    expect(afterDelete.status).toBe(201);
  }, 60_000);
});
