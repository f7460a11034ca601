import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LmsModule } from '../lms/lms.module';
import { LtiAgsModule } from '../lms/lti-ags/lti-ags.module';
import { AgsConnectionCheck } from './ags-connection.check';
import { LineItemsService } from './line-items.service';
import { MappingsModule } from '../mappings/mappings.module';
import { MappingEntity } from '../mappings/mapping.entity';
import { ConnectionCheckService } from './connection-check.service';
import { ConnectionEntity } from './connection.entity';
import { ConnectionsController } from './connections.controller';
import { ConnectionsService } from './connections.service';

@Module({
  imports: [TypeOrmModule.forFeature([ConnectionEntity, MappingEntity]), LmsModule, LtiAgsModule, MappingsModule],
  controllers: [ConnectionsController],
  providers: [ConnectionsService, ConnectionCheckService, AgsConnectionCheck, LineItemsService],
  exports: [ConnectionsService],
})
export class ConnectionsModule {}
