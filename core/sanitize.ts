/**
 * What the CLI prints for a terminal comes partly from outside: stored events (anyone can upload), files in the data
 * dir, the collector's and an upload endpoint's answers. Their control characters must be shown, not obeyed: an ESC
 * sequence can clear the screen, retitle the window or plant an OSC 8 link; C1 controls (U+0080-U+009F, e.g. CSI
 * U+009B) do the same on some terminals; Unicode bidi controls reorder what is shown (a name that reads differently
 * from what it is). Each is written as a visible escape, `\u001b`, `\u202e`. JSON and JSONL output is never passed
 * through here: it stays exactly the data (JSON.stringify already escapes C0 there).
 */

// C0 (newline and tab included), DEL, C1, and the bidi controls: ALM, LRM, RLM, LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_ALL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// The same but keeping line breaks, for messages of several lines.
// eslint-disable-next-line no-control-regex
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escape(c: string): string {
  return '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
}

/** `text` with every control and bidi character as a visible escape: for table cells and one-line values. */
export function printable(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_ALL, escape) : text;
}

/** As printable, but line breaks are kept: for messages (errors, warnings) that may span lines. */
export function printableMessage(text: string): string {
  return UNSAFE.test(text) ? text.replace(UNSAFE_BUT_NEWLINE, escape) : text;
}
