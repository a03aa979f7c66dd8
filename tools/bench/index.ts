// `npm run bench [-- --quick] [-- --against <TEMPORAL_ADDRESS>]`: Troupe against a bare-Temporal
// baseline on the same server in the same run. Sections: (1) start path, (2) end to end, (3) seat
// contention, (4) worker start-up, (5) scale with 1, 2, 4 workers, (6) the cost of outbound webhooks.
// Prints a table, writes data/bench/<timestamp>.json and an SVG chart beside it. --quick is CI-sized (under 2 minutes).
// `--peer [--leads N]`: only the side-by-side with the BullMQ peer (tools/bench/peer), 200 leads.
// `--memory [--leads N] [--window S]`: the worker's RSS with N queued leads (2,000), cache bounded vs not.
// `--profile`: the start path and the races with Troupe's API and worker as processes under
// `node --cpu-prof`; writes data/bench/<timestamp>-profile/{api,worker}.cpuprofile and their summary.
import { execSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { barsOf, svgChart } from './chart';
import { race, uncontendedBooking } from './contention';
import { formatSummary, summarize } from './cpu-profile';
import { endToEnd } from './end-to-end';
import { startWorld } from './env';
import { memorySection } from './memory';
import { peerRows, peerSection } from './peer/section';
import { scale } from './scale';
import { startPath } from './start-path';
import { workerStartup } from './startup';
import { latency, round } from './stats';
import { webhookCost } from './webhooks';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const against = args.includes('--against') ? args[args.indexOf('--against') + 1] : undefined;
const size = quick
  ? {
      starts: 60,
      startConcurrency: 10,
      leads: 5,
      burst: 10,
      races: [50, 200],
      scaleWorkers: [1, 2],
      webhookLeads: 40,
    }
  : {
      starts: 400,
      startConcurrency: 20,
      leads: 20,
      burst: 20,
      races: [50, 200, 500],
      scaleWorkers: [1, 2, 4],
      webhookLeads: 200,
    };

const git = (cmd: string) => {
  try {
    return execSync(`git ${cmd}`, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};
const version = (pkg: string) =>
  JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version;

/** utime + stime of each process from /proc (Linux), in seconds. */
function cpuSeconds(pids: Record<string, number | undefined>): Record<string, number> {
  const tick = 100; // USER_HZ on Linux
  const out: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      out[name] = (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      // Gone or not Linux: left out.
    }
  }
  return out;
}

const mysqlPid = () => {
  try {
    return Number(execSync('pidof mariadbd mysqld', { encoding: 'utf8' }).trim().split(' ')[0]) || undefined;
  } catch {
    return undefined;
  }
};

const machine = () => ({
  cores: os.cpus().length,
  cpu: os.cpus()[0]?.model,
  memoryGb: Math.round(os.totalmem() / 2 ** 30),
  loadAverage: os.loadavg(),
});

function writeRun(name: string, run: object): string {
  const dir = path.join(process.cwd(), 'data', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
  return file;
}

async function peerOnly() {
  const startedAt = new Date().toISOString();
  const commit = git('rev-parse --short HEAD');
  const dirty = git('status --porcelain') !== '';
  const leads = numberArg('--leads', quick ? 40 : 200);
  const loadAtStart = os.loadavg();
  const comparison = await peerSection({ leads, log: (s) => console.error(`[bench] ${s}`) });
  printRows(peerRows(comparison));
  const file = writeRun(`${startedAt.replace(/[:.]/g, '-')}-peer`, {
    startedAt,
    commit,
    dirty,
    machine: { ...machine(), loadAverageAtStart: loadAtStart },
    versions: {
      node: process.version,
      temporalSdk: version('@temporalio/worker'),
      bullmq: version('bullmq'),
    },
    peer: comparison,
  });
  console.log(`\nWrote ${path.relative(process.cwd(), file)}`);
}

async function profileOnly() {
  const startedAt = new Date().toISOString();
  const commit = git('rev-parse --short HEAD');
  const dirty = git('status --porcelain') !== '';
  const stamp = `${startedAt.replace(/[:.]/g, '-')}${quick ? '-quick' : ''}-profile`;
  const dir = path.join(process.cwd(), 'data', 'bench', stamp);
  mkdirSync(dir, { recursive: true });
  const loadAtStart = os.loadavg();
  const log = (s: string) => console.error(`[bench] ${s}`);
  const world = await startWorld({ against, profileDir: dir });
  const cpuShare: Record<string, number> = {};
  let start: Awaited<ReturnType<typeof startPath>>;
  let uncontended: Awaited<ReturnType<typeof uncontendedBooking>>;
  const contention = [];
  const measured = { from: 0, to: 0 };
  const profiled = world.troupe as unknown as {
    startedAt: Record<'api' | 'worker', number>;
    pids: { api?: number; worker?: number };
  };
  // CPU seconds each process spent in the measured sections: where the machine's time went.
  const pids: Record<string, number | undefined> = {
    'Troupe API': profiled.pids.api,
    'Troupe worker': profiled.pids.worker,
    'Temporal dev server': world.temporalPid,
    'bench (client, stand-ins, baseline workers)': process.pid,
    'MariaDB (shared with other users of this machine)': mysqlPid(),
  };
  let cpuBefore: Record<string, number> = {};
  try {
    log('warm-up (profiled)');
    await endToEnd(world, 2, 1);
    measured.from = Date.now();
    cpuBefore = cpuSeconds(pids);
    log('(1) start path (profiled)');
    start = await startPath(world, size.starts, size.startConcurrency, latency);
    log('(3) contention (profiled)');
    uncontended = await uncontendedBooking(world, 10);
    for (const n of size.races) contention.push(await race(world, n, uncontended.p50));
    measured.to = Date.now();
  } finally {
    const after = cpuSeconds(pids);
    Object.assign(
      cpuShare,
      Object.fromEntries(Object.entries(after).map(([k, v]) => [k, round(v - (cpuBefore[k] ?? 0), 2)])),
    );
    log('stopping the API and the worker (SIGTERM) so V8 writes their profiles');
    await world.stop();
  }
  // Only the measured sections: not the processes' start-up (module loading), warm-up or shutdown.
  const spawned = (world.troupe as unknown as { startedAt: Record<'api' | 'worker', number> }).startedAt;
  const summaries = (['api', 'worker'] as const).map((name) =>
    summarize(path.join(dir, `${name}.cpuprofile`), 25, {
      fromMs: measured.from - spawned[name],
      toMs: measured.to - spawned[name],
    }),
  );
  print({
    size,
    startPath: start,
    endToEnd: [],
    uncontendedBooking: uncontended,
    contention,
    workerStartup: { prebuiltMs: '', onTheFlyMs: '' },
    scale: [],
  });
  const wall = round((measured.to - measured.from) / 1000, 1);
  const cpuText = [
    `CPU seconds per process during the measured sections (${wall} s wall, ${os.cpus().length} cores):`,
    ...Object.entries(cpuShare).map(([k, v]) => `  ${String(v).padStart(7)} s  ${k}`),
  ].join('\n');
  const text = [cpuText, ...summaries.map(formatSummary)].join('\n\n');
  console.log(text);
  writeFileSync(path.join(dir, 'summary.txt'), `${text}\n`);
  const file = writeRun(stamp, {
    startedAt,
    mode: quick ? 'quick' : 'full',
    commit,
    dirty,
    machine: { ...machine(), loadAverageAtStart: loadAtStart },
    size,
    startPath: start,
    uncontendedBooking: uncontended,
    contention,
    cpuSeconds: { wallSeconds: wall, ...cpuShare },
    profiles: summaries.map((s) => ({ ...s, file: path.relative(process.cwd(), s.file) })),
  });
  console.log(
    `\nWrote ${path.relative(process.cwd(), file)}, ${path.relative(process.cwd(), dir)}/ (open the .cpuprofile files in speedscope or Chrome DevTools)`,
  );
}

const numberArg = (name: string, fallback: number) =>
  args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback;

async function memoryOnly() {
  const startedAt = new Date().toISOString();
  const commit = git('rev-parse --short HEAD');
  const dirty = git('status --porcelain') !== '';
  const loadAtStart = os.loadavg();
  const figures = await memorySection({
    leads: numberArg('--leads', quick ? 300 : 2_000),
    windowSeconds: numberArg('--window', quick ? 30 : 90),
    log: (s) => console.error(`[bench] ${s}`),
  });
  const rows: unknown[][] = [
    ['worker setting', 'RSS start / peak / end MiB', 'leads done in window', 'leads/s'],
  ];
  for (const f of figures)
    rows.push([
      `${f.setting} ${JSON.stringify(f.env)}, ${f.leads} queued`,
      `${f.rss.startMiB} / ${f.rss.peakMiB} / ${f.rss.endMiB}`,
      `${f.completedInWindow} in ${f.windowSeconds} s`,
      f.perSecond,
    ]);
  printRows(rows);
  const file = writeRun(`${startedAt.replace(/[:.]/g, '-')}-memory`, {
    startedAt,
    commit,
    dirty,
    machine: { ...machine(), loadAverageAtStart: loadAtStart },
    memory: figures,
  });
  console.log(`\nWrote ${path.relative(process.cwd(), file)}`);
}

async function main() {
  if (args.includes('--peer')) return peerOnly();
  if (args.includes('--memory')) return memoryOnly();
  if (args.includes('--profile')) return profileOnly();
  const startedAt = new Date().toISOString();
  const world = await startWorld({ against });
  const log = (s: string) => console.error(`[bench] ${s}`);
  try {
    log('warm-up');
    await endToEnd(world, 2, 1);
    log('(1) start path');
    const start = await startPath(world, size.starts, size.startConcurrency, latency);
    log('(2) end to end');
    const e2e = [await endToEnd(world, size.leads, 1), await endToEnd(world, size.burst, size.burst)];
    log('(3) contention');
    const uncontended = await uncontendedBooking(world, 10);
    const contention = [];
    for (const n of size.races) contention.push(await race(world, n, uncontended.p50));
    log('(4) worker start-up');
    const startup = await workerStartup(world);
    log('(5) scale');
    const scaled = await scale(world, size.scaleWorkers, size.burst, size.burst);
    log('(6) outbound webhooks');
    const webhooks = await webhookCost(world, size.webhookLeads, size.burst);

    const run = {
      startedAt,
      mode: quick ? 'quick' : 'full',
      temporal: against ?? 'in-memory dev server (temporal server start-dev)',
      commit: git('rev-parse --short HEAD'),
      dirty: git('status --porcelain') !== '',
      machine: machine(),
      versions: {
        node: process.version,
        temporalSdk: version('@temporalio/worker'),
        mysql2: version('mysql2'),
      },
      size,
      startPath: start,
      endToEnd: e2e,
      uncontendedBooking: uncontended,
      contention,
      workerStartup: startup,
      scale: scaled.map((s) => ({ workers: s.workers, ...s.run })),
      webhooks,
    };
    print(run);
    const file = writeRun(`${startedAt.replace(/[:.]/g, '-')}${quick ? '-quick' : ''}`, run);
    const dir = path.dirname(file);
    const svg = file.replace(/\.json$/, '.svg');
    writeFileSync(
      svg,
      svgChart(`Troupe vs bare Temporal (${run.mode}, ${run.machine.cores} cores)`, barsOf(run)),
    );
    copyFileSync(svg, path.join(dir, quick ? 'latest-quick.svg' : 'latest.svg'));
    console.log(`\nWrote ${path.relative(process.cwd(), file)} and its chart`);
  } finally {
    await world.stop();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the run object built above
function print(run: any) {
  const rows: string[][] = [['figure', 'Troupe', 'baseline', 'ratio']];
  const s = run.startPath;
  for (const route of ['leads', 'bookings'] as const) {
    const r = s[route];
    rows.push([
      `POST /${route} ×${run.size.startConcurrency}: req/s`,
      r.troupe.perSecond,
      r.baseline.perSecond,
      r.ratio.perSecond,
    ]);
    rows.push([
      `POST /${route}: p50 / p99 ms`,
      `${r.troupe.p50} / ${r.troupe.p99}`,
      `${r.baseline.p50} / ${r.baseline.p99}`,
      r.ratio.p99,
    ]);
    if (r.durable) {
      rows.push([
        `  vs durable baseline (MySQL writes + start): req/s`,
        r.troupe.perSecond,
        r.durable.perSecond,
        r.durableRatio.perSecond,
      ]);
      rows.push([
        `  vs durable baseline: p50 / p99 ms`,
        `${r.troupe.p50} / ${r.troupe.p99}`,
        `${r.durable.p50} / ${r.durable.p99}`,
        r.durableRatio.p99,
      ]);
    }
  }
  for (const e of run.endToEnd) {
    rows.push([
      `lead e2e ×${e.concurrency}: leads/s`,
      e.troupe.perSecond,
      e.baseline.perSecond,
      e.ratio.perSecond,
    ]);
    rows.push([
      `lead e2e ×${e.concurrency}: p50 / p99 ms`,
      `${e.troupe.p50} / ${e.troupe.p99}`,
      `${e.baseline.p50} / ${e.baseline.p99}`,
      e.ratio.p99,
    ]);
  }
  rows.push(['one uncontended booking: p50 ms', run.uncontendedBooking.p50, '', '']);
  for (const c of run.contention) {
    rows.push([
      `${c.n}-way race (${c.seats} seats): last answer ms`,
      `${c.lastAnswerMs} (errors ${c.errors}, no seat twice: ${c.noSeatHeldTwice})`,
      '',
      c.ratioToUncontended.max,
    ]);
    rows.push([
      `  winners p50/p99 · losers p50/p99 ms`,
      `${c.winners.p50}/${c.winners.p99} · ${c.losers.p50}/${c.losers.p99}`,
      '',
      c.ratioToUncontended.p99,
    ]);
  }
  if (run.workerStartup.prebuiltMs !== '')
    rows.push([
      'worker start-up: prebuilt / on the fly ms',
      `${run.workerStartup.prebuiltMs} / ${run.workerStartup.onTheFlyMs}`,
      '',
      '',
    ]);
  for (const x of run.scale)
    rows.push([
      `${x.workers} worker(s), lead e2e ×${x.concurrency}: leads/s · p99`,
      `${x.troupe.perSecond} · ${x.troupe.p99}`,
      `${x.baseline.perSecond} · ${x.baseline.p99}`,
      x.ratio.perSecond,
    ]);
  const w = run.webhooks;
  rows.push([
    `lead e2e ×${w.concurrency}, ${w.leads} leads: leads/s · p99, ${w.endpoints} endpoints (1 dead) vs none`,
    `${w.with.perSecond} · ${w.with.p99}`,
    `${w.without.perSecond} · ${w.without.p99}`,
    w.ratio.perSecond,
  ]);
  rows.push([
    '  events delivered to each live endpoint (all by, s)',
    `${w.deliveredToLive.join(' / ')} of ${w.events} (${w.allDeliveredInSeconds ?? 'not all'})`,
    '',
    w.ratio.p99,
  ]);
  printRows(rows);
}

function printRows(rows: unknown[][]) {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length))) ?? [];
  for (const r of rows)
    console.log(`| ${r.map((c, i) => String(c ?? '').padEnd(widths[i] ?? 0)).join(' | ')} |`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
