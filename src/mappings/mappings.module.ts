import { Module } from '@nestjs/common';
import { LmsModule } from '../lms/lms.module';
import { LtiAgsModule } from '../lms/lti-ags/lti-ags.module';
import { CallbackUrlSigner } from './callback-url.signer';
import { MappingActionsController } from './mapping-actions.controller';
import { MappingActionsService } from './mapping-actions.service';
import { MappingTargetValidator } from './mapping-target.validator';
import { MappingsController } from './mappings.controller';
import { MappingsService } from './mappings.service';

@Module({
  imports: [LmsModule, LtiAgsModule],
  controllers: [MappingsController, MappingActionsController],
  providers: [MappingsService, MappingActionsService, CallbackUrlSigner, MappingTargetValidator],
  exports: [MappingsService, CallbackUrlSigner, MappingTargetValidator],
})
export class MappingsModule {}
