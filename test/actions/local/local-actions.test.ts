import { randomUUID } from 'node:crypto';
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../../../lambdas/actions/model';
import { LocalActionDeployError } from '../../../local/actions/deployer';
import { formatActionDelivery } from '../../../local/actions/live-view';
import type { ActionDelivery } from '../../../local/actions/poller';
import { defaultActionsNames } from '../../../local/actions/provision';
import { createLocalActionsRuntime, type LocalActionsRuntime } from '../../../local/actions/runtime';
import { clientConfig, createQueue, queueArnOf } from '../../../local/provision';
import { emulator, uniqueName } from '../../support/aws';
import { drain } from '../../support/queues';
import {
  ActionsFixture,
  actionChildren,
  busEventBody,
  ExternalService,
  isRunning,
  LOGGER_MODULE,
  recordingLogger,
  waitFor,
} from './support';

const aws = emulator();
const sqs = new SQSClient(clientConfig(aws));
const external = new ExternalService();
const logger = recordingLogger();
const deliveries: ActionDelivery[] = [];
/** Kept low so that retries and the DLQ take seconds: two receives, then the DLQ. */
const MAX_RECEIVE_COUNT = 2;
let runtime: LocalActionsRuntime;
/** The timers running before the runtime was made (vitest's own, the SDK's). */
let timersBefore = 0;
let fixture: ActionsFixture;

const deliveriesOf = (actionId: string) =>
  deliveries.filter((delivery) => {
    if (delivery.kind === 'ran' || delivery.kind === 'failed')
      return delivery.execution.actionId === actionId;
    if (delivery.kind === 'duplicate') return delivery.deployment.actionId === actionId;
    return delivery.actionId === actionId;
  });
const executionsOf = async (actionId: string): Promise<readonly ExecutionRecord[]> =>
  (await runtime.executions.list(actionId, { offset: 0, limit: 100 })).items;

/** The logger module at one version: its secrets are SERVICE_URL (a path of the external service) and API_KEY. */
async function loggerModule(path: string, apiKey: string, moduleId = randomUUID(), baseSetId?: string) {
  const setId = await fixture.writeModuleSecrets(
    moduleId,
    { SERVICE_URL: `${external.url}${path}`, API_KEY: apiKey },
    baseSetId,
  );
  return { name: 'logger', code: LOGGER_MODULE, moduleId, setId };
}

const SEND_LOG_ACTION = `
const logger = require('actions:logger');
exports.onExecuteAuth0Log = async (event, api) => {
  await logger.sendLog(event.data.type, event.log_id);
  await api.emit('Action result', { log_id: event.log_id, sent: true });
};`;

async function sendToQueue(actionId: string, body: string): Promise<void> {
  const queueUrl = runtime.deployer.status(actionId)?.queueUrl ?? '';
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
}

async function queueDepth(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

beforeAll(async () => {
  timersBefore = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  await external.start();
  const busName = uniqueName('actions-local-bus');
  runtime = await createLocalActionsRuntime(aws, defaultActionsNames(busName), {
    logger,
    maxReceiveCount: MAX_RECEIVE_COUNT,
    visibilityMarginSeconds: 0,
    waitTimeSeconds: 1,
    process: { killGraceMs: 100 },
    onDelivery: (delivery) => deliveries.push(delivery),
  });
  fixture = new ActionsFixture(aws, runtime);
  await fixture.prepare();
});

afterAll(async () => {
  await runtime?.stop();
  fixture?.destroy();
  sqs.destroy();
  await external.stop();
});

describe('local actions through moto: rule → SQS → poller → child process', () => {
  it('runs a bound action on an Auth0 log event: its module POSTs with its API key, the run is recorded, and api.emit reaches the bus', async () => {
    // GIVEN an action bound to fp events, pinning the logger module with its own secrets
    const module = await loggerModule('/journey', 'journey-api-key-1');
    const deployment = await fixture.deploy({
      name: 'journey',
      code: SEND_LOG_ACTION,
      modules: [module],
      bind: { codes: ['fp'] },
    });
    // and a rule that shows what actions emit
    const emittedQueueUrl = await createQueue(sqs, uniqueName('actions-emitted'));
    const emittedRule = uniqueName('emitted');
    await fixture.eventBridge.send(
      new PutRuleCommand({
        Name: emittedRule,
        EventBusName: runtime.names.busName,
        EventPattern: JSON.stringify({ source: [runtime.names.emitSource] }),
      }),
    );
    await fixture.eventBridge.send(
      new PutTargetsCommand({
        Rule: emittedRule,
        EventBusName: runtime.names.busName,
        Targets: [{ Id: 'emitted', Arn: await queueArnOf(sqs, emittedQueueUrl) }],
      }),
    );

    // WHEN an fp log event is put on the bus, and an s event that the binding does not match
    await fixture.putLogEvent('journey-s-1', 's');
    const eventId = await fixture.putLogEvent('journey-fp-1', 'fp', { user_name: 'jane@example.com' });

    // THEN the external service receives the module's POST, with the module's API key
    const [request] = await waitFor(
      'the POST to /journey',
      () => external.to('/journey').length > 0 && external.to('/journey'),
    );
    expect(request?.headers['x-api-key']).toBe('journey-api-key-1');
    expect(JSON.parse(request?.body ?? '')).toEqual({ code: 'fp', message: 'journey-fp-1' });
    // and the execution is recorded against the deployed version and the bus event
    const [execution] = await waitFor('the execution', async () => {
      const found = await executionsOf(deployment.actionId);
      return found.length > 0 && found;
    });
    expect(execution).toMatchObject({
      actionId: deployment.actionId,
      actionName: 'journey',
      actionVersionId: deployment.versionId,
      actionVersionNumber: 1,
      triggerId: 'auth0-log',
      eventId,
      status: 'succeeded',
      logs: ['sent fp'],
      emitted: 1,
    });
    expect(await runtime.executions.get(execution?.id ?? '')).toEqual(execution);
    // and the emitted event is on the bus under the actions' source, not the Auth0 logs' one
    const [emitted] = await drain(sqs, emittedQueueUrl, 1, 5000);
    expect(JSON.parse(emitted?.Body ?? '')).toMatchObject({
      source: 'auth0.actions',
      'detail-type': 'Action result',
      detail: { log_id: 'journey-fp-1', sent: true },
    });
    // and the live view shows the run; the s event never reached the action
    const ran = deliveriesOf(deployment.actionId);
    expect(ran).toHaveLength(1);
    expect(formatActionDelivery(ran[0] as ActionDelivery)).toMatch(
      /^ {2}action journey v1 on journey-fp-1: succeeded in \d+ ms, emitted 1 event\(s\)$/,
    );
    expect(external.to('/journey')).toHaveLength(1);
  });

  it('runs an action bound to post-login on an "Auth0 action: post-login" event, and records its api calls', async () => {
    // GIVEN an action bound to post-login, with a secret of its own
    const deployment = await fixture.deploy({
      name: 'post-login-deny',
      trigger: 'post-login',
      code: `exports.onExecutePostLogin = async (event, api) => {
        console.log('login of', event.user.user_id, 'from', event.request.geoip.countryCode);
        if (event.request.geoip.countryCode === 'KP') api.access.deny('blocked country');
        api.idToken.setCustomClaim('https://example.com/signed', 'with ' + event.secrets.SIGNING_KEY);
      };`,
      secrets: { SIGNING_KEY: 'post-login-signing-key-81c2' },
      bind: {},
    });

    // WHEN the ingest puts a post-login event on the bus
    const eventId = await fixture.putActionEvent('post-login', {
      user: { user_id: 'auth0|e2e', email: 'jane@example.com' },
      request: { ip: '203.0.113.9', geoip: { countryCode: 'KP' } },
      transaction: { id: 'tx-e2e' },
    });

    // THEN the post-login action ran on it; its run succeeded with both api calls recorded, the secret redacted
    const [execution] = await waitFor('the post-login execution', async () => {
      const found = await executionsOf(deployment.actionId);
      return found.length > 0 && found;
    });
    expect(execution).toMatchObject({
      actionName: 'post-login-deny',
      triggerId: 'post-login',
      eventId,
      status: 'succeeded',
      logs: ['login of auth0|e2e from KP'],
      recorded: [
        { method: 'api.access.deny', args: ['blocked country'] },
        { method: 'api.idToken.setCustomClaim', args: ['https://example.com/signed', 'with [REDACTED]'] },
      ],
    });
    expect(JSON.stringify(execution)).not.toContain('post-login-signing-key-81c2');
    expect(await runtime.executions.get(execution?.id ?? '')).toEqual(execution);
    const [ran] = deliveriesOf(deployment.actionId);
    expect(ran && formatActionDelivery(ran)).toMatch(
      /^ {2}action post-login-deny v1 on [-0-9a-f]+: succeeded in \d+ ms, recorded 2 api call\(s\)$/,
    );
  });

  it('retries a failing action and moves its event to the actions DLQ after maxReceiveCount receives', async () => {
    // GIVEN an action whose external service answers 503, so the module throws
    external.failPaths.add('/failing');
    const module = await loggerModule('/failing', 'failing-api-key');
    const deployment = await fixture.deploy({
      name: 'failing',
      code: SEND_LOG_ACTION,
      modules: [module],
      bind: { codes: ['fu'] },
      timeoutMs: 500,
    });

    // WHEN an fu event reaches it
    const eventId = await fixture.putLogEvent('failing-fu-1', 'fu');

    // THEN the event lands in the DLQ, as is, after two failed runs
    const dead = await waitFor(
      'the event in the DLQ',
      async () => {
        const messages = await drain(sqs, runtime.dlqUrl, 0, 1000);
        return messages.find((message) => JSON.parse(message.Body ?? '{}').id === eventId);
      },
      15_000,
    );
    expect(JSON.parse(dead.Body ?? '')).toMatchObject({ id: eventId, detail: { log_id: 'failing-fu-1' } });
    expect(external.to('/failing')).toHaveLength(MAX_RECEIVE_COUNT);
    const executions = await executionsOf(deployment.actionId);
    expect(executions.map((execution) => execution.status)).toEqual(['failed', 'failed']);
    expect(executions[0]?.error).toEqual({ name: 'Error', message: 'External service failure: 503' });
    const failures = deliveriesOf(deployment.actionId);
    expect(failures.map((delivery) => formatActionDelivery(delivery))).toEqual([
      expect.stringMatching(
        /^ {2}action failing v1 on failing-fu-1: failed in \d+ ms: Error: External service failure: 503 \(attempt 1 of 2; it will be retried\)$/,
      ),
      expect.stringMatching(/\(attempt 2 of 2; the event goes to the actions DLQ\)$/),
    ]);
    expect(await queueDepth(runtime.deployer.status(deployment.actionId)?.queueUrl ?? '')).toBe(0);
  });

  it('runs a redelivered event once', async () => {
    // GIVEN a deployed action
    const module = await loggerModule('/redelivered', 'redelivered-api-key');
    const deployment = await fixture.deploy({
      name: 'redelivered',
      code: SEND_LOG_ACTION,
      modules: [module],
    });

    // WHEN the same event is delivered twice
    const body = busEventBody(randomUUID(), 'redelivered-1', 'fp');
    await sendToQueue(deployment.actionId, body);
    await sendToQueue(deployment.actionId, body);

    // THEN it runs once; the second delivery is skipped and deleted
    const seen = await waitFor('both deliveries', () => {
      const found = deliveriesOf(deployment.actionId);
      return found.length >= 2 && found;
    });
    expect(seen.map((delivery) => delivery.kind)).toEqual(['ran', 'duplicate']);
    expect(formatActionDelivery(seen[1] as ActionDelivery)).toBe(
      '  action redelivered v1 on redelivered-1: already ran; skipped the redelivery',
    );
    expect(external.to('/redelivered')).toHaveLength(1);
    expect(await executionsOf(deployment.actionId)).toHaveLength(1);
    expect(await queueDepth(runtime.deployer.status(deployment.actionId)?.queueUrl ?? '')).toBe(0);
  });

  it('records a run past its timeout as timed_out and replaces the child', async () => {
    // GIVEN an action that never yields on 'hang' events, with a 300 ms timeout
    const module = await loggerModule('/timeout', 'timeout-api-key');
    const deployment = await fixture.deploy({
      name: 'hangs',
      code: `const logger = require('actions:logger');
        exports.onExecuteAuth0Log = async (event) => {
          if (event.data.type === 'hang') for (;;) {}
          await logger.sendLog(event.data.type, event.log_id);
        };`,
      modules: [module],
      timeoutMs: 300,
    });
    const firstPid = runtime.deployer.status(deployment.actionId)?.pid;
    expect(firstPid).toBeDefined();

    // WHEN a hanging event and then an ordinary one arrive
    await sendToQueue(deployment.actionId, busEventBody(randomUUID(), 'timeout-hang', 'hang'));
    const timedOut = await waitFor('the timed-out run', () =>
      deliveriesOf(deployment.actionId).find((delivery) => delivery.kind === 'failed'),
    );
    await sendToQueue(deployment.actionId, busEventBody(randomUUID(), 'timeout-ok', 'fp'));

    // THEN the run is recorded as timed_out, and its child was killed
    expect(timedOut.kind === 'failed' && timedOut.execution).toMatchObject({
      status: 'timed_out',
      error: { name: 'ActionTimeoutError' },
    });
    expect(formatActionDelivery(timedOut)).toMatch(
      /^ {2}action hangs v1 on timeout-hang: timed out in \d+ ms: ActionTimeoutError: /,
    );
    await waitFor('the first child to exit', () => !isRunning(firstPid as number), 2000);
    // and the next event runs in a new child
    await waitFor('the ordinary run', () =>
      deliveriesOf(deployment.actionId).find((delivery) => delivery.kind === 'ran'),
    );
    expect(external.to('/timeout')).toHaveLength(1);
    const secondPid = runtime.deployer.status(deployment.actionId)?.pid;
    expect(secondPid).toBeDefined();
    expect(secondPid).not.toBe(firstPid);
    const statuses = (await executionsOf(deployment.actionId)).map((execution) => execution.status);
    expect(statuses).toContain('timed_out');
    expect(statuses).toContain('succeeded');
  });

  it("keeps each action's secrets out of the other action's child, for one event that reaches both", async () => {
    // GIVEN two actions bound to s events, each with a secret of its own, pinning two versions of one
    // module whose secret sets differ
    const alphaModule = await loggerModule('/alpha', 'alpha-module-key');
    const bravoModule = await loggerModule(
      '/bravo',
      'bravo-module-key',
      alphaModule.moduleId,
      alphaModule.setId,
    );
    const dump = `
      const { readFileSync } = require('node:fs');
      const logger = require('actions:logger');
      exports.onExecuteAuth0Log = async (event) => {
        const reachable = {
          env: process.env,
          environ: readFileSync('/proc/self/environ', 'latin1'),
          argv: [...process.argv, ...process.execArgv],
          globals: Object.getOwnPropertyNames(globalThis),
          own: event.secrets,
          pid: process.pid,
        };
        await logger.sendLog('dump', JSON.stringify(reachable));
      };`;
    const alpha = await fixture.deploy({
      name: 'alpha',
      code: dump,
      modules: [alphaModule],
      secrets: { TOKEN: 'alpha-action-token' },
      bind: { codes: ['s'] },
    });
    const bravo = await fixture.deploy({
      name: 'bravo',
      code: dump,
      modules: [bravoModule],
      secrets: { TOKEN: 'bravo-action-token' },
      bind: { codes: ['s'] },
    });

    // WHEN one s event is put on the bus
    await fixture.putLogEvent('secrets-s-1', 's');

    // THEN each child saw its own secrets, and none of the other's
    const [alphaRequest] = await waitFor(
      'alpha’s POST',
      () => external.to('/alpha').length > 0 && external.to('/alpha'),
    );
    const [bravoRequest] = await waitFor(
      'bravo’s POST',
      () => external.to('/bravo').length > 0 && external.to('/bravo'),
    );
    const seenBy = (request: typeof alphaRequest) => JSON.parse(JSON.parse(request?.body ?? '').message);
    expect(alphaRequest?.headers['x-api-key']).toBe('alpha-module-key');
    expect(bravoRequest?.headers['x-api-key']).toBe('bravo-module-key');
    expect(seenBy(alphaRequest).own).toEqual({ TOKEN: 'alpha-action-token' });
    expect(seenBy(bravoRequest).own).toEqual({ TOKEN: 'bravo-action-token' });
    expect(alphaRequest?.body).not.toMatch(/bravo-action-token|bravo-module-key/);
    expect(bravoRequest?.body).not.toMatch(/alpha-action-token|alpha-module-key/);
    // in two processes, with no AWS credentials in their environment
    expect(seenBy(alphaRequest).pid).not.toBe(seenBy(bravoRequest).pid);
    expect(seenBy(alphaRequest).pid).toBe(runtime.deployer.status(alpha.actionId)?.pid);
    expect(seenBy(bravoRequest).pid).toBe(runtime.deployer.status(bravo.actionId)?.pid);
    for (const request of [alphaRequest, bravoRequest]) {
      expect(Object.keys(seenBy(request).env).filter((name) => /^AWS_|TOKEN/.test(name))).toEqual([]);
    }
  });

  it('runs the next event with a redeployed version and stops the old child; a bad bundle leaves it running', async () => {
    // GIVEN version 1 of an action, running
    const module = await loggerModule('/redeploy', 'redeploy-api-key');
    const v1 = await fixture.deploy({ name: 'redeploy', code: SEND_LOG_ACTION, modules: [module] });
    const v1Pid = runtime.deployer.status(v1.actionId)?.pid as number;

    // WHEN version 2 is deployed, then a version whose bundle is not the one named
    const v2 = await fixture.deploy({
      name: 'redeploy',
      actionId: v1.actionId,
      versionNumber: 2,
      code: `const logger = require('actions:logger');
        exports.onExecuteAuth0Log = async (event) => { await logger.sendLog('v2', event.log_id); };`,
      modules: [module],
    });
    const tampered = runtime.deployer.deploy({
      ...v2,
      versionId: randomUUID(),
      versionNumber: 3,
      bundle: { ...v2.bundle, sha256: '0'.repeat(64) },
    });
    await sendToQueue(v1.actionId, busEventBody(randomUUID(), 'redeploy-1', 'fp'));

    // THEN the tampered bundle is refused, version 2 runs the event, and version 1's child is gone
    await expect(tampered).rejects.toThrow(LocalActionDeployError);
    await expect(tampered).rejects.toThrow(/SHA-256/);
    await waitFor('the run', () => external.to('/redeploy').length > 0);
    expect(JSON.parse(external.to('/redeploy')[0]?.body ?? '')).toEqual({
      code: 'v2',
      message: 'redeploy-1',
    });
    expect(runtime.deployer.status(v1.actionId)).toMatchObject({ versionId: v2.versionId, versionNumber: 2 });
    await waitFor('version 1’s child to exit', () => !isRunning(v1Pid), 2000);
  });

  it('removes an action: its child stops and its queue is deleted; removing again is harmless', async () => {
    // GIVEN a deployed action
    const module = await loggerModule('/removed', 'removed-api-key');
    const deployment = await fixture.deploy({ name: 'removed', code: SEND_LOG_ACTION, modules: [module] });
    const { pid, queueUrl } = runtime.deployer.status(deployment.actionId) ?? {};
    const queueName = queueUrl?.split('/').pop();

    // WHEN it is removed, twice
    await runtime.deployer.remove(deployment.actionId);
    await runtime.deployer.remove(deployment.actionId);

    // THEN nothing of it is left
    expect(runtime.deployer.status(deployment.actionId)).toBeUndefined();
    expect(isRunning(pid as number)).toBe(false);
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: queueName }))).rejects.toThrow(
      QueueDoesNotExist,
    );
  });

  it('leaves a message that is not an EventBridge event for the DLQ, and reports it', async () => {
    const module = await loggerModule('/malformed', 'malformed-api-key');
    // (a short timeout, so that the message is visible again within a second)
    const deployment = await fixture.deploy({
      name: 'malformed',
      code: SEND_LOG_ACTION,
      modules: [module],
      timeoutMs: 500,
    });
    const marker = `not json ${randomUUID()}`;

    await sendToQueue(deployment.actionId, marker);

    const dead = await waitFor(
      'the message in the DLQ',
      async () => (await drain(sqs, runtime.dlqUrl, 0, 1000)).find((message) => message.Body === marker),
      10_000,
    );
    expect(dead.Body).toBe(marker);
    const [first] = deliveriesOf(deployment.actionId);
    expect(first && formatActionDelivery(first)).toMatch(
      /^ {2}action [-0-9a-f]+: not run: MalformedActionMessageError: .* \(attempt 1 of 2; it will be retried\)$/,
    );
    expect(external.to('/malformed')).toHaveLength(0);
  });

  it('stops every child and poller', async () => {
    // GIVEN the actions the tests above deployed, each with a child
    expect(runtime.deployer.list().length).toBeGreaterThanOrEqual(5);
    expect(actionChildren().length).toBeGreaterThanOrEqual(5);

    // WHEN the runtime stops
    await runtime.stop();

    // THEN no child is left, and nothing more is deployed
    // and no timer or child handle of the runtime is left behind
    const left = process.getActiveResourcesInfo();
    expect(left.filter((kind) => kind === 'ProcessWrap')).toEqual([]);
    expect(left.filter((kind) => kind === 'Timeout').length).toBeLessThanOrEqual(timersBefore);
    expect(actionChildren()).toEqual([]);
    expect(runtime.deployer.list()).toEqual([]);
    await expect(fixture.deploy({ name: 'late', code: SEND_LOG_ACTION })).rejects.toThrow(/was stopped/);
    expect(logger.problems).toEqual([]);
  });
});
