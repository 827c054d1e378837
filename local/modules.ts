/**
 * Local mode for the Action Modules registry: creates its table and artifact bucket on an emulator (reusing
 * them when they exist) and returns the environment the management handler reads at load.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { MODULES_TABLE_KEYS } from '../lambdas/modules/adapters/dynamodb-store';
import { modulesEnvironment } from '../lambdas/modules/config';
import { type AwsTarget, clientConfig, createTable } from './provision';

export interface LocalModulesNames {
  readonly tableName: string;
  readonly artifactsBucket: string;
  readonly secretsPrefix: string;
}

/** Names derived from the local bus name, like the ingest resources' names. */
export function defaultModulesNames(busName: string): LocalModulesNames {
  return {
    tableName: `${busName}-modules`,
    artifactsBucket: `${busName}-module-artifacts`.toLowerCase().slice(0, 63),
    secretsPrefix: busName,
  };
}

/** The environment `lambdas/modules/handler.ts` needs, besides the emulator's own (`emulatorEnvironment`). */
export type ModulesEnvironment = Record<string, string>;

/** Creates the registry's table and bucket unless they exist; idempotent. */
export async function provisionModulesLocal(
  aws: AwsTarget,
  names: LocalModulesNames,
): Promise<ModulesEnvironment> {
  const config = clientConfig(aws);
  const dynamoDb = new DynamoDBClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  try {
    await createTable(dynamoDb, names.tableName, {
      keys: [MODULES_TABLE_KEYS.partitionKey, MODULES_TABLE_KEYS.sortKey],
    });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: names.artifactsBucket }));
    } catch (error) {
      if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
    }
  } finally {
    dynamoDb.destroy();
    s3.destroy();
  }
  return modulesEnvironment({
    tableName: names.tableName,
    artifactsBucket: names.artifactsBucket,
    secretsPrefix: names.secretsPrefix,
  });
}
