import { HttpException, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import type { AdminRequest } from '../auth/admin-auth.guard';

/** Adds the error message of a failed admin call to its audit entry (status alone says little). */
@Injectable()
export class AdminAuditInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AdminRequest>();
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (request.admin) {
          request.admin.details.error = error instanceof HttpException ? error.message : 'internal error';
        }
        return throwError(() => error);
      }),
    );
  }
}
