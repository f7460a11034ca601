/**
 * Standalone Moodle simulator for the README demo and benchmarks:
 *
 *   node -r ts-node/register test/moodle-simulator/main.ts
 *
 * Env: MOODLE_SIM_PORT (default 8088), MOODLE_SIM_TOKEN (default "demo-token"),
 * MOODLE_SIM_LATENCY_MS, MOODLE_SIM_RATE_PER_SEC; MOODLE_SIM_COST_MODEL=1 answers as slowly as a real
 * Moodle 5.0.6 would (test/moodle-simulator/cost-model.ts) on MOODLE_SIM_PHP_WORKERS (default 4)
 * PHP workers sharing MOODLE_SIM_PHP_CORES (default 2) CPUs. Prints {"baseUrl","token"} as one JSON line.
 * Demo data: course 2 with students 4 (student1, S0001) and 5 (student2, S0002); assignment 1
 * (cmid 2), assignment 2 with feedback comments (cmid 3), External tool mod_lti 1 (cmid 4), all 0–100.
 * Control API on the same server: GET /__sim/grades?cmid=…&userid=…, GET /__sim/stats,
 * GET /__sim/calls, POST /__sim/reset (back to the demo data and the env settings),
 * GET /__sim/capabilities, POST /__sim/capabilities/revoke?capability=… and …/grant?capability=…
 * (the token user starts with exactly the role in docs/moodle/grade-sync-role.xml).
 */
import { MoodleSimulator } from './moodle-simulator';
import { seedDemo } from './seeds';

function numberFromEnv(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${value}"`);
  return n;
}

async function main(): Promise<void> {
  const latencyMs = numberFromEnv('MOODLE_SIM_LATENCY_MS');
  const perSecond = numberFromEnv('MOODLE_SIM_RATE_PER_SEC');
  const costModel = ['1', 'true', 'on'].includes(process.env.MOODLE_SIM_COST_MODEL ?? '')
    ? { workers: numberFromEnv('MOODLE_SIM_PHP_WORKERS'), cores: numberFromEnv('MOODLE_SIM_PHP_CORES') }
    : undefined;
  const sim = await MoodleSimulator.start({
    costModel,
    port: numberFromEnv('MOODLE_SIM_PORT') ?? 8088,
    token: process.env.MOODLE_SIM_TOKEN || 'demo-token',
    controlApi: true,
    // Runs again on every reset, so the env settings survive POST /__sim/reset.
    seed: (s) => {
      seedDemo(s);
      if (latencyMs) s.setLatencyMs(latencyMs);
      if (perSecond) s.setRateLimit({ perSecond });
    },
  });
  process.stdout.write(JSON.stringify({ baseUrl: sim.baseUrl, token: sim.token }) + '\n');

  const stop = () => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
