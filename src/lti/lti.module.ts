import { Module } from '@nestjs/common';
import { JwksController, LtiToolController } from './lti-tool.controller';
import { LtiToolKeys } from './lti-tool-keys.service';

/** The tool side of LTI 1.3: its signing keys, the JWKS and the admin routes for them. */
@Module({
  controllers: [LtiToolController, JwksController],
  providers: [LtiToolKeys],
  exports: [LtiToolKeys],
})
export class LtiModule {}
