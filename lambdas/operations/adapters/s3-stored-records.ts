import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { StoredRecordLocation, StoredRecords } from '../ports';

/** Records the quarantine stored in S3 because SQS could not hold them. */
export class S3StoredRecords implements StoredRecords {
  public constructor(private readonly client: S3Client) {}

  public async read(location: StoredRecordLocation): Promise<string> {
    const output = await this.client.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: location.key }),
    );
    if (!output.Body) throw new Error(`s3://${location.bucket}/${location.key} has no body`);
    return output.Body.transformToString('utf8');
  }
}
