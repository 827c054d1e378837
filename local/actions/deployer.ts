/**
 * `ActionDeployer` for local mode: where AWS gives each action a Lambda function that its binding rules
 * invoke, this gives each action an SQS queue that its binding rules deliver to, a child process
 * (`ActionProcess`) that runs the deployed bundle, and a poller between the two (poller.ts).
 *
 * - The queue is `<queuePrefix><actionId>`. Its redrive policy sends an event to the one actions DLQ after
 *   `maxReceiveCount` receives (EventBridge's retries, then its DLQ); its visibility timeout is longer than
 *   a run may take, so a message comes back only once its run has failed.
 * - `deploy` downloads the bundle from S3 into a content-addressed file, checks its SHA-256, reads the
 *   action's and its modules' secret sets (this process may; each child gets only its own action's values,
 *   over IPC) and starts a child for the new version before the old one is retired: a bundle that does not
 *   load leaves the running version in place. The old child finishes the run it is doing, then stops.
 * - `api.emit` in a child reaches this process, which puts the event on the bus under `emitSource`.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DEFAULT_MAX_EVENT_AGE_SECONDS } from '../../lambdas/actions/aws/config';
import type { RuleTarget } from '../../lambdas/actions/bindings/rules';
import type { ActionDeployment, ArtifactRef } from '../../lambdas/actions/model';
import type { ActionDeployer, ArtifactStore, ExecutionWriter, LogPort } from '../../lambdas/actions/ports';
import type { RunnerPorts } from '../../lambdas/actions/runner';
import { ActionProcess, type ActionProcessOptions } from '../../lambdas/actions/runtime/local-process';
import type { SecretSetStore } from '../../lambdas/lifecycle/ports';
import { type ActionDelivery, ActionQueuePoller, type LiveActionVersion } from './poller';

/** Reads secret sets: the registry's Secrets Manager adapter. */
type SecretSetReader = Pick<SecretSetStore, 'readSet'>;

export interface LocalActionDeployerOptions {
  readonly sqs: SQSClient;
  /** Where deployed bundles are read from: the registry's artifact store. */
  readonly artifacts: Pick<ArtifactStore, 'get'>;
  readonly eventBridge: EventBridgeClient;
  /** Reads `<prefix>/actions/<id>` sets. */
  readonly actionSecrets: SecretSetReader;
  /** Reads `<prefix>/modules/<id>` sets. */
  readonly moduleSecrets: SecretSetReader;
  readonly executions: ExecutionWriter;
  readonly logger: LogPort;
  /** Where `api.emit` publishes. */
  readonly busName: string;
  /** The `source` of emitted events; never the Auth0 logs' source, so no binding rule matches them. */
  readonly emitSource: string;
  readonly queuePrefix: string;
  /** The actions DLQ: the queues' redrive target and the rules' dead-letter target. */
  readonly dlqArn: string;
  /** Where bundles are written, one file per SHA-256; created (mode 0700) when missing. */
  readonly bundleDirectory: string;
  /** Receives of one event before SQS moves it to the DLQ: the first delivery and its retries. @default 3 */
  readonly maxReceiveCount?: number;
  /** The rules' `maxEventAgeSeconds` (not enforced on the queue). @default 3600, as deployed */
  readonly maxEventAgeSeconds?: number;
  /** Added to the action timeout (and the kill grace) for the queue's visibility timeout. @default 2 */
  readonly visibilityMarginSeconds?: number;
  /** The pollers' long-poll wait, 1 to 5 seconds. @default 2 */
  readonly waitTimeSeconds?: number;
  /** Every delivery's outcome, for the live view. */
  readonly onDelivery?: (delivery: ActionDelivery) => void;
  /** Passed to each ActionProcess. */
  readonly process?: Pick<
    ActionProcessOptions,
    'killGraceMs' | 'startTimeoutMs' | 'maxLogBytes' | 'childEntry'
  >;
}

/** What runs for one action now (for the live view, tests and diagnostics). */
export interface LocalActionStatus {
  readonly actionId: string;
  readonly versionId: string;
  readonly versionNumber: number;
  readonly queueUrl: string;
  /** The child's pid, when one is running (none between a timeout and the next run). */
  readonly pid?: number;
}

/** A deployment could not be made live: the previous version, if any, still runs. */
export class LocalActionDeployError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalActionDeployError';
  }
}

/** PutEvents did not take an event an action emitted. */
export class EmitFailedError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'EmitFailedError';
  }
}

const QUEUE_NAME_MAX = 80;
const QUEUE_NAME_CHARS = /^[-_A-Za-z0-9]+$/;
const HASH_LENGTH = 16;
const TARGET_ID = 'local-action-queue';

/**
 * An action's queue name: `<prefix><actionId>` when that is a valid SQS name (80 letters, digits, `-`, `_`),
 * else a readable part and 16 hex of the id's SHA-256, so every action id gets a name of its own.
 */
export function queueNameFor(prefix: string, actionId: string): string {
  const plain = `${prefix}${actionId}`;
  if (plain.length <= QUEUE_NAME_MAX && QUEUE_NAME_CHARS.test(plain)) return plain;
  const hash = createHash('sha256').update(actionId).digest('hex').slice(0, HASH_LENGTH);
  const readable = plain.replace(/[^-_A-Za-z0-9]/g, '_');
  return `${readable.slice(0, QUEUE_NAME_MAX - HASH_LENGTH - 1)}_${hash}`;
}

export class LocalActionDeployer implements ActionDeployer {
  private readonly live = new Map<string, DeployedAction>();
  private readonly retiring = new Set<LiveVersion>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly maxReceiveCount: number;
  private readonly arnPrefix: string;
  private stopped = false;

  public constructor(private readonly options: LocalActionDeployerOptions) {
    this.maxReceiveCount = options.maxReceiveCount ?? 3;
    if (!Number.isInteger(this.maxReceiveCount) || this.maxReceiveCount < 1 || this.maxReceiveCount > 186) {
      // 186 receives = one delivery and EventBridge's most retries (185).
      throw new RangeError(
        `maxReceiveCount must be an integer from 1 to 186, got ${options.maxReceiveCount}`,
      );
    }
    const arn = options.dlqArn.split(':');
    if (arn.length !== 6 || arn[2] !== 'sqs') {
      throw new RangeError(
        `dlqArn must be an SQS queue ARN (arn:aws:sqs:<region>:<account>:<name>), got ${options.dlqArn}`,
      );
    }
    this.arnPrefix = arn.slice(0, 5).join(':');
  }

  /** The action's queue, its retries and the DLQ, as the binding rules need them. Known from the id alone. */
  public targetFor(actionId: string): RuleTarget {
    return {
      id: TARGET_ID,
      arn: `${this.arnPrefix}:${queueNameFor(this.options.queuePrefix, actionId)}`,
      maxEventAgeSeconds: this.options.maxEventAgeSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS,
      // Runs are retried by the queue (maxReceiveCount); these cover delivering to the queue itself.
      maxRetryAttempts: this.maxReceiveCount - 1,
      deadLetterArn: this.options.dlqArn,
    };
  }

  public deploy(deployment: ActionDeployment): Promise<void> {
    return this.serialize(deployment.actionId, () => this.deployNow(deployment));
  }

  public remove(actionId: string): Promise<void> {
    return this.serialize(actionId, () => this.removeNow(actionId));
  }

  public status(actionId: string): LocalActionStatus | undefined {
    const action = this.live.get(actionId);
    if (!action) return undefined;
    const { deployment, process } = action.version;
    return {
      actionId,
      versionId: deployment.versionId,
      versionNumber: deployment.versionNumber,
      queueUrl: action.queueUrl,
      ...(process.pid !== undefined ? { pid: process.pid } : {}),
    };
  }

  /** Every action's status. */
  public list(): LocalActionStatus[] {
    return [...this.live.keys()].flatMap((id) => this.status(id) ?? []);
  }

  /**
   * Stops every poller and kills every child at once (a run in progress ends `failed`, and its event stays
   * queued). Queues are left on the emulator. Resolves when no child or loop is left.
   */
  public async stop(): Promise<void> {
    this.stopped = true;
    const actions = [...this.live.values()];
    this.live.clear();
    const pollers = actions.map((action) => action.poller.stop());
    const versions = [...actions.map((action) => action.version), ...this.retiring];
    await Promise.all(versions.map((version) => version.process.stop()));
    await Promise.all(pollers);
    await Promise.allSettled([...this.locks.values()]);
  }

  private async deployNow(deployment: ActionDeployment): Promise<void> {
    this.assertRunning();
    const { actionId } = deployment;
    const where = `action ${deployment.actionName} (${actionId}) version ${deployment.versionNumber}`;
    let queueUrl: string;
    let bundlePath: string;
    let secrets: Record<string, string>;
    let moduleSecrets: Record<string, Record<string, string>>;
    try {
      queueUrl = await this.ensureQueue(actionId, deployment.timeoutMs);
      bundlePath = await this.fetchBundle(deployment.bundle);
      [secrets, moduleSecrets] = await Promise.all([
        deployment.secretsSetId
          ? this.options.actionSecrets.readSet(actionId, deployment.secretsSetId)
          : Promise.resolve({}),
        this.readModuleSecrets(deployment),
      ]);
    } catch (error) {
      throw new LocalActionDeployError(`Could not deploy ${where}: ${describe(error)}`, { cause: error });
    }

    const emitted = { count: 0 };
    let child: ActionProcess;
    try {
      child = await ActionProcess.start({
        ...this.options.process,
        bundlePath,
        secrets,
        moduleSecrets,
        onEmit: async (detailType, detail) => {
          await this.emit(detailType, detail);
          emitted.count++;
        },
      });
    } catch (error) {
      throw new LocalActionDeployError(`Could not start ${where}: ${describe(error)}`, { cause: error });
    }
    if (this.stopped) {
      await child.stop();
      this.assertRunning();
    }

    const version = new LiveVersion(deployment, child, emitted);
    const current = this.live.get(actionId);
    if (current) {
      const previous = current.version;
      current.version = version;
      current.queueUrl = queueUrl;
      this.retire(previous);
      return;
    }
    const deployed: DeployedAction = {
      queueUrl,
      version,
      poller: new ActionQueuePoller({
        actionId,
        sqs: this.options.sqs,
        queueUrl,
        current: () => (this.live.get(actionId) === deployed ? deployed.version : undefined),
        executions: this.options.executions,
        logger: this.options.logger,
        maxReceiveCount: this.maxReceiveCount,
        ...(this.options.onDelivery ? { onDelivery: this.options.onDelivery } : {}),
        ...(this.options.waitTimeSeconds ? { waitTimeSeconds: this.options.waitTimeSeconds } : {}),
      }),
    };
    this.live.set(actionId, deployed);
    deployed.poller.start();
    this.options.logger.info('Deployed an action locally', {
      actionId,
      versionNumber: deployment.versionNumber,
      queueUrl,
    });
  }

  private async removeNow(actionId: string): Promise<void> {
    const deployed = this.live.get(actionId);
    if (deployed) {
      this.live.delete(actionId);
      // The run in progress finishes first, as a redeploy lets it.
      await deployed.poller.stop();
      await deployed.version.process.stop();
    }
    const queueUrl = deployed?.queueUrl ?? (await this.findQueue(actionId));
    if (!queueUrl) return;
    try {
      await this.options.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    } catch (error) {
      if (!(error instanceof QueueDoesNotExist)) throw error;
    }
  }

  private retire(version: LiveVersion): void {
    this.retiring.add(version);
    void version
      .retire()
      .catch((error: unknown) =>
        this.options.logger.warn('Could not stop a replaced action version', {
          actionId: version.deployment.actionId,
          versionNumber: version.deployment.versionNumber,
          error: describe(error),
        }),
      )
      .finally(() => this.retiring.delete(version));
  }

  private async ensureQueue(actionId: string, timeoutMs: number): Promise<string> {
    const name = queueNameFor(this.options.queuePrefix, actionId);
    const created = await this.options.sqs.send(new CreateQueueCommand({ QueueName: name }));
    const queueUrl = created.QueueUrl;
    if (!queueUrl) throw new Error(`CreateQueue returned no URL for ${name}`);
    const graceMs = this.options.process?.killGraceMs ?? 250;
    const margin = this.options.visibilityMarginSeconds ?? 2;
    // Set on every deploy: a new version may have another timeout, and an existing queue other attributes.
    await this.options.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: {
          VisibilityTimeout: String(Math.ceil((timeoutMs + graceMs) / 1000 + margin)),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: this.options.dlqArn,
            maxReceiveCount: this.maxReceiveCount,
          }),
        },
      }),
    );
    return queueUrl;
  }

  private async findQueue(actionId: string): Promise<string | undefined> {
    try {
      const output = await this.options.sqs.send(
        new GetQueueUrlCommand({ QueueName: queueNameFor(this.options.queuePrefix, actionId) }),
      );
      return output.QueueUrl;
    } catch (error) {
      if (error instanceof QueueDoesNotExist) return undefined;
      throw error;
    }
  }

  /** The bundle as a local file named by its SHA-256; a file already there is reused once its hash checks. */
  private async fetchBundle(ref: ArtifactRef): Promise<string> {
    if (!/^[0-9a-f]{64}$/.test(ref.sha256)) {
      throw new Error(`The deployment's bundle SHA-256 is not 64 lowercase hex digits: ${ref.sha256}`);
    }
    const directory = this.options.bundleDirectory;
    const path = join(directory, `${ref.sha256}.js`);
    const existing = await readFile(path).catch(() => undefined);
    if (existing && sha256(existing) === ref.sha256) return path;

    // The artifact store refuses bytes that do not match the SHA-256 they are stored by.
    const content = await this.options.artifacts.get(ref);
    await mkdir(directory, { recursive: true, mode: 0o700 });
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, content, { mode: 0o600 });
    await rename(partial, path);
    return path;
  }

  private async readModuleSecrets(
    deployment: ActionDeployment,
  ): Promise<Record<string, Record<string, string>>> {
    const entries = await Promise.all(
      deployment.moduleSecretSets.map(
        async ({ moduleId, moduleName, setId }) =>
          [moduleName, setId ? await this.options.moduleSecrets.readSet(moduleId, setId) : {}] as const,
      ),
    );
    return Object.fromEntries(entries);
  }

  private async emit(detailType: string, detail: Record<string, unknown>): Promise<void> {
    const output = await this.options.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.options.busName,
            Source: this.options.emitSource,
            DetailType: detailType,
            Detail: JSON.stringify(detail),
          },
        ],
      }),
    );
    const failed = output.Entries?.[0];
    if (output.FailedEntryCount || failed?.ErrorCode) {
      throw new EmitFailedError(
        `EventBridge did not take the event: ${failed?.ErrorCode ?? 'Error'}: ${failed?.ErrorMessage ?? 'no message'}`,
      );
    }
  }

  private serialize<T>(actionId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(actionId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.locks.set(actionId, settled);
    void settled.then(() => {
      if (this.locks.get(actionId) === settled) this.locks.delete(actionId);
    });
    return next;
  }

  private assertRunning(): void {
    if (this.stopped) throw new LocalActionDeployError('The local actions runtime was stopped.');
  }
}

interface DeployedAction {
  queueUrl: string;
  version: LiveVersion;
  readonly poller: ActionQueuePoller;
}

/** One deployed version and its child process; `hold` keeps it alive until the work it wraps is done. */
class LiveVersion implements LiveActionVersion {
  private holds = 0;
  private idle: (() => void) | undefined;

  public constructor(
    public readonly deployment: ActionDeployment,
    public readonly process: ActionProcess,
    private readonly emitted: { count: number },
  ) {}

  public readonly execute: RunnerPorts['execute'] = async ({ handlerName, triggerId, event, timeoutMs }) => {
    // Runs of one process are sequential, so the count belongs to this run.
    this.emitted.count = 0;
    const result = await this.process.run(event, { handlerName, triggerId, timeoutMs });
    return { ...result, emitted: this.emitted.count };
  };

  public async hold<T>(work: () => Promise<T>): Promise<T> {
    this.holds++;
    try {
      return await work();
    } finally {
      this.holds--;
      if (this.holds === 0) this.idle?.();
    }
  }

  /** Lets the run in progress finish, then stops the child. */
  public async retire(): Promise<void> {
    if (this.holds > 0) await new Promise<void>((resolve) => (this.idle = resolve));
    await this.process.stop();
  }
}

function sha256(content: Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
