import { Module } from '@nestjs/common';
import { MoodleClient } from './moodle/moodle.client';
import { MoodleGradeWriter } from './moodle/moodle-grade.writer';
import { MoodleUserDirectory } from './moodle/moodle-user.directory';

@Module({
  providers: [MoodleClient, MoodleUserDirectory, MoodleGradeWriter],
  exports: [MoodleClient, MoodleUserDirectory, MoodleGradeWriter],
})
export class LmsModule {}
