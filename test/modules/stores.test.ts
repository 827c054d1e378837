/** The DynamoDB and Secrets Manager adapters against moto_server, with real SDK clients. */
import { randomUUID } from 'node:crypto';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LeaseLostError,
  ModuleLimitError,
  ModuleNameTakenError,
  SecretsTooLargeError,
  VersionConflictError,
} from '../../lambdas/modules/errors';
import type { VersionRecord } from '../../lambdas/modules/model';
import { moduleRecord, motoStores } from './support/stores';

describe('DynamoDbModuleStore on moto', () => {
  let stores: Awaited<ReturnType<typeof motoStores>>;

  beforeAll(async () => {
    stores = await motoStores();
  });

  afterAll(async () => stores?.destroy());

  function version(moduleId: string, number: number, overrides: Partial<VersionRecord> = {}): VersionRecord {
    return {
      id: randomUUID(),
      moduleId,
      ownerId: moduleId,
      versionNumber: number,
      code: `module.exports = ${number};`,
      dependencies: [],
      secrets: [],
      fingerprint: `fp-${number}`,
      artifact: { bucket: 'b', key: `k${number}`, sha256: 'a'.repeat(64), bytes: 1 },
      createdAt: new Date().toISOString(),
      ...overrides,
    };
  }

  it('lets exactly one of 10 concurrent creates with one name win', async () => {
    const name = `same-${randomUUID().slice(0, 8)}`;

    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => stores.store.createModule(moduleRecord(randomUUID(), name), 1000)),
    );

    expect(results.filter(({ status }) => status === 'fulfilled')).toHaveLength(1);
    const reasons = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    expect(reasons).toHaveLength(9);
    expect(reasons.every((reason) => reason instanceof ModuleNameTakenError)).toBe(true);
    const listed = await stores.store.listModules({ offset: 0, limit: 1000 });
    expect(listed.items.filter((module) => module.name === name)).toHaveLength(1);
  });

  it('writes versions 1..20 exactly once when 20 writers race for each next number', async () => {
    const id = randomUUID();
    await stores.store.createModule(moduleRecord(id, `race-${id.slice(0, 8)}`), 1000);
    const written: number[] = [];

    // Each writer retries with what it reads until its own version is in, as publish callers do.
    await Promise.all(
      Array.from({ length: 20 }, async (_, writer) => {
        for (let attempt = 0; attempt < 200; attempt++) {
          const module = await stores.store.get(id);
          if (!module) throw new Error('module vanished');
          const next = module.versionCount + 1;
          try {
            await stores.store.createVersion(version(id, next, { code: `writer ${writer}` }), {
              draftRevision: module.draftRevision,
              versionCount: module.versionCount,
            });
            written.push(next);
            return;
          } catch (error) {
            if (!(error instanceof VersionConflictError)) throw error;
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 40));
          }
        }
        throw new Error(`writer ${writer} never got a number`);
      }),
    );

    const module = await stores.store.get(id);
    const versions = await stores.store.listVersions(id, module?.versionCount ?? 0, {
      offset: 0,
      limit: 100,
    });
    expect(written.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(module?.versionCount).toBe(20);
    expect(versions.map((v) => v.versionNumber)).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i));
    expect(new Set(versions.map((v) => v.code)).size).toBe(20);
  });

  it('refuses a version when the draft revision moved on', async () => {
    const id = randomUUID();
    await stores.store.createModule(moduleRecord(id, `rev-${id.slice(0, 8)}`), 1000);
    const lease = await stores.store.acquireLease(id, 'lease-1', Date.now(), Date.now() + 10_000);
    expect(lease.acquired).toBe(true);
    await stores.store.saveDraft(id, 'lease-1', {
      code: 'changed',
      dependencies: [],
      secrets: [],
      draftFingerprint: 'changed',
      updatedAt: new Date().toISOString(),
    });

    const stale = stores.store.createVersion(version(id, 1), { draftRevision: 1, versionCount: 0 });

    await expect(stale).rejects.toBeInstanceOf(VersionConflictError);
    expect((await stores.store.get(id))?.versionCount).toBe(0);
  });

  it('grants the draft lock to one holder at a time and refuses writes from a lost lease', async () => {
    const id = randomUUID();
    await stores.store.createModule(moduleRecord(id, `lock-${id.slice(0, 8)}`), 1000);
    const now = Date.now();

    const first = await stores.store.acquireLease(id, 'a', now, now + 10_000);
    const second = await stores.store.acquireLease(id, 'b', now, now + 10_000);
    const afterExpiry = await stores.store.acquireLease(id, 'c', now + 20_000, now + 30_000);
    const missing = await stores.store.acquireLease(randomUUID(), 'd', now, now + 10_000);
    const lost = stores.store.saveDraft(id, 'a', {
      code: 'x',
      dependencies: [],
      secrets: [],
      draftFingerprint: 'x',
      updatedAt: new Date().toISOString(),
    });

    expect(first.acquired).toBe(true);
    expect(second).toEqual({ acquired: false, heldUntil: now + 10_000 });
    expect(afterExpiry.acquired).toBe(true);
    expect(missing).toEqual({ acquired: false, missing: true });
    await expect(lost).rejects.toBeInstanceOf(LeaseLostError);
  });

  it('holds the module limit under concurrent creates', async () => {
    const fresh = await motoStores();
    try {
      await Promise.all(
        Array.from({ length: 3 }, (_, i) => fresh.store.createModule(moduleRecord(randomUUID(), `m${i}`), 5)),
      );

      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => fresh.store.createModule(moduleRecord(randomUUID(), `n${i}`), 5)),
      );

      expect(results.filter(({ status }) => status === 'fulfilled')).toHaveLength(2);
      expect(
        results.every((result) => result.status === 'fulfilled' || result.reason instanceof ModuleLimitError),
      ).toBe(true);
      expect((await fresh.store.listModules({ offset: 0, limit: 100 })).total).toBe(5);
    } finally {
      await fresh.destroy();
    }
  });
});

describe('SecretsManagerModuleSecrets on moto', () => {
  let stores: Awaited<ReturnType<typeof motoStores>>;

  beforeAll(async () => {
    stores = await motoStores();
  });

  afterAll(async () => stores?.destroy());

  it('keeps one secret per module, named under the prefix, with immutable sets', async () => {
    const moduleId = randomUUID();

    const first = await stores.secrets.writeSet(moduleId, undefined, [{ name: 'A', value: 'alpha-1' }], []);
    const second = await stores.secrets.writeSet(
      moduleId,
      first,
      [
        { name: 'A', keep: true },
        { name: 'B', value: 'beta-1' },
      ],
      [first as string],
    );
    const described = await stores.secretsClient.send(
      new DescribeSecretCommand({ SecretId: stores.secrets.secretName(moduleId) }),
    );

    expect(described.Name).toBe(`${stores.names.secretsPrefix}/modules/${moduleId}`);
    expect(await stores.secrets.readSet(moduleId, first as string)).toEqual({ A: 'alpha-1' });
    expect(await stores.secrets.readSet(moduleId, second as string)).toEqual({ A: 'alpha-1', B: 'beta-1' });
  });

  it('drops values no retained set uses', async () => {
    const moduleId = randomUUID();
    const kept = await stores.secrets.writeSet(moduleId, undefined, [{ name: 'A', value: 'kept-value' }], []);
    const dropped = await stores.secrets.writeSet(
      moduleId,
      kept,
      [{ name: 'A', value: 'dropped-value' }],
      [kept as string],
    );
    const latest = await stores.secrets.writeSet(
      moduleId,
      dropped,
      [{ name: 'A', value: 'latest-value' }],
      [kept as string],
    );

    await stores.secrets.prune(moduleId, [kept as string, latest as string]);
    const raw = await stores.secretsClient.send(
      new GetSecretValueCommand({ SecretId: stores.secrets.secretName(moduleId) }),
    );

    expect(raw.SecretString).toContain('kept-value');
    expect(raw.SecretString).toContain('latest-value');
    expect(raw.SecretString).not.toContain('dropped-value');
  });

  it('refuses, naming the limit, a secret larger than Secrets Manager holds (65,536 bytes)', async () => {
    const moduleId = randomUUID();
    const values = (tag: string) =>
      Array.from({ length: 15 }, (_, i) => ({ name: `S${i}`, value: tag.repeat(4096) }));
    const v1 = await stores.secrets.writeSet(moduleId, undefined, values('a'), []);

    const tooBig = stores.secrets.writeSet(moduleId, v1, values('b'), [v1 as string]);

    await expect(tooBig).rejects.toBeInstanceOf(SecretsTooLargeError);
    await expect(tooBig).rejects.toThrow('limit: 65536 bytes');
    expect(await stores.secrets.readSet(moduleId, v1 as string)).toMatchObject({ S0: 'a'.repeat(4096) });
  });
});
