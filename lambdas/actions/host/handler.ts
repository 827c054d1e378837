/**
 * The Lambda entry of every per-action function: bundled once at synth (ESM, `host.mjs`) and zipped by the
 * deployer with each action's `bundle.js`. It holds only the action function's own credentials: its role may
 * read this action's secrets and its pinned modules' secrets, write this action's executions and emit events
 * with the actions' source, and nothing else.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatWithOptions } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import type { EventBridgeEvent } from 'aws-lambda';
import { dynamoDb } from '../../shared/clients/dynamodb';
import { eventBridge } from '../../shared/clients/eventbridge';
import { secretsManager } from '../../shared/clients/secrets-manager';
import { BUNDLE_FILE, readHostEnvironment } from './contract';
import { type ActionHost, startActionHost } from './host';

const environment = readHostEnvironment(process.env);
const { deployment } = environment;
const logger = new Logger({
  serviceName: 'auth0-event-bridge-action',
  persistentKeys: { actionId: deployment.actionId, versionNumber: deployment.versionNumber },
});

let starting: Promise<ActionHost> | undefined;

/** The host, started once; a start that failed (a secret not readable yet) is tried again by the next call. */
function host(): Promise<ActionHost> {
  starting ??= startActionHost(environment, {
    secretsManager,
    dynamoDb,
    eventBridge,
    logger,
    bundlePath: join(dirname(fileURLToPath(import.meta.url)), BUNDLE_FILE),
  })
    .then((started) => {
      redactConsole(started.redact);
      return started;
    })
    .catch((error: unknown) => {
      starting = undefined;
      throw error;
    });
  return starting;
}

// Started during Lambda's init phase; the first invocation waits for it, and reports its failure.
host().catch(() => undefined);

export async function handler(
  event: EventBridgeEvent<string, Record<string, unknown>>,
): Promise<{ status: string; executionId?: string }> {
  const current = await host();
  try {
    const outcome = await current.handle(event);
    return outcome.kind === 'ran'
      ? { status: outcome.execution.status, executionId: outcome.execution.id }
      : { status: 'duplicate' };
  } catch (error) {
    logger.error('The action did not complete; EventBridge will deliver the event again', {
      eventId: event.id,
      error: current.redact(error instanceof Error ? `${error.name}: ${error.message}` : String(error)),
    });
    if (current.spoiled) {
      // Code of a timed-out run may still be running. Ending the process fails this invocation (as it must)
      // and gives the next one a fresh environment, as the local runner does by killing its child.
      setImmediate(() => process.exit(1));
    }
    throw error;
  }
}

/**
 * Outside a run, the action's code (a timer it left behind) still reaches the console: redact what it
 * writes there too. Runs capture the console themselves and put these functions back afterwards.
 */
function redactConsole(redact: (text: string) => string): void {
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => original(redact(formatWithOptions({ colors: false }, ...args)));
  }
}
