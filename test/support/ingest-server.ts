/**
 * The real ingest handler on moto, behind the local Function URL mapping, with everything it writes to
 * stdout and stderr captured (to prove what is never logged, and to keep its log lines out of the test
 * output). For the integration tests of the ingest path.
 */
import type { Server } from 'node:http';
import { routes } from '../../config/routes';
import {
  defaultLocalNames,
  type LocalNames,
  type LocalResources,
  provisionLocal,
} from '../../local/provision';
import { createLocalServer, listen } from '../../local/server';
import { uniqueName, useEmulatorEnvironment } from './aws';

export interface IngestOnMoto {
  readonly aws: ReturnType<typeof useEmulatorEnvironment>;
  readonly names: LocalNames;
  readonly resources: LocalResources;
  readonly url: string;
  readonly token: string;
  /** Every chunk the handler wrote to stdout or stderr (Powertools writes WARN and ERROR lines to stderr). */
  readonly logged: string[];
  close(): Promise<void>;
}

/** Provisions a fresh bus and its resources, imports the handler with `environment` set, and serves it. */
export async function startIngestOnMoto(
  prefix: string,
  environment: Record<string, string> = {},
): Promise<IngestOnMoto> {
  const aws = useEmulatorEnvironment();
  const token = `${prefix}-token-${uniqueName('t')}`;
  const names = defaultLocalNames(uniqueName(prefix));
  const resources = await provisionLocal(aws, names, routes, token);
  Object.assign(process.env, {
    BUS_NAME: names.busName,
    TOKEN_SECRET_ID: resources.tokenSecretId,
    DEDUP_TABLE_NAME: names.dedupTableName,
    QUARANTINE_QUEUE_URL: resources.quarantineQueueUrl,
    CLAIM_CHECK_BUCKET: names.claimCheckBucket,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    ...environment,
  });
  const logged: string[] = [];
  const capture = ((chunk: string | Uint8Array) => {
    logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  const writeStdout = process.stdout.write;
  const writeStderr = process.stderr.write;
  process.stdout.write = capture;
  process.stderr.write = capture;
  const { handler } = await import('../../lambdas/ingest/handler');
  const server: Server = createLocalServer({ ingest: handler as never });
  const url = `http://127.0.0.1:${await listen(server, 0)}/`;
  return {
    aws,
    names,
    resources,
    url,
    token,
    logged,
    close: async () => {
      process.stdout.write = writeStdout;
      process.stderr.write = writeStderr;
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
