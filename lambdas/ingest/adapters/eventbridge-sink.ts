import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventEntry, EventSink, PutOutcome } from '../ports';

export class EventBridgeSink implements EventSink {
  public constructor(private readonly client: EventBridgeClient) {}

  public async putEvents(entries: readonly EventEntry[]): Promise<PutOutcome[]> {
    const output = await this.client.send(
      new PutEventsCommand({ Entries: entries.map((entry) => ({ ...entry })) }),
    );
    return (output.Entries ?? []).map((result): PutOutcome => {
      if (result.EventId && !result.ErrorCode) return { ok: true, eventId: result.EventId };
      return { ok: false, errorCode: result.ErrorCode ?? 'Unknown', errorMessage: result.ErrorMessage ?? '' };
    });
  }
}
