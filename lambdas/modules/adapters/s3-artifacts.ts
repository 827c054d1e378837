import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { sleep } from '../../shared/concurrency';
import type { ArtifactRef } from '../model';
import type { ArtifactStore } from '../ports';

export interface S3ArtifactStoreProps {
  readonly bucket: string;
  /** @default 'modules/artifacts/' */
  readonly prefix?: string;
}

/**
 * Built modules, content-addressed: `<prefix>sha256/<hex>.js`. Objects are written only if absent, so an
 * artifact never changes once stored; equal builds share one object.
 */
export class S3ArtifactStore implements ArtifactStore {
  public constructor(
    private readonly client: S3Client,
    private readonly props: S3ArtifactStoreProps,
  ) {}

  public async put(sha256: string, content: Buffer): Promise<ArtifactRef> {
    const key = `${this.props.prefix ?? 'modules/artifacts/'}sha256/${sha256}.js`;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.props.bucket,
            Key: key,
            Body: content,
            ContentType: 'application/javascript; charset=utf-8',
            ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
            IfNoneMatch: '*',
            Metadata: { sha256 },
          }),
        );
        break;
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        // 412: the same bytes are already there under their own hash.
        if (status === 412) break;
        // 409: another publish is writing the same bytes right now; once it is done, ours finds them.
        if (status !== 409 || attempt >= 3) throw error;
        await sleep(100 * attempt);
      }
    }
    return { bucket: this.props.bucket, key, sha256, bytes: content.length };
  }

  /** Reads an artifact back, refusing bytes whose SHA-256 is not the one it was stored under. */
  public get(ref: ArtifactRef): Promise<Buffer> {
    return readArtifact(this.client, ref);
  }
}

/** An artifact's bytes from wherever its ref points, refused unless they match the SHA-256 it is stored by. */
export async function readArtifact(client: S3Client, ref: ArtifactRef): Promise<Buffer> {
  const output = await client.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
  const content = Buffer.from((await output.Body?.transformToByteArray()) ?? []);
  const actual = createHash('sha256').update(content).digest('hex');
  if (actual !== ref.sha256) {
    throw new Error(
      `The artifact s3://${ref.bucket}/${ref.key} does not match its SHA-256; it was changed after it was stored`,
    );
  }
  return content;
}
