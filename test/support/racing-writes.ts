import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';

/**
 * Round after round, 20 conditional increments of one counter race from the same value: DynamoDB applies
 * exactly one of them, and the counter goes up by one. An emulator that checks a condition and writes in two
 * steps lets two through.
 */
export async function expectRacingIncrementsAppliedOnce(
  documents: DynamoDBDocumentClient,
  table: string,
  rounds: number,
): Promise<void> {
  const key = { log_id: 'counter' };
  const increment = async (seen: number): Promise<boolean> => {
    try {
      await documents.send(
        new UpdateCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET n = :next',
          ConditionExpression: 'attribute_not_exists(n) OR n = :seen',
          ExpressionAttributeValues: { ':next': seen + 1, ':seen': seen },
        }),
      );
      return true;
    } catch {
      return false;
    }
  };
  const counter = async () => (await documents.send(new GetCommand({ TableName: table, Key: key }))).Item?.n;
  for (let round = 0; round < rounds; round++) {
    const before = Number((await counter()) ?? 0);
    const won = (await Promise.all(Array.from({ length: 20 }, () => increment(before)))).filter(Boolean);
    expect(won).toHaveLength(1);
    expect(Number(await counter())).toBe(before + 1);
  }
}
