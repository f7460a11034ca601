import { Module } from '@nestjs/common';
import { LtiModule } from '../../lti/lti.module';
import { LmsModule } from '../lms.module';
import { AgsClient } from './ags.client';
import { AgsTokenCache } from './ags-token.cache';
import { LineItemChecker } from './line-item.checker';

/** The LTI Advantage AGS client: tokens, line items, scores and results of lti-ags connections. */
@Module({
  imports: [LmsModule, LtiModule],
  providers: [AgsClient, AgsTokenCache, LineItemChecker],
  exports: [AgsClient, LineItemChecker],
})
export class LtiAgsModule {}
