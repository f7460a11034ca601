import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Recorded Speechace callbacks and Moodle 5.0.6 answers, kept in the repository (test/fixtures/spec)
 * so a clone passes its tests with nothing beside it.
 */
export const SPEC_FIXTURES_DIR = resolve(__dirname, '../fixtures/spec');

export function specFixture(name: string): Buffer {
  return readFileSync(resolve(SPEC_FIXTURES_DIR, name));
}

/** One call recorded from a real Moodle 5.0.6 in moodle-recorded.json. */
export interface RecordedCall {
  case: string;
  wsfunction: string;
  params: [string, string][];
  httpStatus: number;
  contentType: string;
  body: string;
}

export function recordedMoodleCalls(): RecordedCall[] {
  return (JSON.parse(specFixture('moodle-recorded.json').toString('utf8')) as { calls: RecordedCall[] }).calls;
}
