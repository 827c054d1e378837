import { S3Client } from '@aws-sdk/client-s3';
import { usesCustomEndpoint } from './config';

// Emulators answer on one host name, so buckets go in the path rather than in a subdomain.
export const s3 = new S3Client({ forcePathStyle: usesCustomEndpoint() });
