import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ClaimCheckStore, StoredObject } from '../ports';

export class S3ClaimCheckStore implements ClaimCheckStore {
  public constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  public async put(key: string, body: string): Promise<StoredObject> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: 'application/json' }),
    );
    return { bucket: this.bucket, key };
  }
}
