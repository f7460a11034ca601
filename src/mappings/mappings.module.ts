import { Module } from '@nestjs/common';
import { CallbackUrlSigner } from './callback-url.signer';
import { MappingActionsController } from './mapping-actions.controller';
import { MappingActionsService } from './mapping-actions.service';
import { MappingsController } from './mappings.controller';
import { MappingsService } from './mappings.service';

@Module({
  controllers: [MappingsController, MappingActionsController],
  providers: [MappingsService, MappingActionsService, CallbackUrlSigner],
  exports: [MappingsService, CallbackUrlSigner],
})
export class MappingsModule {}
