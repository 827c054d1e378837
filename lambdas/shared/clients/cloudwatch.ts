import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';

export const cloudWatch = new CloudWatchClient({});
