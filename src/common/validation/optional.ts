import { ValidateIf, ValidationOptions } from 'class-validator';

/**
 * The field may be left out, but when it is given (null included) it must pass its validators.
 * class-validator's @IsOptional also skips null, which let `{"name": null}` through to the
 * database as a NOT NULL violation (a 500); here null gets the field's own 400.
 */
export function Optional(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined, options);
}
