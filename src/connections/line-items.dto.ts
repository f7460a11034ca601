import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class LineItemsQueryDto {
  @ApiPropertyOptional({ example: 2, description: "Moodle: the course id; the service asks Moodle's container {issuer}/mod/lti/services.php/{courseId}/lineitems?type_id={deploymentId}" })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'courseId must be the course id (an integer)' })
  @Min(1)
  @Max(2_147_483_647)
  courseId?: number;

  @ApiPropertyOptional({ description: "Any platform: the line items container URL of a course (the launch's AGS claim `lineitems`)" })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  containerUrl?: string;
}

export class LineItemView {
  @ApiProperty({ description: 'The line item URL: what a mapping target {"type":"lineitem","lineItemUrl"} takes', example: 'https://moodle.example.edu/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1' })
  lineItemUrl!: string;

  @ApiProperty({ example: 'Speaking test (LTI)' }) label!: string;
  @ApiProperty({ example: 100 }) scoreMaximum!: number;
  @ApiPropertyOptional({ description: 'The resource link (Moodle: the External tool activity instance id)' }) resourceLinkId?: string;
  @ApiPropertyOptional() resourceId?: string;
  @ApiPropertyOptional() tag?: string;
}
