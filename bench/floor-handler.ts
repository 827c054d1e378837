/**
 * The cold-start floor (bench/cold-start.ts): the least a Lambda function that puts an event on a bus can do,
 * with the project's EventBridge client and nothing else. The ingest's cold start is measured against this one,
 * bundled the same way.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { eventBridge } from '../lambdas/shared/clients/eventbridge';

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  const output = await eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: process.env.BUS_NAME,
          Source: 'auth0.logs',
          DetailType: 'Auth0 log',
          // The first record of the batch, as the ingest would publish it.
          Detail: JSON.stringify((JSON.parse(event.body ?? '[{}]') as unknown[])[0]),
        },
      ],
    }),
  );
  const published = (output.Entries ?? []).filter((entry) => entry.EventId).length;
  return { statusCode: 200, body: JSON.stringify({ received: 1, published }) };
};
