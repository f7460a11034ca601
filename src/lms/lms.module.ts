import { Module } from '@nestjs/common';
import { LmsCallLimiter } from './lms-call.limiter';
import { MoodleClient } from './moodle/moodle.client';
import { MoodleGradeWriter } from './moodle/moodle-grade.writer';
import { MoodleUserDirectory } from './moodle/moodle-user.directory';

@Module({
  providers: [MoodleClient, MoodleUserDirectory, MoodleGradeWriter, LmsCallLimiter],
  exports: [MoodleClient, MoodleUserDirectory, MoodleGradeWriter, LmsCallLimiter],
})
export class LmsModule {}
