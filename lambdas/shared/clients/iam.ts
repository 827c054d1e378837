import { IAMClient } from '@aws-sdk/client-iam';

export const iam = new IAMClient({});
