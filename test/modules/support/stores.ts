import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbModuleStore } from '../../../lambdas/modules/adapters/dynamodb-store';
import { SecretsManagerModuleSecrets } from '../../../lambdas/modules/adapters/secrets-manager-secrets';
import { draftFingerprint } from '../../../lambdas/modules/ids';
import type { ModuleRecord } from '../../../lambdas/modules/model';
import { defaultModulesNames, provisionModulesLocal } from '../../../local/modules';
import { clientConfig } from '../../../local/provision';
import { startSerializingProxy } from '../../../local/serializing-proxy';
import { emulator, uniqueName } from '../../support/aws';

/** A fresh registry table and secret prefix on moto, with the real adapters over it. */
export async function motoStores() {
  const aws = emulator();
  const names = defaultModulesNames(uniqueName('store'));
  await provisionModulesLocal(aws, names);
  const proxy = await startSerializingProxy(aws.endpoint);
  const documentClient = DynamoDBDocumentClient.from(
    new DynamoDBClient(clientConfig({ ...aws, endpoint: proxy.endpoint })),
    {
      marshallOptions: { removeUndefinedValues: true },
    },
  );
  const secretsClient = new SecretsManagerClient(clientConfig(aws));
  return {
    names,
    store: new DynamoDbModuleStore(documentClient, { tableName: names.tableName }),
    secrets: new SecretsManagerModuleSecrets(secretsClient, { prefix: names.secretsPrefix }),
    secretsClient,
    destroy: async () => {
      documentClient.destroy();
      secretsClient.destroy();
      await proxy.close();
    },
  };
}

export function moduleRecord(id: string, name: string, overrides: Partial<ModuleRecord> = {}): ModuleRecord {
  const now = new Date().toISOString();
  return {
    id,
    name,
    code: 'module.exports = {};',
    dependencies: [],
    secrets: [],
    draftRevision: 1,
    draftFingerprint: draftFingerprint('module.exports = {};', [], undefined),
    versionCount: 0,
    versionSecretSets: [],
    actionsUsingModuleTotal: 0,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}
