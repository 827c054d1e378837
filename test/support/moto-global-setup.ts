import type { TestProject } from 'vitest/node';
import { type MotoServer, startMoto } from '../../local/moto';

declare module 'vitest' {
  export interface ProvidedContext {
    awsEndpoint: string;
  }
}

let moto: MotoServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  moto = await startMoto();
  project.provide('awsEndpoint', moto.endpoint);
}

export async function teardown(): Promise<void> {
  await moto?.stop();
}
