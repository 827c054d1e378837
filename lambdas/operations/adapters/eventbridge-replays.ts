import {
  DescribeReplayCommand,
  type EventBridgeClient,
  ResourceNotFoundException,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import type { ArchiveReplays, ReplayDescription, ReplayRequest } from '../ports';

/** Replays of one archive onto the bus it archives. */
export class EventBridgeArchiveReplays implements ArchiveReplays {
  public constructor(
    private readonly client: EventBridgeClient,
    private readonly props: { readonly archiveArn: string; readonly busArn: string },
  ) {}

  public async start(request: ReplayRequest): Promise<{ readonly state: string }> {
    const output = await this.client.send(
      new StartReplayCommand({
        ReplayName: request.name,
        Description: request.description,
        EventSourceArn: this.props.archiveArn,
        EventStartTime: request.from,
        EventEndTime: request.to,
        Destination: {
          Arn: this.props.busArn,
          ...(request.filterArns ? { FilterArns: [...request.filterArns] } : {}),
        },
      }),
    );
    return { state: output.State ?? 'STARTING' };
  }

  public async describe(name: string): Promise<ReplayDescription | undefined> {
    try {
      const output = await this.client.send(new DescribeReplayCommand({ ReplayName: name }));
      return {
        name: output.ReplayName ?? name,
        state: output.State ?? 'UNKNOWN',
        ...(output.StateReason ? { stateReason: output.StateReason } : {}),
        ...(output.EventStartTime ? { eventStartTime: output.EventStartTime } : {}),
        ...(output.EventEndTime ? { eventEndTime: output.EventEndTime } : {}),
        ...(output.EventLastReplayedTime ? { eventLastReplayedTime: output.EventLastReplayedTime } : {}),
        ...(output.ReplayStartTime ? { replayStartTime: output.ReplayStartTime } : {}),
        ...(output.ReplayEndTime ? { replayEndTime: output.ReplayEndTime } : {}),
        ...(output.Destination?.FilterArns ? { filterArns: output.Destination.FilterArns } : {}),
      };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }
}
