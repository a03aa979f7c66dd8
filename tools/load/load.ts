// `npm run load`: sustained load on the lead and booking start routes, to show that Troupe keeps
// answering and does not grow without bound. An in-memory dev server, one API and one worker process
// (as production runs them), rate limits raised; autocannon drives POST /api/v1/leads and
// POST /api/v1/bookings at the same time for --duration seconds (default 60), then the run drains.
// Reports per route: requests, throughput, error rate (5xx, timeouts, connection errors; a 409 for a
// taken seat is an answer, not an error), p50/p99; the API's and the worker's resident memory sampled
// every 5 s (start, end, peak); and that every accepted lead is in MySQL. JSON in data/load/.
// Bounded: it stops by itself after the load and a drain of at most 60 s; 127.0.0.1 only.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createDb } from '../../db';
import { prepareRunEnvironment } from '../../test/support/environment';
import { eventually, newLead } from '../../test/support/harness';
import { createShow } from '../../test/support/inventory';
import { startTroupeProcesses } from '../../test/support/troupe-processes';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    connections: { type: 'string', default: '10' },
    shows: { type: 'string', default: '20' },
  },
});

function bounded(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`--${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

const duration = bounded('duration', args.duration, 5, 600);
const connections = bounded('connections', args.connections, 1, 200);
const showCount = bounded('shows', args.shows, 1, 200);
const SEATS_PER_SHOW = 120;

/** Resident memory of a process in MiB, from /proc (Linux); undefined once it is gone. */
function rssMiB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    return line ? Math.round(Number(line[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

interface RouteFigures {
  requests: number;
  perSecond: number;
  status: Record<string, number>;
  errors: number;
  errorRate: number;
  p50Ms: number;
  p99Ms: number;
}

function figures(result: autocannon.Result, isAnswer: (status: number) => boolean): RouteFigures {
  const status = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat?.count ?? 0]),
  );
  const answered = Object.values(status).reduce((a, b) => a + b, 0);
  const unexpected = Object.entries(status)
    .filter(([code]) => !isAnswer(Number(code)))
    .reduce((sum, [, count]) => sum + count, 0);
  const errors = unexpected + result.errors + result.timeouts;
  const requests = answered + result.errors + result.timeouts;
  return {
    requests,
    perSecond: Math.round(answered / result.duration),
    status,
    errors,
    errorRate: requests ? errors / requests : 0,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'troupe-load-'));
  const { server, mysqlUrl } = await prepareRunEnvironment('troupe_load');
  const troupe = await startTroupeProcesses({
    temporalAddress: server.address,
    mysqlUrl,
    apis: 1,
    workers: 1,
    dataDir,
  });
  const db = createDb(mysqlUrl);
  try {
    const api = troupe.apis[0]?.url ?? '';
    const shows = await Promise.all(Array.from({ length: showCount }, () => createShow(db)));
    const seatIds = new Map<number, string[]>();
    for (const showId of shows) {
      const seats = await db.selectFrom('seats').innerJoin('shows', 'shows.screen_id', 'seats.screen_id');
      const rows = await seats.select('seats.label').where('shows.id', '=', showId).execute();
      seatIds.set(showId, rows.map((r) => r.label).slice(0, SEATS_PER_SHOW));
    }
    const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)] as T;

    const processes = {
      api: troupe.apis[0]?.part.child.pid,
      worker: troupe.workers[0]?.child.pid,
    };
    const memory: { at: number; api?: number; worker?: number }[] = [];
    const started = Date.now();
    const sampleMemory = () =>
      memory.push({
        at: Math.round((Date.now() - started) / 1000),
        api: rssMiB(processes.api),
        worker: rssMiB(processes.worker),
      });
    sampleMemory();
    const sampler = setInterval(sampleMemory, 5_000);

    const acceptedIds: string[] = [];
    /** autocannon POSTing a fresh JSON body per request to `path` for the whole run. */
    const post = (path: string, body: () => object, onResponse?: (status: number, body: string) => void) =>
      autocannon({
        url: api,
        connections,
        duration,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path,
            headers: { 'content-type': 'application/json' },
            setupRequest: (req) => ({ ...req, body: JSON.stringify(body()) }),
            onResponse,
          },
        ],
      });
    console.log(
      `Load: ${duration} s, ${connections} connections per route, POST /leads and POST /bookings at once…`,
    );
    const [leads, bookings] = await Promise.all([
      post(
        '/api/v1/leads',
        () => newLead(),
        (status, body) => {
          if (status === 202) acceptedIds.push(JSON.parse(body).id);
        },
      ),
      post('/api/v1/bookings', () => {
        const showId = pick(shows);
        return {
          showId,
          seatIds: [pick(seatIds.get(showId) ?? [])],
          customer: { name: 'Load Test', email: 'load@troupe.test' },
        };
      }),
    ]);
    const leadFigures = figures(leads, (s) => s === 202 || s === 200);
    const bookingFigures = figures(bookings, (s) => s === 201 || s === 409);

    // Drain: every accepted lead must be in MySQL and finish; wait up to 60 s for the queue to empty.
    const leadCounts = async () => {
      const rows = await db
        .selectFrom('leads')
        .select(['status', db.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    };
    let drained = true;
    try {
      await eventually(
        async () => {
          const counts = await leadCounts();
          const open = Object.entries(counts).filter(([s]) => s !== 'COMPLETED' && s !== 'FAILED');
          if (open.some(([, n]) => n > 0)) throw new Error('leads still running');
        },
        60_000,
        1_000,
      );
    } catch {
      drained = false;
    }
    sampleMemory();
    clearInterval(sampler);
    const leadRows = await leadCounts();
    // Every lead the API accepted (answered 202 with its id) must be in MySQL.
    const found = new Set<string>();
    for (let i = 0; i < acceptedIds.length; i += 500) {
      const ids = acceptedIds.slice(i, i + 500);
      for (const r of await db.selectFrom('leads').select('id').where('id', 'in', ids).execute())
        found.add(r.id);
    }
    const accepted = acceptedIds.length;
    const missing = acceptedIds.filter((id) => !found.has(id));

    const mem = (who: 'api' | 'worker') => {
      const values = memory.map((m) => m[who]).filter((v): v is number => v !== undefined);
      return { startMiB: values[0], endMiB: values.at(-1), peakMiB: Math.max(...values) };
    };
    const report = {
      at: new Date().toISOString(),
      machine: {
        cores: os.cpus().length,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        load: os.loadavg(),
      },
      options: { duration, connections, shows: showCount },
      leads: leadFigures,
      bookings: bookingFigures,
      leadsAccepted: accepted,
      leadsMissingFromMysql: missing.length,
      leadStatuses: leadRows,
      drainedWithin60s: drained,
      memory: { api: mem('api'), worker: mem('worker'), samples: memory },
    };

    const row = (name: string, f: RouteFigures) =>
      `  ${name.padEnd(15)} ${String(f.requests).padStart(7)} ${String(f.perSecond).padStart(7)}/s ` +
      `${(100 * f.errorRate).toFixed(2).padStart(6)} % ${String(f.p50Ms).padStart(6)} ms ${String(f.p99Ms).padStart(6)} ms  ${JSON.stringify(f.status)}`;
    console.log(`\n  route           requests  throughput  errors     p50       p99  answers`);
    console.log(row('POST /leads', leadFigures));
    console.log(row('POST /bookings', bookingFigures));
    console.log(
      `\n  leads accepted (202) ${accepted}, missing from MySQL ${missing.length}; lead statuses ${JSON.stringify(leadRows)}${drained ? '' : ' (not all finished within 60 s of the load)'}`,
    );
    for (const who of ['api', 'worker'] as const) {
      const m = mem(who);
      console.log(
        `  ${who.padEnd(6)} memory (RSS): start ${m.startMiB} MiB, end ${m.endMiB} MiB, peak ${m.peakMiB} MiB`,
      );
    }
    console.log(`  machine: ${report.machine.cores} cores, load ${os.loadavg()[0]?.toFixed(2)}`);
    const dir = path.join('data', 'load');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${report.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`  JSON: ${file}`);
    if (missing.length > 0) {
      console.error(
        `LOST: ${missing.length} accepted leads are not in MySQL, e.g. ${missing.slice(0, 3).join(', ')}`,
      );
      process.exitCode = 1;
    }
    const serverErrors = [leadFigures, bookingFigures].flatMap((f) =>
      Object.entries(f.status).filter(([code, n]) => Number(code) >= 500 && n > 0),
    );
    if (serverErrors.length > 0) {
      console.error(`5xx answers under load: ${JSON.stringify(serverErrors)}`);
      process.exitCode = 1;
    }
  } finally {
    await db.destroy();
    await troupe.stop();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
