import { Module } from '@nestjs/common';
import { MappingsModule } from '../mappings/mappings.module';
import { IntakeController } from './intake.controller';
import { IntakeRepository } from './intake.repository';
import { IntakeService } from './intake.service';

@Module({ imports: [MappingsModule], controllers: [IntakeController], providers: [IntakeService, IntakeRepository] })
export class IntakeModule {}
