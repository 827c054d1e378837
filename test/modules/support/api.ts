import { handleManagementRequest } from '../../../lambdas/management/http';
import { MODULE_ROUTES } from '../../../lambdas/modules/http';
import type { LogPort } from '../../../lambdas/modules/ports';
import { ModuleRegistry, type RegistryOptions } from '../../../lambdas/modules/registry';
import type { FakePorts } from './fakes';

export interface ApiResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  readonly body: any;
  readonly text: string;
}

export type Call = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<ApiResponse>;

/** The management API over in-memory ports, called like HTTP, with every response body recorded. */
export function inMemoryApi(ports: FakePorts, options: RegistryOptions = {}) {
  const registry = new ModuleRegistry(ports, options);
  const bodies: string[] = [];
  const call: Call = async (method, path, body, headers = {}) => {
    const url = new URL(path, 'http://localhost');
    const { response } = await handleManagementRequest(
      {
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { 'content-type': 'application/json', ...lowerCase(headers) },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      },
      MODULE_ROUTES,
      { modules: registry },
      ports.logger as LogPort,
    );
    bodies.push(response.body);
    return {
      status: response.statusCode,
      headers: response.headers,
      body: response.body ? JSON.parse(response.body) : undefined,
      text: response.body,
    };
  };
  return { registry, call, bodies };
}

function lowerCase(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

export const MODULES = '/api/v2/actions/modules';
