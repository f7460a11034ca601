/**
 * The bench's Moodle simulator, in a process of its own (bench/lib/simulator-process.ts forks
 * it): a real Moodle runs on another machine, so building its answers must not stall the bench's
 * posting loop. Seeds either SIM_LAYOUT (JSON, bench/lib/drain-layout.ts) or the README demo site
 * plus SIM_STUDENTS students enrolled in the demo course, then answers the parent's requests over IPC.
 */
import { MoodleSimulator } from '../../test/moodle-simulator/moodle-simulator';
import { seedDemo } from '../../test/moodle-simulator/seeds';
import { seedLayout, type BenchCourse } from './drain-layout';
import type { SimRequest } from './simulator-process';

const students = Number(process.env.SIM_STUDENTS ?? '0');
const firstId = Number(process.env.SIM_FIRST_STUDENT_ID ?? '1000');
const courseId = Number(process.env.SIM_COURSE_ID ?? '2');
const layout = process.env.SIM_LAYOUT ? (JSON.parse(process.env.SIM_LAYOUT) as BenchCourse[]) : null;

async function main(): Promise<void> {
  const sim = await MoodleSimulator.start({
    seed: (s) => {
      if (layout) return seedLayout(s, layout);
      seedDemo(s);
      for (let i = 0; i < students; i++) {
        s.addUser({ id: firstId + i, username: `bench${i}`, email: `bench${i}@example.edu`, idnumber: `B${i}` });
        s.enrol(courseId, firstId + i);
      }
    },
  });
  const answer = (request: SimRequest): unknown => {
    switch (request.op) {
      case 'configure':
        sim.setLatencyMs(request.latencyMs);
        sim.setRateLimit({ perSecond: request.perSecond });
        sim.clearCalls();
        return null;
      case 'costModel':
        sim.setCostModel({ workers: request.workers, cores: request.cores });
        sim.clearCalls();
        return null;
      case 'callCount':
        return sim.calls.length;
      case 'calls':
        return sim.calls;
      case 'stats':
        return sim.stats();
      case 'gradesHeld': {
        let held = 0;
        for (const userId of request.userIds) if (sim.gradeOf({ cmid: request.cmid }, userId).raw !== null) held += 1;
        return held;
      }
    }
  };
  process.on('message', (message: { id: number; request: SimRequest }) => {
    process.send?.({ id: message.id, result: answer(message.request) });
  });
  process.once('disconnect', () => void sim.close().then(() => process.exit(0)));
  process.send?.({ ready: { baseUrl: sim.baseUrl, token: sim.token } });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
