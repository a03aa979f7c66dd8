import { execFile } from 'node:child_process';
import path from 'node:path';
import { groqStandIn } from '../support/groq';
import { eventually, http, newLead, startTroupe, type Troupe, testEnv } from '../support/harness';
import type { StandIn } from '../support/stand-in';
import { standInEnv } from '../support/stand-in-env';
import { tavilyStandIn } from '../support/tavily';

const ROOT = path.resolve(__dirname, '../..');

/** Runs `npm run replay -- …` as an operator would; resolves with its exit code and output. */
function replay(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'tools/replay/replay.ts', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...testEnv() } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

describe('npm run replay, against the live test server', () => {
  let tavily: StandIn;
  let groq: StandIn;
  let troupe: Troupe;
  let workflowId: string;

  beforeAll(async () => {
    [tavily, groq] = await Promise.all([tavilyStandIn().start(), groqStandIn().start()]);
    troupe = await startTroupe({ env: standInEnv({ tavily, groq }) });
    const created = await http(`${troupe.url}/api/v1/leads`, { body: newLead({ name: 'Replay Rosalind' }) });
    workflowId = created.body.workflowId;
    await eventually(async () => {
      expect((await http(`${troupe.url}/api/v1/leads/${created.body.id}`)).body.status).toBe('COMPLETED');
    });
    // Visibility is eventually consistent: wait until the closed run is listed.
    await eventually(async () => {
      const runs = troupe.client.workflow.list({
        query: `WorkflowId = "${workflowId}" AND ExecutionStatus != "Running"`,
      });
      let n = 0;
      for await (const _ of runs) n++;
      expect(n).toBe(1);
    });
  });
  afterAll(async () => {
    await troupe?.stop();
    await Promise.all([tavily?.stop(), groq?.stop()]);
  });

  it('decodes and replays the histories this run produced, and exits 0', async () => {
    const { code, output } = await replay(['--query', `WorkflowId = "${workflowId}"`]);
    expect(output).toMatch(/Replayed 1 histories .*: 1 passed, 0 failed/);
    expect(code).toBe(0);
  });

  it('with no arguments, replays the most recent closed runs of every Troupe workflow type', async () => {
    const { code, output } = await replay([]);
    expect(output).toMatch(/Replayed [1-9]\d* histories .*: [1-9]\d* passed, 0 failed/);
    expect(code).toBe(0);
  });

  it('exits non-zero, naming the workflow, against a deliberately changed workflow module', async () => {
    const { code, output } = await replay([
      '--type',
      'leadWorkflow',
      '--query',
      `WorkflowId = "${workflowId}"`,
      '--workflows-path',
      'test/fixtures/nondeterministic-lead-workflow.ts',
    ]);
    expect(output).toMatch(/0 passed, 1 failed \(1 non-deterministic\)/);
    expect(output).toContain(`NON-DETERMINISTIC leadWorkflow ${workflowId}`);
    // The diverging event, and no wall of core warnings before the summary.
    expect(output).toMatch(/at event \d+ \((ACTIVITY_TASK_SCHEDULED|MARKER_RECORDED) [\w -]+\)/);
    expect(output).not.toMatch(/WARN/);
    expect(code).toBe(1);
  });

  it('refuses bad arguments with a clear message', async () => {
    const { code, output } = await replay(['--limit', 'lots']);
    expect(output).toMatch(/--limit lots: must be a whole number/);
    expect(code).toBe(2);
  });
});
