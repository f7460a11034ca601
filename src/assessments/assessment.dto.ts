import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { Optional } from '../common/validation/optional';
import { AssessmentKeyEntity } from './assessment-key.entity';
import { AssessmentEntity } from './assessment.entity';

const ID_PATTERN = /^[A-Za-z0-9._@+:-]{1,128}$/;

export class CreateAssessmentDto {
  @ApiProperty({ example: 'Placement speaking test' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  @ApiProperty({ example: '1234', description: 'Speechace\'s courseId, as sent in the callback body' })
  @IsString()
  @Matches(ID_PATTERN, { message: 'speechaceCourseId must be 1-128 letters, digits or . _ @ + : -' })
  speechaceCourseId!: string;

  @ApiProperty({ description: "The key shown in Speechace's shared-assessment panel; stored only as a hash", writeOnly: true })
  @IsString()
  @MinLength(8, { message: 'callbackKey must be at least 8 characters' })
  @MaxLength(512)
  callbackKey!: string;
}

export class UpdateAssessmentDto {
  @ApiPropertyOptional()
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;
}

export class AddKeyDto {
  @ApiProperty({ description: 'The new callback key; the old one keeps working until retired', writeOnly: true })
  @IsString()
  @MinLength(8, { message: 'callbackKey must be at least 8 characters' })
  @MaxLength(512)
  callbackKey!: string;
}

export class AssessmentKeyView {
  @ApiProperty() id!: string;
  @ApiProperty({ description: 'Last two characters of the key' }) hint!: string;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) retiredAt!: Date | null;

  static of(k: AssessmentKeyEntity): AssessmentKeyView {
    // Keys added before hints were shortened kept four characters: only two are ever shown.
    return { id: k.id, hint: k.keyHint.slice(-2), createdAt: k.createdAt, retiredAt: k.retiredAt };
  }
}

export class AssessmentView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() speechaceCourseId!: string;
  @ApiPropertyOptional({ type: [AssessmentKeyView], description: 'Admin tokens only' }) keys?: AssessmentKeyView[];
  @ApiProperty() createdAt!: Date;
  @ApiProperty() updatedAt!: Date;

  static of(a: AssessmentEntity, keys: AssessmentKeyEntity[], withKeys = true): AssessmentView {
    const view: AssessmentView = { id: a.id, name: a.name, speechaceCourseId: a.speechaceCourseId, createdAt: a.createdAt, updatedAt: a.updatedAt };
    if (withKeys) view.keys = keys.map(AssessmentKeyView.of);
    return view;
  }

  static withoutKeys(view: AssessmentView): AssessmentView {
    const { keys: _keys, ...rest } = view;
    return rest;
  }
}
