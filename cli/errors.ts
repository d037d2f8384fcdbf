import { TelemetryError } from '../core/errors.js';
import { ErrorCode } from '../core/errorCodes.js';

/** The command line was wrong (unknown flag, bad value, conflicting options): exit code 2. */
export class UsageError extends TelemetryError {
  constructor(message: string) {
    super(ErrorCode.USAGE, message, 400);
    this.name = 'UsageError';
  }
}

/** An expected failure at run time (missing file, server unreachable): a one-line message and exit code 1. */
export class CliError extends TelemetryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.CLI, message, 500, options);
    this.name = 'CliError';
  }
}

/** A one-shot command was stopped by SIGINT/SIGTERM before it finished: exit code 130, as shells report Ctrl-C. */
export class InterruptedError extends CliError {
  constructor() {
    super('interrupted');
    this.name = 'InterruptedError';
  }
}
