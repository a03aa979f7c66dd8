import type { DevServer } from '../../scripts/dev-server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __temporal?: DevServer }).__temporal?.stop();
}
