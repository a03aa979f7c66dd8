// The bench's peer (tools/bench/peer: the lead pipeline as a BullMQ job queue on Redis) is a fair
// opponent only if it does the work: with no faults it finishes every lead, each with one report
// email and one LLM call, and a repeated post adds nothing. Speed is measured by `npm run bench`.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import pino from 'pino';
import { createActivities } from '../../activities';
import { messageIdFor } from '../../activities/mail/send-once';
import { loadConfig } from '../../config';
import { createDb, type Db } from '../../db';
import { peerApp } from '../../tools/bench/peer/app';
import { createPeerWorker } from '../../tools/bench/peer/pipeline';
import { PEER_QUEUE, type PeerJob, peerRedis } from '../../tools/bench/peer/shared';
import { activityDependencies } from '../../worker/dependencies';
import { prepareDatabase } from '../support/environment';
import { groqStandIn } from '../support/groq';
import { http, newLead, testEnv } from '../support/harness';
import { SmtpSink } from '../support/smtp-sink';
import { standInEnv } from '../support/stand-in-env';
import { tavilyStandIn } from '../support/tavily';

const LEADS = 12;
const prefix = `troupe-peer-test-${randomUUID()}`;
const tavily = tavilyStandIn();
const groq = groqStandIn();
const smtp = new SmtpSink();
let db: Db;
let redis: Redis;
let queue: Queue<PeerJob>;
let worker: ReturnType<typeof createPeerWorker>;
let server: Server;
let url = '';
let mailFrom = '';

beforeAll(async () => {
  const mysqlUrl = await prepareDatabase(`${process.env.TEST_MYSQL_DATABASE ?? 'troupe_test'}_peer`);
  await Promise.all([tavily.start(), groq.start(), smtp.start()]);
  const config = loadConfig(testEnv({ MYSQL_URL: mysqlUrl, ...standInEnv({ tavily, groq, smtp }) }));
  mailFrom = config.mail.from;
  db = createDb(mysqlUrl);
  redis = peerRedis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
  queue = new Queue<PeerJob>(PEER_QUEUE, { connection: redis, prefix });
  const deps = activityDependencies(config, db, pino({ level: 'silent' }));
  worker = createPeerWorker(createActivities(deps), { connection: redis, prefix, concurrency: 5 });
  server = peerApp(db, queue).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await worker?.close();
  await queue?.obliterate({ force: true });
  await queue?.close();
  await redis?.quit();
  await new Promise((resolve) => server?.close(resolve));
  await db?.destroy();
  await Promise.all([tavily.stop(), groq.stop(), smtp.stop()]);
});

test(`the peer finishes ${LEADS} leads NEW → COMPLETED, one report and one LLM call each`, async () => {
  const bodies = Array.from({ length: LEADS }, (_, i) => newLead({ name: `Peer Lead ${i}` }));
  const posted = await Promise.all(bodies.map((body) => http(`${url}/leads`, { body })));
  expect(posted.map((r) => r.status)).toEqual(bodies.map(() => 202));
  const ids = posted.map((r) => r.body.id as string);

  // The same email again: the existing lead, no second job.
  const again = await http(`${url}/leads`, { body: bodies[0] });
  expect([200, 202]).toContain(again.status);
  expect(again.body.id).toBe(ids[0]);

  const deadline = Date.now() + 45_000;
  let rows: { id: string; status: string }[] = [];
  while (Date.now() < deadline) {
    rows = await db.selectFrom('leads').select(['id', 'status']).where('id', 'in', ids).execute();
    if (rows.every((r) => r.status === 'COMPLETED')) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(rows.map((r) => r.status)).toEqual(ids.map(() => 'COMPLETED'));

  for (const id of ids) {
    const messageId = messageIdFor(`lead-report:${id}`, mailFrom);
    expect(smtp.received.filter((m) => m.messageId === messageId)).toHaveLength(1);
  }
  const llmCalls = groq.requestsTo('/openai/v1/chat/completions');
  expect(llmCalls).toHaveLength(LEADS);
  expect(await queue.getJobCounts('completed', 'failed')).toEqual({ completed: LEADS, failed: 0 });
});
