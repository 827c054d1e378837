import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { DynamoDbModuleStore } from '../../../lambdas/modules/adapters/dynamodb-store';
import { SecretsManagerModuleSecrets } from '../../../lambdas/modules/adapters/secrets-manager-secrets';
import { MODULES_ENVIRONMENT } from '../../../lambdas/modules/config';
import type { FunctionUrlHandler } from '../../../local/function-url';
import { defaultModulesNames, provisionModulesLocal } from '../../../local/modules';
import { clientConfig } from '../../../local/provision';
import { startSerializingProxy } from '../../../local/serializing-proxy';
import { createLocalServer, listen } from '../../../local/server';
import { emulator, uniqueName, useEmulatorEnvironment } from '../../support/aws';

export interface ManagementServer {
  readonly url: string;
  /** The bearer token the local server requires on `/api/v2/…`. */
  readonly managementToken: string;
  readonly env: Record<string, string>;
  /** The serializing proxy in front of moto's DynamoDB. */
  readonly dynamoDbEndpoint: string;
  readonly handler: FunctionUrlHandler;
  close(): Promise<void>;
}

/**
 * The real management handler on moto, behind the local Function URL emulation, on a free loopback port.
 * Call once per test file: the handler reads its environment when first imported.
 */
export async function startManagementServer(env: Record<string, string> = {}): Promise<ManagementServer> {
  const aws = useEmulatorEnvironment();
  const provisioned = await provisionModulesLocal(aws, defaultModulesNames(uniqueName('modtest')));
  // moto's DynamoDB is not atomic under concurrent requests; DynamoDB is (see startSerializingProxy).
  const dynamoDb = await startSerializingProxy(aws.endpoint);
  Object.assign(
    process.env,
    provisioned,
    { POWERTOOLS_METRICS_DISABLED: 'true', AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.endpoint },
    env,
  );
  const { handler } = await import('../../../lambdas/modules/handler');
  const management = handler as unknown as FunctionUrlHandler;
  const ingest: FunctionUrlHandler = async () =>
    ({ statusCode: 404, body: 'no ingest in this test' }) as APIGatewayProxyResultV2;
  const managementToken = randomBytes(18).toString('base64url');
  const server: Server = createLocalServer({
    ingest,
    management: { handler: management, token: managementToken },
  });
  const port = await listen(server, 0);
  return {
    url: `http://127.0.0.1:${port}`,
    managementToken,
    env: { ...provisioned },
    dynamoDbEndpoint: dynamoDb.endpoint,
    handler: management,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dynamoDb.close();
    },
  };
}

export interface FetchedResponse {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  readonly body: any;
  readonly text: string;
}

/** fetch with a JSON body and the management token, recording every response text for the secret-leak scan. */
export function jsonClient(server: Pick<ManagementServer, 'url' | 'managementToken'>, recorded: string[]) {
  return async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<FetchedResponse> => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.managementToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    recorded.push(text);
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  };
}

/** The real store over the server's table, for inspecting what the handler wrote. */
export function storeOf(server: ManagementServer): DynamoDbModuleStore {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient(clientConfig({ ...emulator(), endpoint: server.dynamoDbEndpoint })),
  );
  return new DynamoDbModuleStore(client, { tableName: server.env[MODULES_ENVIRONMENT.tableName] as string });
}

/** The real secret store over the server's prefix: the runner's view of module secrets. */
export function secretsOf(server: ManagementServer): SecretsManagerModuleSecrets {
  return new SecretsManagerModuleSecrets(new SecretsManagerClient(clientConfig(emulator())), {
    prefix: server.env[MODULES_ENVIRONMENT.secretsPrefix] as string,
  });
}

/** The bytes of a version's artifact in S3. */
export async function artifactOf(server: ManagementServer, moduleId: string, versionId: string) {
  const version = await storeOf(server).getVersion(moduleId, versionId);
  if (!version) throw new Error(`no version ${versionId}`);
  const s3 = new S3Client({ ...clientConfig(emulator()), forcePathStyle: true });
  const object = await s3.send(
    new GetObjectCommand({ Bucket: version.artifact.bucket, Key: version.artifact.key }),
  );
  return { version, text: (await object.Body?.transformToString()) ?? '' };
}
