// One Temporal dev server (in memory), one fresh MySQL database and one workflow bundle for the
// whole run; test files read their addresses from the environment.
import { prepareRunEnvironment } from '../support/environment';

export default async function globalSetup(): Promise<void> {
  const { server } = await prepareRunEnvironment(process.env.TEST_MYSQL_DATABASE ?? 'troupe_test');
  (globalThis as { __temporal?: typeof server }).__temporal = server;
}
