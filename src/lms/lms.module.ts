import { Module } from '@nestjs/common';
import { LmsCallLimiter } from './lms-call.limiter';
import { LmsSessions } from './lms-sessions';
import { MoodleClient } from './moodle/moodle.client';
import { MoodleGradeWriter } from './moodle/moodle-grade.writer';
import { MoodleUserDirectory } from './moodle/moodle-user.directory';

@Module({
  providers: [MoodleClient, MoodleUserDirectory, MoodleGradeWriter, LmsCallLimiter, LmsSessions],
  exports: [MoodleClient, MoodleUserDirectory, MoodleGradeWriter, LmsCallLimiter, LmsSessions],
})
export class LmsModule {}
