/**
 * The management API (modules and actions) over the in-memory ports, behind the real local server with its
 * management token, on a free loopback port; and `a0bridge` run in-process against it with a given stdin.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { ACTION_ROUTES } from '../../../lambdas/actions/http';
import type { ActionLimits } from '../../../lambdas/actions/limits';
import { ActionRegistry } from '../../../lambdas/actions/registry';
import { fromFunctionUrlEvent, handleManagementRequest } from '../../../lambdas/management/http';
import { MODULE_ROUTES } from '../../../lambdas/modules/http';
import { ModuleRegistry } from '../../../lambdas/modules/registry';
import type { FunctionUrlHandler } from '../../../local/function-url';
import { createLocalServer, listen } from '../../../local/server';
import { runCli } from '../../modules/support/cli-io';
import type { FakePorts } from '../../modules/support/fakes';
import { type FakeActionPorts, fakeStack } from './fakes';

export interface CliStack {
  readonly url: string;
  readonly token: string;
  /** The ports of the stack the server serves now; `reset` swaps in fresh ones. */
  readonly ports: () => { modules: FakePorts; actions: FakeActionPorts };
  reset(limits?: Partial<ActionLimits>): void;
  close(): Promise<void>;
}

export async function startCliStack(): Promise<CliStack> {
  let stack = fakeStack();
  let context = contextOf(stack, {});
  const management: FunctionUrlHandler = async (event) => {
    const { response } = await handleManagementRequest(
      fromFunctionUrlEvent(event),
      [...MODULE_ROUTES, ...ACTION_ROUTES],
      context,
      stack.modules.logger,
    );
    return response as APIGatewayProxyResultV2;
  };
  const ingest: FunctionUrlHandler = async () => ({ statusCode: 404, body: 'no ingest in this test' });
  const token = randomBytes(18).toString('base64url');
  const server = createLocalServer({ ingest, management: { handler: management, token } });
  const port = await listen(server, 0);
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    ports: () => stack,
    reset: (limits = {}) => {
      stack = fakeStack();
      context = contextOf(stack, limits);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function contextOf(stack: ReturnType<typeof fakeStack>, limits: Partial<ActionLimits>) {
  return {
    modules: new ModuleRegistry(stack.modules),
    actions: new ActionRegistry(stack.actions, {
      eventSource: 'auth0.logs',
      rulePrefix: 'a0b-action-',
      limits,
    }),
  };
}

export type { CliRun } from '../../modules/support/cli-io';

export interface CliInput {
  readonly stdin?: string;
  /** Run as from a terminal: secret values come from the (hidden) prompt. */
  readonly prompt?: string;
  readonly env?: Record<string, string | undefined>;
}

/** `a0bridge <args>` in-process with only the environment given and `stdin` as its input; confirms nothing. */
export function a0bridge(args: string[], input: CliInput = {}) {
  return runCli(args, { ...input, confirm: false });
}
