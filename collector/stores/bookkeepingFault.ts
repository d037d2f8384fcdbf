/**
 * Test-only: a function the JSONL store runs in its post-write bookkeeping (after a batch's lines are in the file,
 * before the summaries, rollups and de-duplication window count them). A test sets it to throw, to check that a bug
 * there cannot turn a written batch into an error answer. Not part of any package entry point; undefined otherwise
 * (one property read per written batch).
 */
export const bookkeepingFault: { run?: (scenario: string) => void } = {};
