/** Auth0's limits at their real numbers, at the boundary and one past it, through the real handler on moto. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopEsbuild } from '../../lambdas/modules/adapters/esbuild-builder';
import { captureOutput, findLeaks } from './support/capture';
import { jsonClient, type ManagementServer, startManagementServer } from './support/server';

const MODULES = '/api/v2/actions/modules';

describe('limits, through the handler on moto', () => {
  let server: ManagementServer;
  let call: ReturnType<typeof jsonClient>;
  let output: ReturnType<typeof captureOutput>;
  const responses: string[] = [];
  const values: string[] = [];
  let id: string;

  /** A secret value that is easy to find if it ever leaks. */
  const secretValue = (tag: string, length: number) => {
    const value = `${tag}:`.padEnd(length, `${tag}#`);
    values.push(value);
    return value;
  };

  beforeAll(async () => {
    output = captureOutput();
    server = await startManagementServer({ POWERTOOLS_LOG_LEVEL: 'INFO' });
    call = jsonClient(server, responses);
    id = (await call('POST', MODULES, { name: 'limited', code: '' })).body.id;
  });

  afterAll(async () => {
    await server?.close();
    await stopEsbuild();
    output?.restore();
  });

  it('takes code of 65,536 characters and refuses 65,537', async () => {
    const atLimit = await call('PATCH', `${MODULES}/${id}`, { code: `//${'x'.repeat(65_534)}` });
    const past = await call('PATCH', `${MODULES}/${id}`, { code: `//${'x'.repeat(65_535)}` });

    expect(atLimit.status).toBe(200);
    expect(atLimit.body.code).toHaveLength(65_536);
    expect(past.status).toBe(400);
    expect(past.body).toMatchObject({ errorCode: 'code_too_long' });
    expect(past.body.message).toContain('at most 65536 characters');
  });

  it('takes a module name of 255 characters and refuses 256', async () => {
    const atLimit = await call('POST', MODULES, { name: 'n'.repeat(255), code: '' });
    const past = await call('POST', MODULES, { name: 'n'.repeat(256), code: '' });

    expect(atLimit.status).toBe(201);
    expect(past.status).toBe(400);
    expect(past.body.message).toContain('at most 255 characters');
  });

  it('takes a secret name of 128 characters and refuses 129', async () => {
    const atLimit = await call('PATCH', `${MODULES}/${id}`, {
      secrets: [{ name: 'S'.repeat(128), value: secretValue('name128', 10) }],
    });
    const past = await call('PATCH', `${MODULES}/${id}`, {
      secrets: [{ name: 'S'.repeat(129), value: secretValue('name129', 10) }],
    });

    expect(atLimit.status).toBe(200);
    expect(past.status).toBe(400);
    expect(past.body).toMatchObject({ errorCode: 'secret_name_too_long' });
    expect(past.body.message).toContain('at most 128 characters');
  });

  it('takes a secret value of 4,096 characters and refuses 4,097', async () => {
    const atLimit = await call('PATCH', `${MODULES}/${id}`, {
      secrets: [{ name: 'BIG', value: secretValue('v4096', 4096) }],
    });
    const past = await call('PATCH', `${MODULES}/${id}`, {
      secrets: [{ name: 'BIG', value: secretValue('v4097', 4097) }],
    });

    expect(atLimit.status).toBe(200);
    expect(past.status).toBe(400);
    expect(past.body).toMatchObject({ errorCode: 'secret_value_too_long' });
    expect(past.body.message).toContain('at most 4096 characters');
  });

  it('takes 30 secrets and refuses 31', async () => {
    const secrets = (count: number) =>
      Array.from({ length: count }, (_, i) => ({
        name: `SECRET_${i}`,
        value: secretValue(`s${count}-${i}`, 24),
      }));

    const atLimit = await call('PATCH', `${MODULES}/${id}`, { secrets: secrets(30) });
    const past = await call('PATCH', `${MODULES}/${id}`, { secrets: secrets(31) });

    expect(atLimit.status).toBe(200);
    expect(atLimit.body.secrets).toHaveLength(30);
    expect(past.status).toBe(400);
    expect(past.body).toMatchObject({ errorCode: 'too_many_secrets' });
    expect(past.body.message).toContain('at most 30 secrets');
  });

  it('refuses 11 dependencies before asking the registry', async () => {
    const dependencies = Array.from({ length: 11 }, (_, i) => ({ name: `package-${i}`, version: '1.0.0' }));

    const past = await call('PATCH', `${MODULES}/${id}`, { dependencies });

    expect(past.status).toBe(400);
    expect(past.body).toMatchObject({ errorCode: 'too_many_dependencies' });
    expect(past.body.message).toContain('at most 10 npm dependencies');
  });

  it('refuses, naming Secrets Manager’s 65,536 bytes, values that no longer fit beside a version’s', async () => {
    const fifteen = (tag: string) =>
      Array.from({ length: 15 }, (_, i) => ({ name: `K${i}`, value: secretValue(`${tag}${i}`, 4096) }));
    const module = (await call('POST', MODULES, { name: 'big-secrets', code: '' })).body.id;

    const first = await call('PATCH', `${MODULES}/${module}`, { secrets: fifteen('first') });
    const published = await call('POST', `${MODULES}/${module}/versions`);
    const second = await call('PATCH', `${MODULES}/${module}`, { secrets: fifteen('second') });

    expect(first.status).toBe(200);
    expect(published.status).toBe(200);
    expect(second.status).toBe(400);
    expect(second.body.errorCode).toBe('secrets_too_large');
    expect(second.body.message).toContain('limit: 65536 bytes');
  });

  it('publishes 50 versions and answers 412 for the 51st', async () => {
    const module = (await call('POST', MODULES, { name: 'fifty', code: '' })).body.id;
    const statuses: number[] = [];
    for (let n = 1; n <= 50; n++) {
      await call('PATCH', `${MODULES}/${module}`, { code: `module.exports = ${n};` });
      statuses.push((await call('POST', `${MODULES}/${module}/versions`)).status);
    }
    await call('PATCH', `${MODULES}/${module}`, { code: 'module.exports = 51;' });

    const past = await call('POST', `${MODULES}/${module}/versions`);
    const history = await call('GET', `${MODULES}/${module}/versions?per_page=100`);

    expect(statuses).toEqual(Array.from({ length: 50 }, () => 200));
    expect(past.status).toBe(412);
    expect(past.body).toMatchObject({
      statusCode: 412,
      error: 'Precondition Failed',
      errorCode: 'too_many_versions',
    });
    expect(past.body.message).toContain('limit: 50 versions per module');
    expect(history.body.total).toBe(50);
    expect(history.body.versions).toHaveLength(50);
  }, 60_000);

  it('never put one of the secret values in a response or a log line', () => {
    expect(values.length).toBeGreaterThan(60);
    expect(findLeaks([...responses, ...output.lines], values)).toEqual([]);
  });
});
