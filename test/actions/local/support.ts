/**
 * What the local actions tests and the latency measurement share: an "external service" to POST to, and a
 * fixture that does what the registry does on deploy (module and action secrets in Secrets Manager, the
 * bundle in S3, `deployer.deploy`, binding rules on the bus) against an emulator.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { CreateEventBusCommand, EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Binding, desiredRules, EventBridgeBindingRules } from '../../../lambdas/actions/bindings/rules';
import { type BindingMatch, getTrigger, type TriggerId } from '../../../lambdas/actions/bindings/triggers';
import type { ActionDeployment, ModuleSecretSet } from '../../../lambdas/actions/model';
import { assembleActionBundle } from '../../../lambdas/actions/runtime/bundle';
import { DETAIL_TYPE } from '../../../lambdas/ingest/event';
import type { LogPort } from '../../../lambdas/lifecycle/ports';
import { secretNameFor, writeSecretSet } from '../../../lambdas/lifecycle/secret-sets';
import { SecretsManagerModuleSecrets } from '../../../lambdas/modules/adapters/secrets-manager-secrets';
import { type ActionTrigger, actionDetailType } from '../../../lambdas/shared/surfaces';
import type { LocalActionsRuntime } from '../../../local/actions/runtime';
import { type AwsTarget, clientConfig } from '../../../local/provision';

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

/** A loopback HTTP server standing in for the service an action module calls. Answers 200, or `failPaths` 503. */
export class ExternalService {
  public readonly requests: ReceivedRequest[] = [];
  public readonly failPaths = new Set<string>();
  private readonly listeners = new Set<(request: ReceivedRequest) => void>();
  private server: Server | undefined;
  public url = '';

  public async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = new URL(request.url ?? '/', 'http://localhost').pathname;
        const received = {
          path,
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: performance.now(),
        };
        this.requests.push(received);
        for (const listener of this.listeners) listener(received);
        response.writeHead(this.failPaths.has(path) ? 503 : 200, { 'content-type': 'application/json' });
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (typeof address !== 'object' || !address) throw new Error('The external service has no address');
    this.url = `http://127.0.0.1:${address.port}`;
  }

  public to(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  /** Calls `listener` with each request from now on; returns the function that stops it. */
  public onRequest(listener: (request: ReceivedRequest) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  public stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
      if (!this.server) resolve();
    });
  }
}

/** The module of the README's journey: posts to SERVICE_URL with API_KEY, both its own secrets. */
export const LOGGER_MODULE = `
module.exports = {
  sendLog: async (code, message) => {
    const response = await fetch(actions.secrets.SERVICE_URL, {
      method: 'POST',
      headers: { 'X-API-Key': actions.secrets.API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ code, message }),
    });
    if (!response.ok) throw new Error('External service failure: ' + response.status);
    console.log('sent', code);
  },
};
`;

export interface ModuleSpec {
  readonly name: string;
  readonly code: string;
  /** The module version's secret set, already written (`writeModuleSecrets`). */
  readonly moduleId: string;
  readonly setId?: string;
}

export interface DeploySpec {
  readonly name: string;
  readonly code: string;
  readonly modules?: readonly ModuleSpec[];
  readonly secrets?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly actionId?: string;
  readonly versionNumber?: number;
  /** The trigger the action is written for. @default 'auth0-log' */
  readonly trigger?: TriggerId;
  /** Binds the action to its trigger with this match (`{}` for every event); not bound when absent. */
  readonly bind?: BindingMatch;
}

/** The registry's side of a deploy, done by hand against the emulator. */
export class ActionsFixture {
  public readonly eventBridge: EventBridgeClient;
  public readonly s3: S3Client;
  public readonly secretsManager: SecretsManagerClient;
  public readonly moduleSecrets: SecretsManagerModuleSecrets;
  public readonly bucket = `actions-local-${randomUUID().slice(0, 8)}`;
  private readonly bindings: Binding[] = [];

  public constructor(
    aws: AwsTarget,
    private readonly runtime: LocalActionsRuntime,
  ) {
    const config = clientConfig(aws);
    this.eventBridge = new EventBridgeClient(config);
    this.s3 = new S3Client({ ...config, forcePathStyle: true });
    this.secretsManager = new SecretsManagerClient(config);
    this.moduleSecrets = new SecretsManagerModuleSecrets(this.secretsManager, {
      prefix: runtime.names.secretsPrefix,
    });
  }

  /** The bus (made here, as npm start's provisioning does) and the artifacts bucket. */
  public async prepare(): Promise<void> {
    await this.eventBridge.send(new CreateEventBusCommand({ Name: this.runtime.names.busName }));
    await this.s3.send(new CreateBucketCommand({ Bucket: this.bucket }));
  }

  /** Writes a module version's secrets as the modules registry does; returns the set id. */
  public async writeModuleSecrets(
    moduleId: string,
    values: Readonly<Record<string, string>>,
    baseSetId?: string,
  ): Promise<string> {
    const entries = Object.entries(values).map(([name, value]) => ({ name, value }));
    const setId = await this.moduleSecrets.writeSet(
      moduleId,
      baseSetId,
      entries,
      baseSetId ? [baseSetId] : [],
    );
    if (!setId) throw new Error('No secret set was written');
    return setId;
  }

  /** Writes an action's secrets in the registry's document format under `<prefix>/actions/<id>`. */
  public async writeActionSecrets(
    actionId: string,
    values: Readonly<Record<string, string>>,
  ): Promise<string> {
    const entries = Object.entries(values).map(([name, value]) => ({ name, value }));
    const { document, setId } = writeSecretSet(
      { format: 1, values: {}, sets: {} },
      undefined,
      entries,
      [],
      randomUUID,
    );
    if (!setId) throw new Error('No secret set was written');
    await this.secretsManager.send(
      new CreateSecretCommand({
        Name: secretNameFor(this.runtime.names.secretsPrefix, 'actions', actionId),
        SecretString: JSON.stringify(document),
      }),
    );
    return setId;
  }

  /** Builds and stores the bundle, deploys it, and (with `bind`) syncs the binding rules. */
  public async deploy(spec: DeploySpec): Promise<ActionDeployment> {
    const actionId = spec.actionId ?? randomUUID();
    const modules = spec.modules ?? [];
    const trigger = getTrigger(spec.trigger ?? 'auth0-log');
    const bundle = assembleActionBundle({
      action: { code: spec.code },
      modules: modules.map(({ name, code }) => ({ name, code })),
    });
    const key = `actions/bundles/sha256/${bundle.sha256}.js`;
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bundle.content }));
    const secretsSetId =
      spec.secrets && Object.keys(spec.secrets).length > 0
        ? await this.writeActionSecrets(actionId, spec.secrets)
        : undefined;
    const moduleSecretSets: ModuleSecretSet[] = modules.map(({ name, moduleId, setId }) => ({
      moduleId,
      moduleName: name,
      ...(setId ? { setId } : {}),
    }));
    const deployment: ActionDeployment = {
      actionId,
      actionName: spec.name,
      versionId: randomUUID(),
      versionNumber: spec.versionNumber ?? 1,
      bundle: { bucket: this.bucket, key, sha256: bundle.sha256, bytes: bundle.content.length },
      triggers: [{ id: trigger.id, version: trigger.version }],
      ...(secretsSetId ? { secretsSetId } : {}),
      moduleSecretSets,
      timeoutMs: spec.timeoutMs ?? 2000,
    };
    await this.runtime.deployer.deploy(deployment);
    if (spec.bind) {
      const codes = spec.bind.codes ?? [];
      const categories = spec.bind.categories ?? [];
      this.bindings.push({
        triggerId: trigger.id,
        actionId,
        actionName: spec.name,
        ...(codes.length + categories.length > 0 ? { match: spec.bind } : {}),
      });
      await this.syncRules();
    }
    return deployment;
  }

  public async syncRules(): Promise<void> {
    const { names, deployer } = this.runtime;
    const rules = new EventBridgeBindingRules(this.eventBridge, {
      busName: names.busName,
      prefix: this.runtime.rulesPrefix,
      tags: {},
    });
    await rules.sync(
      desiredRules(this.bindings, {
        source: names.source,
        prefix: this.runtime.rulesPrefix,
        targetFor: (binding) => deployer.targetFor(binding.actionId),
      }),
    );
  }

  /** Puts an Auth0 log event on the bus, as the ingest does; returns the EventBridge event id. */
  public async putLogEvent(logId: string, type: string, data: Record<string, unknown> = {}): Promise<string> {
    const output = await this.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.runtime.names.busName,
            Source: this.runtime.names.source,
            DetailType: DETAIL_TYPE,
            Detail: JSON.stringify({
              log_id: logId,
              data: { type, date: new Date().toISOString(), ...data },
              category: 'auth.login.fail',
            }),
          },
        ],
      }),
    );
    const id = output.Entries?.[0]?.EventId;
    if (!id || output.FailedEntryCount)
      throw new Error(`PutEvents failed: ${JSON.stringify(output.Entries)}`);
    return id;
  }

  /** Puts an Auth0 Actions trigger's `event` on the bus, as the ingest does; returns the EventBridge event id. */
  public async putActionEvent(trigger: ActionTrigger, event: Record<string, unknown>): Promise<string> {
    const output = await this.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.runtime.names.busName,
            Source: this.runtime.names.source,
            DetailType: actionDetailType(trigger),
            Detail: JSON.stringify(event),
          },
        ],
      }),
    );
    const id = output.Entries?.[0]?.EventId;
    if (!id || output.FailedEntryCount)
      throw new Error(`PutEvents failed: ${JSON.stringify(output.Entries)}`);
    return id;
  }

  public destroy(): void {
    for (const client of [this.eventBridge, this.s3, this.secretsManager]) client.destroy();
  }
}

/** An EventBridge event as a rule delivers it to SQS, for messages put on a queue by hand. */
export function busEventBody(id: string, logId: string, type: string, source = 'auth0.logs'): string {
  return JSON.stringify({
    version: '0',
    id,
    'detail-type': DETAIL_TYPE,
    source,
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: { log_id: logId, data: { type, date: new Date().toISOString() }, category: 'auth.login.fail' },
  });
}

/** Polls `check` every 50 ms until it returns a value, or throws after `timeoutMs` naming `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The action children (ActionProcess's child entry) of this process that are still running. */
export function actionChildren(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const ppid = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return Number(ppid) === process.pid && /a0bridge-action-child-|runtime\/child\.[jt]s/.test(command);
      } catch {
        return false;
      }
    })
    .map(Number);
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A logger that keeps warnings and errors for the test to look at. */
export function recordingLogger(): LogPort & { readonly problems: string[] } {
  const problems: string[] = [];
  return {
    problems,
    debug: () => undefined,
    info: () => undefined,
    warn: (message, ...extra) => problems.push(`warn: ${message} ${JSON.stringify(extra)}`),
    error: (message, ...extra) => problems.push(`error: ${message} ${JSON.stringify(extra)}`),
  };
}
