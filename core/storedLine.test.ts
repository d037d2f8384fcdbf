import { describe, expect, it } from 'vitest';
import { checkStoredValue, parseJsonObject, parseStoredLine } from './storedLine.js';

describe('the stored-line rule (core/storedLine.ts)', () => {
  it('takes an object with a non-empty string event, details absent or an object; other fields kept', () => {
    const line = '{"ts":"2025-01-15T12:00:00.000Z","scenario":"s","installation_id":"i-1","event":"e","details":{"a":[1]},"id":"x","future":1}';
    expect(parseStoredLine(line)).toEqual(JSON.parse(line));
    expect(parseStoredLine('{"event":"e"}')).toEqual({ event: 'e' });
  });

  it.each([
    ['{"event":', /^invalid JSON \(/],
    ['', /^invalid JSON \(/],
    ['[1]', /^not a JSON object$/],
    ['null', /^not a JSON object$/],
    ['"x"', /^not a JSON object$/],
    ['{"ts":"x"}', /^no "event" name$/],
    ['{"event":""}', /^no "event" name$/],
    ['{"event":5}', /^no "event" name$/],
    ['{"event":"e","details":null}', /^"details" is not an object$/],
    ['{"event":"e","details":[1]}', /^"details" is not an object$/],
    ['{"event":"e","details":"x"}', /^"details" is not an object$/],
  ])('%s is refused: %s', (text, why) => {
    expect(parseStoredLine(text)).toMatch(why);
  });

  it('the last occurrence of a key counts, as in JSON.parse', () => {
    expect(parseStoredLine('{"event":"","event":"e"}')).toEqual({ event: 'e' });
    expect(parseStoredLine('{"event":"e","details":{},"details":1}')).toBe('"details" is not an object');
  });

  it('parseJsonObject is its first half (what the uploader asks of a line); checkStoredValue the second', () => {
    expect(parseJsonObject('{}')).toEqual({});
    expect(parseJsonObject('[]')).toBe('not a JSON object');
    expect(checkStoredValue({})).toBe('no "event" name');
    expect(checkStoredValue({ event: 'e', details: {} })).toEqual({ event: 'e', details: {} });
  });
});
