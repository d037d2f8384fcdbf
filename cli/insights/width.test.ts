import { describe, expect, it } from 'vitest';
import { displayWidth, pad, truncate } from './width.js';

describe('displayWidth', () => {
  it('counts terminal cells: ASCII and Latin 1, CJK and emoji 2, combining marks and joiners 0', () => {
    expect(displayWidth('1.2.0')).toBe(5);
    expect(displayWidth('café')).toBe(4);
    expect(displayWidth('cafe\u0301')).toBe(4); // e + combining acute
    expect(displayWidth('版本')).toBe(4);
    expect(displayWidth('한국어')).toBe(6);
    expect(displayWidth('🚀')).toBe(2);
    expect(displayWidth('a\u200db')).toBe(2);
    expect(displayWidth('▁▂█▏')).toBe(4);
  });
});

describe('truncate and pad', () => {
  it('cuts to the width in cells with an ellipsis, leaves short text alone', () => {
    expect(truncate('linux-x64', 20)).toBe('linux-x64');
    expect(truncate('linux-x64-musl', 8)).toBe('linux-x…');
    expect(truncate('linux-x64-musl', 8, '~')).toBe('linux-x~');
    expect(truncate('版本版本版本', 5)).toBe('版本…');
    expect(displayWidth(truncate('版本版本版本', 6))).toBeLessThanOrEqual(6);
    expect(truncate('abc', 0)).toBe('');
    expect(truncate('abcdef', 1)).toBe('…');
  });

  it('pads in cells, left or right, and never cuts', () => {
    expect(pad('版', 4)).toBe('版  ');
    expect(pad('42', 5, 'right')).toBe('   42');
    expect(pad('toolong', 3)).toBe('toolong');
  });
});
