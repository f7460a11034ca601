import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { Principal } from './roles';

/** The caller the bearer guard authenticated. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const request = context.switchToHttp().getRequest<{ principal?: Principal }>();
  if (!request.principal) throw new Error('CurrentPrincipal used on a route without @RequireRole');
  return request.principal;
});
