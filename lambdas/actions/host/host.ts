/**
 * The generic action host: what runs inside every per-action Lambda function. At start it loads the action
 * bundle shipped beside it and reads the secret sets its deployment names (its own action's and each pinned
 * module version's, with the function's own role, which may read no others). Per event it hands the runner
 * an in-process `execute` (executeAction, every secret value redacted) and an `api.emit` that publishes on
 * the bus with the contract's source, never the ingest's, so derived events cannot loop back into
 * log-triggered actions. The `api` of the event's trigger records the calls Auth0 would apply
 * (recorded-api.ts); they go into the execution. Failures are thrown: Lambda reports them, and EventBridge
 * retries and dead-letters.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SecretCollection } from '../../lifecycle/secret-sets';
import { SecretsManagerModuleSecrets } from '../../modules/adapters/secrets-manager-secrets';
import { DynamoDbExecutions } from '../adapters/dynamodb-executions';
import type { ActionDeployment } from '../model';
import type { ExecutionWriter, LogPort } from '../ports';
import { type BusEvent, type RunnerPorts, type RunOutcome, runActionEvent } from '../runner';
import { createActionCache, type EmitPort, EmitRejectedError } from '../runtime/api';
import { evaluateActionBundle, type LoadedActionBundle } from '../runtime/bundle';
import { createRedactor, executeAction } from '../runtime/execute';
import { createCallRecorder, createTriggerApi } from '../runtime/recorded-api';
import type { HostEnvironment } from './contract';

export interface ActionHostPorts {
  readonly secretsManager: SecretsManagerClient;
  readonly dynamoDb: DynamoDBDocumentClient;
  readonly eventBridge: EventBridgeClient;
  readonly logger: LogPort;
  /** The action bundle in the function's code package: `bundle.js` beside the host. */
  readonly bundlePath: string;
  /** @default DynamoDbExecutions on the contract's table */
  readonly executions?: ExecutionWriter;
}

export interface ActionHost {
  readonly deployment: ActionDeployment;
  /** Runs the deployed version on one event; throws when the run fails or times out, after recording it. */
  handle(event: BusEvent): Promise<RunOutcome>;
  /** Replaces every secret value this host holds with [REDACTED]. */
  readonly redact: (text: string) => string;
  /**
   * True once a run timed out: its code may still be running (a timer, a pending promise) and would act
   * during the next run, so the process should not be reused.
   */
  readonly spoiled: boolean;
}

/** The bundle in the code package is not the one the deployment names. */
export class BundleMismatchError extends Error {
  public constructor(path: string, expected: string, actual: string) {
    super(`${path} has SHA-256 ${actual}; the deployment expects ${expected}. Deploy the version again.`);
    this.name = 'BundleMismatchError';
  }
}

/** A secret set the deployment names could not be read. The message names the secret, never a value. */
export class ActionSecretsError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ActionSecretsError';
  }
}

/** EventBridge did not take an event the action emitted. */
export class EmitFailedError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EmitFailedError';
  }
}

export async function startActionHost(
  environment: HostEnvironment,
  ports: ActionHostPorts,
): Promise<ActionHost> {
  const { deployment, shared } = environment;
  const bundle = await loadBundle(ports.bundlePath, deployment.bundle.sha256);
  const secrets = await readSecrets(environment, ports.secretsManager);
  const redactValues = [
    ...Object.values(secrets.action),
    ...Object.values(secrets.modules).flatMap((values) => Object.values(values)),
  ];
  const redact = createRedactor(redactValues);
  const executions =
    ports.executions ??
    new DynamoDbExecutions(ports.dynamoDb, {
      tableName: shared.executionsTable,
      ttlDays: shared.executionTtlDays,
      // A claim outlives the run it guards: the run's timeout, the host's own writes, and a margin.
      leaseSeconds: Math.ceil(deployment.timeoutMs / 1000) + 60,
    });

  let run: { readonly emits: Promise<void>[]; emitted: number } | undefined;
  const cache = createActionCache();
  const emit: EmitPort = (detailType, detail) => {
    const current = run;
    if (!current) {
      return Promise.reject(
        new EmitRejectedError('api.emit was called after the run had ended; the event was not published.'),
      );
    }
    const published = publish(ports.eventBridge, shared, detailType, detail, redact).then(() => {
      current.emitted++;
    });
    current.emits.push(published);
    return published;
  };

  let actionExports: { readonly value: unknown } | undefined;
  let spoiled = false;
  const execute: RunnerPorts['execute'] = async ({ handlerName, triggerId, event, timeoutMs }) => {
    const current: { readonly emits: Promise<void>[]; emitted: number } = { emits: [], emitted: 0 };
    const recorder = createCallRecorder({ redact });
    // One api per run, so that a call made after its run (from a timer) is not recorded against the next.
    const api = createTriggerApi(triggerId, { cache, emit, record: recorder.record });
    run = current;
    try {
      const result = await executeAction({
        // The action's top-level code runs in its first run, so it is timed and its console captured.
        loadExports: () => {
          actionExports ??= { value: bundle.load({ moduleSecrets: secrets.modules }) };
          return actionExports.value;
        },
        handlerName,
        event,
        secrets: secrets.action,
        timeoutMs,
        api,
        redact: redactValues,
      });
      recorder.close();
      if (result.status === 'timed_out') spoiled = true;
      // Events the action emitted without awaiting them reach the bus before its run is recorded.
      await Promise.allSettled(current.emits);
      return { ...result, emitted: current.emitted, recorded: recorder.recording() };
    } finally {
      recorder.close();
      run = undefined;
    }
  };

  return {
    deployment,
    redact,
    get spoiled() {
      return spoiled;
    },
    handle: (event) => runActionEvent(deployment, event, { executions, execute, logger: ports.logger }),
  };
}

async function loadBundle(path: string, sha256: string): Promise<LoadedActionBundle> {
  const content = await readFile(path);
  const actual = createHash('sha256').update(content).digest('hex');
  if (actual !== sha256) throw new BundleMismatchError(path, sha256, actual);
  return evaluateActionBundle(content, path);
}

interface LoadedSecrets {
  readonly action: Readonly<Record<string, string>>;
  readonly modules: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The action's own set and each pinned module version's set, through the registry's own adapter. */
async function readSecrets(
  environment: HostEnvironment,
  client: SecretsManagerClient,
): Promise<LoadedSecrets> {
  const { deployment, shared } = environment;
  const stores = {
    actions: new SecretsManagerModuleSecrets(client, { prefix: shared.secretsPrefix, collection: 'actions' }),
    modules: new SecretsManagerModuleSecrets(client, { prefix: shared.secretsPrefix, collection: 'modules' }),
  };
  const read = async (collection: SecretCollection, ownerId: string, setId: string | undefined) => {
    if (!setId) return {};
    const store = stores[collection];
    try {
      return await store.readSet(ownerId, setId);
    } catch (error) {
      throw new ActionSecretsError(
        `Could not read the set ${setId} of the secret ${store.secretName(ownerId)}: ${(error as Error).message}. ` +
          'Check that the function role may read and decrypt it, or deploy the version again if its secrets were removed.',
        { cause: error },
      );
    }
  };
  const [action, ...modules] = await Promise.all([
    read('actions', deployment.actionId, deployment.secretsSetId),
    ...deployment.moduleSecretSets.map((set) => read('modules', set.moduleId, set.setId)),
  ]);
  return {
    action: action ?? {},
    modules: Object.fromEntries(
      deployment.moduleSecretSets.map((set, index) => [set.moduleName, modules[index] ?? {}]),
    ),
  };
}

async function publish(
  client: EventBridgeClient,
  shared: HostEnvironment['shared'],
  detailType: string,
  detail: Record<string, unknown>,
  redact: (text: string) => string,
): Promise<void> {
  let output: PutEventsCommandOutput;
  try {
    output = await client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: shared.busName,
            Source: shared.emitSource,
            DetailType: detailType,
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new EmitFailedError(`api.emit: EventBridge refused the request (${redact(reason)}).`);
  }
  const failed = output.Entries?.[0];
  if (output.FailedEntryCount || failed?.ErrorCode) {
    throw new EmitFailedError(
      `api.emit: EventBridge did not accept the event (${failed?.ErrorCode ?? 'Error'}: ${redact(failed?.ErrorMessage ?? 'no message')}).`,
    );
  }
}
