/**
 * A reference for the cold-start bench (bench/cold-start.ts): the AWS calls the ingest's first request must
 * make, with the project's clients and nothing else: the token from Secrets Manager, a claim (a PartiQL
 * INSERT), the PutEvents, and the outcome item. What the ingest costs beyond this is its own code and its
 * libraries (middy, Powertools); what this costs beyond the floor is the calls themselves.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { BatchExecuteStatementCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { dynamoDb } from '../lambdas/shared/clients/dynamodb';
import { secretsManager } from '../lambdas/shared/clients/secrets-manager';
import { putOne } from './floor-handler';

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const secret = await secretsManager.send(
    new GetSecretValueCommand({ SecretId: process.env.TOKEN_SECRET_ID }),
  );
  if (!secret.SecretString) return { statusCode: 500, body: '{}' };
  const record = (JSON.parse(event.body ?? '[{}]') as Array<{ log_id: string }>)[0] as { log_id: string };
  const table = process.env.DEDUP_TABLE_NAME;
  await dynamoDb.send(
    new BatchExecuteStatementCommand({
      Statements: [{ Statement: `INSERT INTO "${table}" VALUE {'log_id': ?}`, Parameters: [record.log_id] }],
    }),
  );
  const published = await putOne(record);
  await dynamoDb.send(
    new PutCommand({
      TableName: table,
      Item: { log_id: 'lease:bench', published_ids: new Set([record.log_id]) },
    }),
  );
  return { statusCode: 200, body: JSON.stringify({ received: 1, published }) };
};
