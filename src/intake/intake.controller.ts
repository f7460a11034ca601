import { Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { IntakeService } from './intake.service';
import { CallbackThrottlerGuard } from './rate-limit/callback-throttler.guard';

@ApiTags('intake')
@Controller('speechace')
export class IntakeController {
  constructor(private readonly intake: IntakeService) {}

  @Post('callback')
  @HttpCode(202)
  @UseGuards(CallbackThrottlerGuard)
  @ApiOperation({ summary: "Speechace's results callback (app_score_submission_url)" })
  async callback(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const receipt = await this.intake.receive({
      rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      contentType: req.headers['content-type'],
      query: req.query as Record<string, unknown>,
      rawQuery: req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : null,
      sourceIp: req.ip ?? null,
    });
    if (receipt.duplicate) res.status(200);
    return receipt;
  }
}
