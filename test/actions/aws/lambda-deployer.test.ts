import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreatePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import {
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionEventInvokeConfigCommand,
  GetPolicyCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { removeAllActionResources } from '../../../lambdas/actions/aws/cleanup';
import {
  ACTION_ROLE_POLICY,
  ActionDeployError,
  actionRolePolicy,
  LambdaActionDeployer,
  type LambdaActionDeployerProps,
} from '../../../lambdas/actions/aws/lambda-deployer';
import { createZip } from '../../../lambdas/actions/aws/zip';
import { desiredRules, EventBridgeBindingRules } from '../../../lambdas/actions/bindings/rules';
import { HOST_ENVIRONMENT, readHostEnvironment } from '../../../lambdas/actions/host/contract';
import type { ActionDeployment, ArtifactRef } from '../../../lambdas/actions/model';
import { clientConfig } from '../../../local/provision';
import { emulator, REGION, uniqueName } from '../../support/aws';

const ACCOUNT = '123456789012';

/** Bundles by SHA-256, as the S3 artifact store keeps them. */
class MemoryArtifacts {
  private readonly objects = new Map<string, Buffer>();

  public put(text: string): ArtifactRef {
    const content = Buffer.from(text);
    const sha256 = createHash('sha256').update(content).digest('hex');
    this.objects.set(sha256, content);
    return { bucket: 'artifacts', key: `actions/bundles/sha256/${sha256}.js`, sha256, bytes: content.length };
  }

  public async get(ref: ArtifactRef): Promise<Buffer> {
    const content = this.objects.get(ref.sha256);
    if (!content) throw new Error(`no artifact ${ref.sha256}`);
    return content;
  }
}

function deployment(
  artifacts: MemoryArtifacts,
  overrides: Partial<ActionDeployment> & { code?: string } = {},
): ActionDeployment {
  const { code, ...rest } = overrides;
  return {
    actionId: randomUUID(),
    actionName: 'notify-slack',
    versionId: randomUUID(),
    versionNumber: 1,
    bundle: artifacts.put(code ?? `exports.onExecuteAuth0Log = async () => {}; // ${randomUUID()}`),
    triggers: [{ id: 'auth0-log', version: 'v1' }],
    moduleSecretSets: [],
    timeoutMs: 20_000,
    ...rest,
  };
}

describe('LambdaActionDeployer on moto', () => {
  const aws = emulator();
  const lambda = new LambdaClient(clientConfig(aws));
  const iam = new IAMClient(clientConfig(aws));
  const events = new EventBridgeClient(clientConfig(aws));
  const artifacts = new MemoryArtifacts();
  const prefix = `${uniqueName('a0b')}-`;
  const busName = uniqueName('actions-bus');
  let props: LambdaActionDeployerProps;
  let deployer: LambdaActionDeployer;

  beforeAll(async () => {
    const boundary = await iam.send(
      new CreatePolicyCommand({
        PolicyName: uniqueName('action-boundary'),
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: '*' }],
        }),
      }),
    );
    await events.send(new CreateEventBusCommand({ Name: busName }));
    props = {
      partition: 'aws',
      region: REGION,
      accountId: ACCOUNT,
      functionPrefix: prefix,
      rolePrefix: prefix,
      rulePrefix: prefix,
      permissionsBoundaryArn: boundary.Policy?.Arn ?? '',
      executionsTable: 'executions',
      executionTtlDays: 10,
      busName,
      emitSource: 'auth0.actions',
      deadLetterArn: `arn:aws:sqs:${REGION}:${ACCOUNT}:actions-dlq`,
      maxRetryAttempts: 8,
      maxEventAgeSeconds: 3600,
      secretsPrefix: 'tenant-a',
      memorySize: 256,
    };
    deployer = new LambdaActionDeployer(
      { lambda, iam, artifacts, host: async () => Buffer.from('export const handler = async () => {};\n') },
      props,
    );
  });

  const liveVersion = async (functionName: string) =>
    (await lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: 'live' }))).FunctionVersion;
  const liveEnvironment = async (functionName: string) =>
    (await lambda.send(new GetFunctionCommand({ FunctionName: functionName, Qualifier: 'live' })))
      .Configuration?.Environment?.Variables ?? {};

  it('creates the role under the boundary, the function, a version and the live alias EventBridge may invoke', async () => {
    // GIVEN a first version of an action
    const first = deployment(artifacts);
    const functionName = `${prefix}${first.actionId}`;

    // WHEN it is deployed
    await deployer.deploy(first);

    // THEN the role exists with the permissions boundary and the action's policy
    const role = (await iam.send(new GetRoleCommand({ RoleName: functionName }))).Role;
    expect(role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(props.permissionsBoundaryArn);
    expect(decodeURIComponent(role?.AssumeRolePolicyDocument ?? '')).toContain('lambda.amazonaws.com');
    // AND the function runs the host on Node.js 22, arm64, with the action's timeout plus the margin
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: functionName }));
    expect(fn.Configuration).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'host.handler',
      Timeout: 30,
      MemorySize: 256,
      Role: role?.Arn,
    });
    // AND the live alias points at version 1, whose environment is the deployment's contract
    expect(await liveVersion(functionName)).toBe('1');
    expect(readHostEnvironment(await liveEnvironment(functionName)).deployment).toEqual(first);
    // AND a run that throws or times out is retried by Lambda, then dead-lettered
    const failures = await lambda.send(
      new GetFunctionEventInvokeConfigCommand({ FunctionName: functionName, Qualifier: 'live' }),
    );
    expect(failures).toMatchObject({
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: props.deadLetterArn } },
    });
    // AND EventBridge may invoke the alias from the bus's binding rules only
    const policy = JSON.parse(
      (await lambda.send(new GetPolicyCommand({ FunctionName: functionName, Qualifier: 'live' }))).Policy ??
        '{}',
    );
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0]).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Principal: { Service: 'events.amazonaws.com' },
      Condition: {
        ArnLike: { 'AWS:SourceArn': `arn:aws:events:${REGION}:${ACCOUNT}:rule/${busName}/${prefix}*` },
      },
    });
  });

  it('moves the alias to a new version on redeploy, publishes nothing new for the same version, and rolls back', async () => {
    // GIVEN an action deployed at version 1
    const v1 = deployment(artifacts);
    const functionName = `${prefix}${v1.actionId}`;
    await deployer.deploy(v1);

    // WHEN version 2 is deployed
    const v2 = deployment(artifacts, { actionId: v1.actionId, versionNumber: 2, timeoutMs: 5000 });
    await deployer.deploy(v2);
    // THEN the alias points at a new Lambda version running version 2
    expect(await liveVersion(functionName)).toBe('2');
    expect((await liveEnvironment(functionName))[HOST_ENVIRONMENT.versionId]).toBe(v2.versionId);

    // WHEN version 2 is deployed again
    await deployer.deploy(v2);
    // THEN nothing new is published
    expect(await liveVersion(functionName)).toBe('2');

    // WHEN version 1 is deployed again (a rollback)
    await deployer.deploy(v1);
    // THEN the alias moves to a version running version 1's bundle and settings
    expect(await liveVersion(functionName)).toBe('3');
    expect((await liveEnvironment(functionName))[HOST_ENVIRONMENT.versionId]).toBe(v1.versionId);
    const live = await lambda.send(new GetFunctionCommand({ FunctionName: functionName, Qualifier: 'live' }));
    expect(live.Configuration?.Timeout).toBe(30);
    const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: functionName }));
    expect(versions.Versions?.map((version) => version.Version)).toEqual(['$LATEST', '1', '2', '3']);
  });

  it('lets the role read only its own secret and its pinned modules’ secrets', async () => {
    // GIVEN a version with secrets that pins two modules, one of them without secrets
    const moduleWithSecrets = randomUUID();
    const moduleWithout = randomUUID();
    const pinned = deployment(artifacts, {
      secretsSetId: 'set-1',
      moduleSecretSets: [
        { moduleId: moduleWithSecrets, moduleName: 'slack', setId: 'm-set' },
        { moduleId: moduleWithout, moduleName: 'format' },
      ],
    });

    // WHEN it is deployed
    await deployer.deploy(pinned);

    // THEN the role's policy names exactly those two secrets, with Secrets Manager's suffix
    const stored = await iam.send(
      new GetRolePolicyCommand({ RoleName: `${prefix}${pinned.actionId}`, PolicyName: ACTION_ROLE_POLICY }),
    );
    const document = JSON.parse(decodeURIComponent(stored.PolicyDocument ?? '{}'));
    expect(document).toEqual(actionRolePolicy(pinned, props));
    const secretArns = document.Statement.filter((s: { Action: unknown }) =>
      [s.Action].flat().some((a) => String(a).startsWith('secretsmanager:')),
    ).flatMap((s: { Resource: string[] }) => s.Resource);
    expect(secretArns).toEqual([
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tenant-a/actions/${pinned.actionId}-??????`,
      `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:tenant-a/modules/${moduleWithSecrets}-??????`,
    ]);
    // AND its executions only under its own keys, and events only with the actions' source
    const statement = (sid: string) => document.Statement.find((s: { Sid: string }) => s.Sid === sid);
    expect(statement('OwnExecutions').Condition).toEqual({
      'ForAllValues:StringLike': {
        'dynamodb:LeadingKeys': [
          `run#${pinned.actionId}#*`,
          `action#${pinned.actionId}`,
          `exec#${pinned.actionId}.*`,
        ],
      },
    });
    expect(statement('EmitEvents')).toMatchObject({
      Resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${busName}`,
      Condition: { StringEquals: { 'events:source': 'auth0.actions' } },
    });
    expect(statement('DeadLetters')).toMatchObject({
      Action: 'sqs:SendMessage',
      Resource: props.deadLetterArn,
    });
    expect(statement('OwnLogStreams').Resource).toBe(
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${prefix}${pinned.actionId}:*`,
    );
    expect(JSON.stringify(document)).not.toContain(moduleWithout);
  });

  it('adds kms:Decrypt through Secrets Manager only, and only with a key and a secret to read', () => {
    const artifactsOnly = new MemoryArtifacts();
    const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234`;
    const withSecrets = actionRolePolicy(deployment(artifactsOnly, { secretsSetId: 's' }), {
      ...props,
      secretsKmsKeyArn: keyArn,
    });
    expect(withSecrets.Statement.find((s) => s.Sid === 'DecryptSecrets')).toEqual({
      Sid: 'DecryptSecrets',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: keyArn,
      Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` } },
    });
    const without = actionRolePolicy(deployment(artifactsOnly), { ...props, secretsKmsKeyArn: keyArn });
    expect(without.Statement.map((s) => s.Sid)).toEqual([
      'OwnExecutions',
      'EmitEvents',
      'DeadLetters',
      'OwnLogGroup',
      'OwnLogStreams',
    ]);
  });

  it('targets the live alias with the DLQ and retry policy', () => {
    const id = randomUUID();
    expect(deployer.targetFor(id)).toEqual({
      id: 'action',
      arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${prefix}${id}:live`,
      deadLetterArn: props.deadLetterArn,
      maxRetryAttempts: 8,
      maxEventAgeSeconds: 3600,
    });
  });

  it('removes the function and the role, and removing again is harmless', async () => {
    // GIVEN a deployed action
    const deployed = deployment(artifacts, { secretsSetId: 'set-1' });
    const name = `${prefix}${deployed.actionId}`;
    await deployer.deploy(deployed);

    // WHEN it is removed, twice
    await deployer.remove(deployed.actionId);
    await deployer.remove(deployed.actionId);

    // THEN neither the function nor the role is left
    await expect(lambda.send(new GetFunctionCommand({ FunctionName: name }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
    await expect(iam.send(new GetRoleCommand({ RoleName: name }))).rejects.toBeInstanceOf(
      NoSuchEntityException,
    );
  });

  it('refuses a bundle whose bytes do not match its SHA-256, and an id that would widen its patterns', async () => {
    const tampered = deployment(artifacts);
    await expect(
      deployer.deploy({ ...tampered, bundle: { ...tampered.bundle, sha256: 'f'.repeat(64) } }),
    ).rejects.toThrow(/no artifact|SHA-256/);
    await expect(deployer.deploy(deployment(artifacts, { actionId: 'abc*' }))).rejects.toThrow(
      ActionDeployError,
    );
    expect(() => deployer.targetFor('a#b')).toThrow(/cannot name a function/);
  });

  it('removes every binding rule, function and role under the prefixes when the stack is deleted', async () => {
    // GIVEN two deployed actions, one of them bound by a managed rule
    const a = deployment(artifacts);
    const b = deployment(artifacts);
    await deployer.deploy(a);
    await deployer.deploy(b);
    const rules = new EventBridgeBindingRules(events, { busName, prefix, tags: {} });
    await rules.sync(
      desiredRules([{ triggerId: 'auth0-log', actionId: a.actionId, actionName: a.actionName }], {
        source: 'auth0.logs',
        prefix,
        targetFor: (binding) => deployer.targetFor(binding.actionId),
      }),
    );
    const listRules = async () =>
      (await events.send(new ListRulesCommand({ EventBusName: busName, NamePrefix: prefix }))).Rules ?? [];
    const [rule] = await listRules();
    const targets = await events.send(
      new ListTargetsByRuleCommand({ Rule: rule?.Name, EventBusName: busName }),
    );
    expect(targets.Targets?.[0]?.Arn).toBe(deployer.targetFor(a.actionId).arn);

    // WHEN the cleanup runs
    const removed = await removeAllActionResources(
      { functionPrefix: prefix, rolePrefix: prefix },
      { lambda, iam, rules, logger: { debug() {}, info() {}, warn() {}, error() {} } },
    );

    // THEN no rule, function or role is left under the prefix
    expect(await listRules()).toEqual([]);
    expect(removed.functions).toEqual(
      expect.arrayContaining([`${prefix}${a.actionId}`, `${prefix}${b.actionId}`]),
    );
    for (const id of [a.actionId, b.actionId]) {
      await expect(
        lambda.send(new GetFunctionCommand({ FunctionName: `${prefix}${id}` })),
      ).rejects.toBeInstanceOf(ResourceNotFoundException);
      await expect(iam.send(new GetRoleCommand({ RoleName: `${prefix}${id}` }))).rejects.toBeInstanceOf(
        NoSuchEntityException,
      );
    }
  });
});

describe('createZip', () => {
  it('writes a deterministic archive that unzip reads back byte for byte', () => {
    // GIVEN two files, one of them compressible and one not
    const host = Buffer.from('export const handler = async () => "ok";\n'.repeat(200));
    const bundle = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256));

    // WHEN they are zipped twice
    const zip = createZip([
      { name: 'host.mjs', content: host },
      { name: 'bundle.js', content: bundle },
    ]);
    const again = createZip([
      { name: 'host.mjs', content: host },
      { name: 'bundle.js', content: bundle },
    ]);

    // THEN the bytes are equal, and Python's zipfile finds both files intact, with their modes
    expect(again.equals(zip)).toBe(true);
    const python = spawnSync(
      'python3',
      [
        '-c',
        [
          'import sys, zipfile, io, hashlib, json',
          'z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))',
          'assert z.testzip() is None',
          'print(json.dumps({i.filename: [hashlib.sha256(z.read(i)).hexdigest(), oct(i.external_attr >> 16)] for i in z.infolist()}))',
        ].join('\n'),
      ],
      { input: zip },
    );
    expect(python.stderr.toString()).toBe('');
    const sha = (content: Buffer) => createHash('sha256').update(content).digest('hex');
    expect(JSON.parse(python.stdout.toString())).toEqual({
      'host.mjs': [sha(host), '0o100644'],
      'bundle.js': [sha(bundle), '0o100644'],
    });
    expect(zip.length).toBeLessThan(host.length + bundle.length);
  });

  it('refuses paths that leave the package and duplicate names', () => {
    expect(() => createZip([{ name: '../x', content: Buffer.from('') }])).toThrow(/relative path/);
    expect(() =>
      createZip([
        { name: 'a', content: Buffer.from('') },
        { name: 'a', content: Buffer.from('') },
      ]),
    ).toThrow(/twice/);
  });
});
