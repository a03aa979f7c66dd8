// Reads a V8 .cpuprofile (what `node --cpu-prof` writes; speedscope and Chrome DevTools open it as is)
// and sums self time per function and per package. `node --import tsx tools/bench/cpu-profile.ts
// <file.cpuprofile> [top] [fromMs toMs]` prints the summary of an existing profile.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { round } from './stats';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  frame: string;
  selfMs: number;
  percent: number;
}

export interface ProfileSummary {
  file: string;
  window?: { fromMs: number; toMs: number };
  totalMs: number;
  /** Time the thread waited for I/O or timers: the `(idle)` pseudo-frame. */
  idleMs: number;
  topFrames: Frame[];
  byPackage: Frame[];
}

const ROOT = path.resolve(__dirname, '../..');

/** `node_modules/<pkg>`, `node:` internals, V8's pseudo-frames, or `troupe` for this repository. */
function packageOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return 'node (internal)';
  if (url.includes('workflow-bundle')) return 'troupe (workflow bundle)';
  return url.includes(ROOT) ? 'troupe' : 'other';
}

function label(frame: CallFrame): string {
  const where = frame.url
    ? `${frame.url
        .replace(/^file:\/\//, '')
        .replace(`${ROOT}/`, '')
        .replace(/.*node_modules\//, '')}:${frame.lineNumber + 1}`
    : '';
  return `${frame.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

/**
 * Self time per frame. `window` (ms after the profile started) keeps only the samples in it, e.g. the
 * measured sections without the process's start-up (module loading) and shutdown.
 */
export function summarize(
  file: string,
  top = 25,
  window: { fromMs: number; toMs: number } = { fromMs: 0, toMs: Number.POSITIVE_INFINITY },
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<string, number>();
  const packageUs = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  // Each sample's time is the delta to the next one (V8 records the delta before each sample).
  let atUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    atUs += profile.timeDeltas[i] ?? 0;
    const frame = byId.get(profile.samples[i] as number);
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (!frame || atUs < window.fromMs * 1000 || atUs > window.toMs * 1000) continue;
    totalUs += us;
    if (frame.functionName === '(idle)') idleUs += us;
    const key = label(frame);
    selfUs.set(key, (selfUs.get(key) ?? 0) + us);
    const pkg = packageOf(frame.url, frame.functionName);
    packageUs.set(pkg, (packageUs.get(pkg) ?? 0) + us);
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const rank = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .filter(([k]) => k !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([frame, us]) => ({ frame, selfMs: round(us / 1000), percent: round((100 * us) / busyUs) }));
  return {
    file,
    ...(Number.isFinite(window.toMs) && { window }),
    totalMs: round(totalUs / 1000),
    idleMs: round(idleUs / 1000),
    topFrames: rank(selfUs, top),
    byPackage: rank(packageUs, 12),
  };
}

/** The summary as text: busy time, then the top frames and packages by self time (% of busy time). */
export function formatSummary(s: ProfileSummary): string {
  const busy = round(s.totalMs - s.idleMs);
  const during = s.window
    ? ` (${round(s.window.fromMs / 1000)}–${round(s.window.toMs / 1000)} s after start)`
    : '';
  const lines = [
    `${path.basename(s.file)}: ${busy} ms busy of ${s.totalMs} ms profiled${during} (${round((100 * busy) / Math.max(1, s.totalMs))} %)`,
    '  top self-time frames (% of busy):',
    ...s.topFrames.map(
      (f) => `    ${String(f.percent).padStart(5)} %  ${String(f.selfMs).padStart(8)} ms  ${f.frame}`,
    ),
    '  by package:',
    ...s.byPackage.map(
      (f) => `    ${String(f.percent).padStart(5)} %  ${String(f.selfMs).padStart(8)} ms  ${f.frame}`,
    ),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const [file, top, fromMs, toMs] = process.argv.slice(2);
  if (!file) {
    console.error(
      'usage: node --import tsx tools/bench/cpu-profile.ts <file.cpuprofile> [top] [fromMs toMs]',
    );
    process.exit(2);
  }
  const window = { fromMs: Number(fromMs ?? 0), toMs: Number(toMs ?? Number.POSITIVE_INFINITY) };
  console.log(formatSummary(summarize(file, Number(top ?? 25), window)));
}
