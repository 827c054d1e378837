/** The IPC messages between ActionProcess (local-process.ts) and its child (child.ts), as JSON. */
import type { TriggerId } from '../bindings/triggers';
import type { ExecutionResult } from './execute';
import type { Recording } from './recorded-api';

export type ParentMessage =
  | {
      readonly type: 'init';
      readonly bundlePath: string;
      readonly secrets: Readonly<Record<string, string>>;
      readonly moduleSecrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
    }
  | {
      readonly type: 'run';
      readonly id: number;
      readonly event: object;
      readonly handlerName: string;
      /** Whose `api` the handler gets (recorded-api.ts). */
      readonly triggerId: TriggerId;
      readonly timeoutMs: number;
      readonly maxLogBytes?: number;
    }
  | { readonly type: 'emitted'; readonly id: number; readonly error?: { name: string; message: string } };

export type ChildMessage =
  /** Sent once the child listens for messages: nothing is sent to it before. */
  | { readonly type: 'hello' }
  | { readonly type: 'ready' }
  | { readonly type: 'init-failed'; readonly message: string }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly result: ExecutionResult;
      /** Checked again by the parent (`sanitizeRecording`): the child runs the action's code. */
      readonly recorded?: Recording;
    }
  | { readonly type: 'emit'; readonly id: number; readonly detailType: string; readonly detail: unknown }
  | { readonly type: 'fatal'; readonly error: { name: string; message: string } };
