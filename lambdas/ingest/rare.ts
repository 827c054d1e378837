/**
 * What only rare records need, built as a file of its own beside the ingest bundle (lib/ingest.ts,
 * INGEST_LAZY_ENTRIES) and loaded by the handler on first use: the claim-check store and the quarantine, with
 * their S3 and SQS clients (records too large for an event, or unusable). A cold start that meets neither
 * loads and compiles none of it. Only the handler imports this file, and nothing here is told apart by
 * `instanceof` elsewhere: the file has its own copy of what it shares with the bundle.
 */

export { s3 } from '../shared/clients/s3';
export { sqs } from '../shared/clients/sqs';
export { S3ClaimCheckStore } from './adapters/s3-claim-check';
export { SqsQuarantine } from './adapters/sqs-quarantine';
