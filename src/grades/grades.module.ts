import { Module } from '@nestjs/common';
import { GradesController } from './grades.controller';
import { GradesRepository } from './grades.repository';
import { GradesService } from './grades.service';

@Module({ controllers: [GradesController], providers: [GradesRepository, GradesService] })
export class GradesModule {}
