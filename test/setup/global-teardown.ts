import type { DevServer } from '../../tools/local/dev-server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __temporal?: DevServer }).__temporal?.stop();
}
