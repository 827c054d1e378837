/**
 * The cold-start floor (bench/cold-start.ts): the least a Lambda function that puts an event on a bus can do,
 * with the project's EventBridge client and nothing else. The ingest's cold start is measured against this one,
 * bundled the same way.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { eventBridge } from '../lambdas/shared/clients/eventbridge';

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  // The first record of the batch, as the ingest would publish it.
  const published = await putOne((JSON.parse(event.body ?? '[{}]') as unknown[])[0]);
  return { statusCode: 200, body: JSON.stringify({ received: 1, published }) };
};

/** Puts `detail` on the bus as an `Auth0 log` event; resolves with how many events EventBridge accepted. */
export async function putOne(detail: unknown): Promise<number> {
  const output = await eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: process.env.BUS_NAME,
          Source: 'auth0.logs',
          DetailType: 'Auth0 log',
          Detail: JSON.stringify(detail),
        },
      ],
    }),
  );
  return (output.Entries ?? []).filter((entry) => entry.EventId).length;
}
