import { TelemetryError } from '../core/errors.js';
import { ErrorCode } from '../core/errorCodes.js';

// The query engine's errors, on the core's coded errors: the collector's events route maps them to HTTP answers,
// the CLI to messages and exit codes (cli/run.ts), neither needing the other's error classes.

/** The scenario's file does not exist (and not following). */
export class LogNotFoundError extends TelemetryError {
  constructor(readonly path: string, options?: { cause?: unknown }) {
    super(ErrorCode.NOT_FOUND, `no telemetry file ${path}`, 404, options);
    this.name = 'LogNotFoundError';
  }
}

/**
 * A store file that is not a regular file: a symlink (never followed), a FIFO, a device or a directory. Refused
 * before any read, so nothing outside the data dir is served and nothing blocks on a FIFO.
 */
export class NotRegularFileError extends TelemetryError {
  constructor(readonly path: string, what: string, options?: { cause?: unknown }) {
    super(ErrorCode.NOT_REGULAR_FILE, `${path} is not a regular file (${what}); refused`, 403, options);
    this.name = 'NotRegularFileError';
  }
}

/** A store file could not be read (permissions, I/O error...): the message names the file and the cause. */
export class LogReadError extends TelemetryError {
  constructor(readonly path: string, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.READ, `cannot read ${path}: ${message}`, 500, options);
    this.name = 'LogReadError';
  }
}
