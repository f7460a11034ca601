import { ApiProperty } from '@nestjs/swagger';

export class QuarantinedCallbackView {
  @ApiProperty() id!: string;
  @ApiProperty() receivedAt!: Date;
  @ApiProperty({ description: 'The status the callback was answered with (400, 404 or 415)' }) status!: number;
  @ApiProperty({ description: 'Why it was refused: the message of that answer' }) reason!: string;
  @ApiProperty({ nullable: true, type: String }) contentType!: string | null;
  @ApiProperty({ description: 'Size of the body as received' }) bodyBytes!: number;
  @ApiProperty({ description: 'The body as received (invalid UTF-8 shown as U+FFFD), with its key removed or redacted' }) body!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The query string, without its key' }) query!: string | null;
  @ApiProperty({ nullable: true, type: String }) sourceIp!: string | null;
  @ApiProperty({ description: 'The request id of the refused callback (in the logs)' }) requestId!: string;
}

export class QuarantinePage {
  @ApiProperty({ type: [QuarantinedCallbackView] }) items!: QuarantinedCallbackView[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as cursor for the next page; null on the last page' }) nextCursor!: string | null;
}

export class QuarantineReplayView {
  @ApiProperty() submissionId!: string;
  @ApiProperty({ description: 'The attempt was stored already (by the sender or an earlier replay)' }) duplicate!: boolean;
  @ApiProperty({ description: 'One per matching enabled mapping', type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, mappingId: { type: 'string' }, state: { type: 'string' } } } })
  syncs!: { id: string; mappingId: string; state: string }[];
}
