import { TelemetryError, ValidationError } from '../../core/errors.js';
import { ErrorCode } from '../../core/errorCodes.js';

/** A bad insights parameter (route query string, CLI option): 400, `field` names it (`from`, `bucket`, `top`, ...). */
export class InsightsQueryError extends ValidationError {
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(field, message, options);
    (this as { code: string }).code = ErrorCode.INSIGHTS_QUERY;
    this.name = 'InsightsQueryError';
  }
}

/**
 * A query the store cannot answer within its budget (the JSONL store: `by` on a details key it does not roll up, over
 * more stored data than its scan budget): 422, `field` is `by`, the message names the budget.
 */
export class InsightsBudgetError extends TelemetryError {
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.INSIGHTS_BUDGET, `${field}: ${message}`, 422, options);
    this.name = 'InsightsBudgetError';
    this.field = field;
  }
}
