;; The line indexer behind `logs` (cli/logs/lineIndex.ts). Source of linesWasm.ts: `npm run wasm` compiles it
;; (wabt), and test/cli/lineIndex.test.ts fails when the two differ.
;;
;; It finds, 16 bytes at a time (SIMD), the line breaks of a buffer and the places where a needle may start, and
;; reports only the lines JavaScript has to look at: lines that contain the needle (all lines when there is no
;; needle) and lines that do not look like one JSON object ({ ... }), which are reported as torn or invalid. In a
;; typical search that is a few percent of the lines; the others cost no JavaScript at all. Doing this per line from
;; JavaScript (Buffer#indexOf for every line break) took longer than reading the file.
;;
;; Candidate lines are then validated as JSON here too (the grammar JSON.parse accepts), the top-level event,
;; level, ts and details located, and the needle searched in the event name and in details, so that JavaScript
;; neither parses nor scans them again. What this cannot decide (escaped strings, numbers, escaped top-level keys,
;; nesting deeper than the stack) it leaves to JavaScript (jsonLine.ts, rawSearch.ts), which also words the error
;; for an invalid line.
;;
;; Memory layout (set up by lineIndex.ts):
;;   [0, 256)        the needle, lower-cased where it folds
;;   [256, 512)      per needle byte, 0x20 to OR into the text before comparing (case-insensitive letters), else 0
;;   [512, 66048)    the container stack of the validator (one byte per level)
;;   [66048, ...)    the report: 16 x i32 per line (see scan), then the output area (direct output)
;;   then the text, followed by at least 16 + 256 bytes of slack (loads may run past the end; those bits are masked)
(module
  (memory (export "memory") 2)
  ;; After scan(): where the first line not scanned starts, and how many complete lines were scanned.
  (global $next (export "next") (mut i32) (i32.const 0))
  (global $lines (export "lines") (mut i32) (i32.const 0))
  ;; Why scan() returned: 0 no complete line left, 1 report full, 2 output area full, 3 a line left to JavaScript
  ;; (direct output).
  (global $why (export "why") (mut i32) (i32.const 0))
  ;; Direct output ($flags 16): matching lines (with their line break) are copied to [obase, obase + ocap); olen is
  ;; the bytes there and emitted the lines, both reset by JavaScript when it takes them.
  (global $obase (export "obase") (mut i32) (i32.const 0))
  (global $ocap (export "ocap") (mut i32) (i32.const 0))
  (global $olen (export "olen") (mut i32) (i32.const 0))
  (global $emitted (export "emitted") (mut i32) (i32.const 0))

  ;; 1 when the needle (length $nlen) occurs at $at, comparing with the fold masks.
  (func $verify (param $at i32) (param $nlen i32) (result i32)
    (local $k i32)
    (loop $next_byte
      (if (i32.ge_u (local.get $k) (local.get $nlen)) (then (return (i32.const 1))))
      (if (i32.ne
            (i32.or (i32.load8_u (i32.add (local.get $at) (local.get $k))) (i32.load8_u offset=256 (local.get $k)))
            (i32.load8_u (local.get $k)))
        (then (return (i32.const 0))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $next_byte))
    (i32.const 0))

  ;; Scan the lines that start at $p (a line start) up to $end. Reports at most $cap lines at $out, 64 bytes each:
  ;; index (from the start of the scan), start, end, kind, then what validate() writes (candidate lines, when asked).
  ;; kind bit 1: the needle is in the line (or every line is wanted), bit 2: it is not `{...}` (or it is empty).
  ;; $flags: 1 every line is a candidate (no needle); 2 validate candidates; 4 search the needle in event and
  ;; details; 8 the needle could occur in a number as JavaScript prints it; 16 direct output (needs 2 and 4): lines
  ;; found are copied to the output area and lines not found dropped, without being reported.
  ;; Stops after the last complete line, or once $cap lines are reported; sets $next and $lines. Returns the count.
  (func (export "scan") (param $p i32) (param $end i32) (param $nlen i32) (param $flags i32) (param $out i32) (param $cap i32) (result i32)
    (local $all i32) (local $direct i32) (local $hit i32)
    (local $i i32) (local $lineStart i32) (local $idx i32) (local $n i32) (local $flag i32) (local $kind i32)
    (local $m i32) (local $hm i32) (local $both i32) (local $bit i32) (local $pos i32) (local $rest i32)
    (local $blk v128) (local $blk2 v128) (local $vnl v128) (local $vclose v128) (local $vopen v128) (local $first v128) (local $fmask v128) (local $last v128) (local $lmask v128)
    (local.set $all (i32.and (local.get $flags) (i32.const 1)))
    (local.set $direct (i32.ne (i32.and (local.get $flags) (i32.const 16)) (i32.const 0)))
    (local.set $vnl (i8x16.splat (i32.const 10)))
    (local.set $vclose (i8x16.splat (i32.const 0x7d)))
    (local.set $vopen (i8x16.splat (i32.const 0x7b)))
    (if (local.get $nlen)
      (then
        (local.set $first (i8x16.splat (i32.load8_u (i32.const 0))))
        (local.set $fmask (i8x16.splat (i32.load8_u (i32.const 256))))
        (local.set $last (i8x16.splat (i32.load8_u (i32.sub (local.get $nlen) (i32.const 1)))))
        (local.set $lmask (i8x16.splat (i32.load8_u offset=255 (local.get $nlen))))))
    (local.set $i (local.get $p))
    (local.set $lineStart (local.get $p))
    (local.set $flag (local.get $all))
    (block $done
      (loop $blocks
        ;; Fast path: pass whole blocks with neither a line break nor the needle's first byte (most of them).
        (block $interesting
          ;; Two blocks per turn while they fit (fewer branches), then one.
          (loop $skip2
            (br_if $interesting (i32.gt_u (i32.add (local.get $i) (i32.const 32)) (local.get $end)))
            (local.set $blk (v128.load (local.get $i)))
            (local.set $blk2 (v128.load offset=16 (local.get $i)))
            (br_if $interesting (v128.any_true (v128.or
              (v128.or (i8x16.eq (local.get $blk) (local.get $vnl))
                       (i8x16.eq (v128.or (local.get $blk) (local.get $fmask)) (local.get $first)))
              (v128.or (i8x16.eq (local.get $blk2) (local.get $vnl))
                       (i8x16.eq (v128.or (local.get $blk2) (local.get $fmask)) (local.get $first))))))
            (local.set $i (i32.add (local.get $i) (i32.const 32)))
            (br $skip2)))
        (block $interesting1
          (loop $skip
            (br_if $interesting1 (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $end)))
            (local.set $blk (v128.load (local.get $i)))
            (br_if $interesting1 (v128.any_true (v128.or
              (i8x16.eq (local.get $blk) (local.get $vnl))
              (i8x16.eq (v128.or (local.get $blk) (local.get $fmask)) (local.get $first)))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $skip)))
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $blk (v128.load (local.get $i)))
        (local.set $m (i8x16.bitmask (i8x16.eq (local.get $blk) (local.get $vnl))))
        (local.set $hm (i32.const 0))
        (if (local.get $nlen)
          (then
            (local.set $hm (i8x16.bitmask (v128.and
              (i8x16.eq (v128.or (local.get $blk) (local.get $fmask)) (local.get $first))
              (i8x16.eq (v128.or (v128.load (i32.sub (i32.add (local.get $i) (local.get $nlen)) (i32.const 1))) (local.get $lmask)) (local.get $last)))))))
        ;; The last block may run past $end: drop those positions.
        (local.set $rest (i32.sub (local.get $end) (local.get $i)))
        (if (i32.lt_u (local.get $rest) (i32.const 16))
          (then
            (local.set $m (i32.and (local.get $m) (i32.sub (i32.shl (i32.const 1) (local.get $rest)) (i32.const 1))))
            (local.set $hm (i32.and (local.get $hm) (i32.sub (i32.shl (i32.const 1) (local.get $rest)) (i32.const 1))))))
        ;; Line breaks in bulk: when no needle can start in this block and the current line is no candidate, the
        ;; lines ending here need no report if each of them is `{...}` -- every break preceded by `}` and followed by
        ;; `{` (shifted loads), and the current line starting with `{`. Then count them and move on.
        (if (i32.and
              (i32.and (i32.ne (local.get $m) (i32.const 0)) (i32.eqz (i32.or (local.get $hm) (local.get $flag))))
              (i32.lt_u (i32.add (local.get $i) (i32.const 16)) (local.get $end)))
          (then
            (if (i32.and
                  (i32.eqz (i32.and (local.get $m)
                    (i32.xor (i32.and
                      (i8x16.bitmask (i8x16.eq (v128.load (i32.sub (local.get $i) (i32.const 1))) (local.get $vclose)))
                      (i8x16.bitmask (i8x16.eq (v128.load offset=1 (local.get $i)) (local.get $vopen))))
                    (i32.const -1))))
                  (i32.and
                    (i32.gt_u (i32.add (local.get $i) (i32.ctz (local.get $m))) (local.get $lineStart))
                    (i32.eq (i32.load8_u (local.get $lineStart)) (i32.const 0x7b))))
              (then
                (local.set $idx (i32.add (local.get $idx) (i32.popcnt (local.get $m))))
                (local.set $lineStart (i32.add (local.get $i) (i32.sub (i32.const 32) (i32.clz (local.get $m)))))
                (local.set $i (i32.add (local.get $i) (i32.const 16)))
                (br $blocks)))))
        (local.set $both (i32.or (local.get $m) (local.get $hm)))
        (block $block_done
          (loop $bits
            (br_if $block_done (i32.eqz (local.get $both)))
            (local.set $bit (i32.ctz (local.get $both)))
            (local.set $both (i32.and (local.get $both) (i32.sub (local.get $both) (i32.const 1))))
            (local.set $pos (i32.add (local.get $i) (local.get $bit)))
            (if (i32.and (i32.shr_u (local.get $m) (local.get $bit)) (i32.const 1))
              (then
                ;; A line break: the line is [lineStart, pos).
                (local.set $kind (local.get $flag))
                (if (i32.eqz (i32.and
                      (i32.gt_u (local.get $pos) (local.get $lineStart))
                      (i32.and
                        (i32.eq (i32.load8_u (local.get $lineStart)) (i32.const 0x7b))
                        (i32.eq (i32.load8_u (i32.sub (local.get $pos) (i32.const 1))) (i32.const 0x7d)))))
                  (then (local.set $kind (i32.or (local.get $kind) (i32.const 2)))))
                (if (local.get $kind)
                  (then
                    (block $handled
                      ;; Direct output: no room for this line (and something to hand over first)? Stop before it.
                      (if (i32.and (local.get $direct)
                                   (i32.and (i32.ne (global.get $olen) (i32.const 0))
                                            (i32.gt_u (i32.add (global.get $olen) (i32.add (i32.sub (local.get $pos) (local.get $lineStart)) (i32.const 1))) (global.get $ocap))))
                        (then
                          (global.set $next (local.get $lineStart))
                          (global.set $lines (local.get $idx))
                          (global.set $why (i32.const 2))
                          (return (local.get $n))))
                      (i32.store (local.get $out) (local.get $idx))
                      (i32.store offset=4 (local.get $out) (local.get $lineStart))
                      (i32.store offset=8 (local.get $out) (local.get $pos))
                      (i32.store offset=12 (local.get $out) (local.get $kind))
                      (i32.store offset=48 (local.get $out) (i32.const 0))
                      (if (i32.and (i32.eq (local.get $kind) (i32.const 1)) (i32.ne (i32.and (local.get $flags) (i32.const 2)) (i32.const 0)))
                        (then (call $validate (local.get $lineStart) (local.get $pos) (local.get $out) (local.get $nlen) (local.get $flags) (local.get $hit))))
                      ;; Direct output: a valid line whose search was decided here is copied out (found) or dropped.
                      (if (i32.and (local.get $direct) (i32.eq (i32.load offset=48 (local.get $out)) (i32.const 1)))
                        (then
                          (if (i32.eq (i32.load offset=52 (local.get $out)) (i32.const 2)) (then (br $handled)))
                          (if (i32.and (i32.eq (i32.load offset=52 (local.get $out)) (i32.const 1))
                                       (i32.le_u (i32.add (global.get $olen) (i32.add (i32.sub (local.get $pos) (local.get $lineStart)) (i32.const 1))) (global.get $ocap)))
                            (then
                              (memory.copy (i32.add (global.get $obase) (global.get $olen)) (local.get $lineStart) (i32.sub (local.get $pos) (local.get $lineStart)))
                              (global.set $olen (i32.add (global.get $olen) (i32.sub (local.get $pos) (local.get $lineStart))))
                              (i32.store8 (i32.add (global.get $obase) (global.get $olen)) (i32.const 10))
                              (global.set $olen (i32.add (global.get $olen) (i32.const 1)))
                              (global.set $emitted (i32.add (global.get $emitted) (i32.const 1)))
                              (br $handled)))))
                      (local.set $out (i32.add (local.get $out) (i32.const 64)))
                      (local.set $n (i32.add (local.get $n) (i32.const 1)))
                      ;; Direct output: a line left to JavaScript ends the call, so that lines leave in their order.
                      (if (local.get $direct)
                        (then
                          (global.set $next (i32.add (local.get $pos) (i32.const 1)))
                          (global.set $lines (i32.add (local.get $idx) (i32.const 1)))
                          (global.set $why (i32.const 3))
                          (return (local.get $n)))))))
                (local.set $idx (i32.add (local.get $idx) (i32.const 1)))
                (local.set $lineStart (i32.add (local.get $pos) (i32.const 1)))
                (local.set $flag (local.get $all))
                (if (i32.ge_u (local.get $n) (local.get $cap))
                  (then
                    (global.set $next (local.get $lineStart))
                    (global.set $lines (local.get $idx))
                    (global.set $why (i32.const 1))
                    (return (local.get $n)))))
              (else
                ;; Maybe the needle: it must fit before $end (else its line is not complete yet either).
                (if (i32.eqz (local.get $flag))
                  (then
                    (if (i32.le_u (i32.add (local.get $pos) (local.get $nlen)) (local.get $end))
                      (then
                        (local.set $flag (call $verify (local.get $pos) (local.get $nlen)))
                        (local.set $hit (local.get $pos))))))))
            (br $bits)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $blocks)))
    (global.set $next (local.get $lineStart))
    (global.set $lines (local.get $idx))
    (global.set $why (i32.const 0))
    (local.get $n))

  ;; ---------------------------------------------------------------------------------------------------------------
  ;; JSON validation of one line [s, e) that starts with `{` and ends with `}`. Writes into the report entry at $out:
  ;;   +16..+44  event, level, ts, details: [start, end) of each top-level value (quotes included), -1 when absent
  ;;   +48       1 valid: a non-empty string event, details (if any) an object; 2 not (JavaScript words why); 3
;;             JavaScript must decide
  ;;   +52       search ($flags 4): 1 found, 2 not found, 3 JavaScript must search (escaped strings, numbers)
  ;; The rules for the search are those of rawSearch.ts: strings (keys and values) and true/false inside details,
  ;; containers nested more than 32 levels inside details ignored, and the event name.
  (global $esc (mut i32) (i32.const 0))

  ;; A string whose opening quote is at $i: the offset after its closing quote, or -1 when it is not valid.
  ;; Sets $esc when it holds an escape. Runs of plain characters are passed 16 bytes at a time.
  (func $string (param $i i32) (param $e i32) (result i32)
    (local $c i32) (local $d i32) (local $v v128) (local $m i32)
    (global.set $esc (i32.const 0))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (loop $chars
      ;; The next quote, backslash or control character (reading up to 15 bytes past $e is safe: slack).
      (local.set $v (v128.load (local.get $i)))
      (local.set $m (i8x16.bitmask (v128.or
        (v128.or (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x22))) (i8x16.eq (local.get $v) (i8x16.splat (i32.const 0x5c))))
        (i8x16.lt_u (local.get $v) (i8x16.splat (i32.const 0x20))))))
      (if (i32.eqz (local.get $m))
        (then
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br_if $chars (i32.lt_u (local.get $i) (local.get $e)))
          (return (i32.const -1))))
      (local.set $i (i32.add (local.get $i) (i32.ctz (local.get $m))))
      (if (i32.ge_u (local.get $i) (local.get $e)) (then (return (i32.const -1))))
      (local.set $c (i32.load8_u (local.get $i)))
      (if (i32.eq (local.get $c) (i32.const 0x22)) (then (return (i32.add (local.get $i) (i32.const 1)))))
      (if (i32.lt_u (local.get $c) (i32.const 0x20)) (then (return (i32.const -1))))
      ;; A backslash.
      (global.set $esc (i32.const 1))
      (if (i32.ge_u (i32.add (local.get $i) (i32.const 1)) (local.get $e)) (then (return (i32.const -1))))
      (local.set $d (i32.load8_u offset=1 (local.get $i)))
      (if (i32.eq (local.get $d) (i32.const 0x75))
        (then
          (if (i32.gt_u (i32.add (local.get $i) (i32.const 6)) (local.get $e)) (then (return (i32.const -1))))
          (if (i32.eqz (i32.and
                (i32.and (call $hex (i32.load8_u offset=2 (local.get $i))) (call $hex (i32.load8_u offset=3 (local.get $i))))
                (i32.and (call $hex (i32.load8_u offset=4 (local.get $i))) (call $hex (i32.load8_u offset=5 (local.get $i))))))
            (then (return (i32.const -1))))
          (local.set $i (i32.add (local.get $i) (i32.const 6)))
          (br $chars)))
      (if (i32.or (i32.or (i32.or (i32.eq (local.get $d) (i32.const 0x22)) (i32.eq (local.get $d) (i32.const 0x5c)))
                          (i32.or (i32.eq (local.get $d) (i32.const 0x2f)) (i32.eq (local.get $d) (i32.const 0x62))))
                  (i32.or (i32.or (i32.eq (local.get $d) (i32.const 0x66)) (i32.eq (local.get $d) (i32.const 0x6e)))
                          (i32.or (i32.eq (local.get $d) (i32.const 0x72)) (i32.eq (local.get $d) (i32.const 0x74)))))
        (then
          (local.set $i (i32.add (local.get $i) (i32.const 2)))
          (br $chars)))
      (return (i32.const -1)))
    (i32.const -1))

  (func $hex (param $c i32) (result i32)
    (i32.or
      (i32.and (i32.ge_u (local.get $c) (i32.const 0x30)) (i32.le_u (local.get $c) (i32.const 0x39)))
      (i32.and (i32.ge_u (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x61)) (i32.le_u (i32.or (local.get $c) (i32.const 0x20)) (i32.const 0x66)))))

  (func $digit (param $c i32) (result i32)
    (i32.and (i32.ge_u (local.get $c) (i32.const 0x30)) (i32.le_u (local.get $c) (i32.const 0x39))))

  ;; A digit at $i (< $e)?
  (func $digit_at (param $i i32) (param $e i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $i) (local.get $e))
      (then (call $digit (i32.load8_u (local.get $i))))
      (else (i32.const 0))))

  ;; A number starting at $i: the offset after it, or -1.
  (func $number (param $i i32) (param $e i32) (result i32)
    (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2d)) (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))
    (if (i32.eqz (call $digit_at (local.get $i) (local.get $e))) (then (return (i32.const -1))))
    (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x30))
      (then (local.set $i (i32.add (local.get $i) (i32.const 1))))
      (else
        (loop $int
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $int (call $digit_at (local.get $i) (local.get $e))))))
    (if (i32.lt_u (local.get $i) (local.get $e))
      (then
        (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2e))
          (then
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (if (i32.eqz (call $digit_at (local.get $i) (local.get $e))) (then (return (i32.const -1))))
            (loop $frac
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $frac (call $digit_at (local.get $i) (local.get $e))))))))
    (if (i32.lt_u (local.get $i) (local.get $e))
      (then
        (if (i32.eq (i32.or (i32.load8_u (local.get $i)) (i32.const 0x20)) (i32.const 0x65))
          (then
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (if (i32.lt_u (local.get $i) (local.get $e))
              (then
                (if (i32.or (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2b)) (i32.eq (i32.load8_u (local.get $i)) (i32.const 0x2d)))
                  (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))))
            (if (i32.eqz (call $digit_at (local.get $i) (local.get $e))) (then (return (i32.const -1))))
            (loop $exp
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $exp (call $digit_at (local.get $i) (local.get $e))))))))
    (local.get $i))

  ;; The word at $i is exactly $w (a 4- or 5-byte literal packed little-endian in an i64) within [$i, $e)?
  (func $literal (param $i i32) (param $e i32) (param $w i64) (param $len i32) (result i32)
    (local $k i32)
    (if (i32.gt_u (i32.add (local.get $i) (local.get $len)) (local.get $e)) (then (return (i32.const 0))))
    (loop $bytes
      (if (i32.ne (i32.load8_u (i32.add (local.get $i) (local.get $k)))
                  (i32.wrap_i64 (i64.and (i64.shr_u (local.get $w) (i64.extend_i32_u (i32.shl (local.get $k) (i32.const 3)))) (i64.const 0xff))))
        (then (return (i32.const 0))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $bytes (i32.lt_u (local.get $k) (local.get $len))))
    (i32.const 1))

  ;; The needle (exact bytes) in [$s, $e)? Candidates for its first byte are found 16 bytes at a time.
  (func $contains (param $s i32) (param $e i32) (param $nlen i32) (result i32)
    (local $vfirst v128) (local $m i32) (local $at i32) (local $last i32)
    (local.set $vfirst (i8x16.splat (i32.load8_u (i32.const 0))))
    ;; The last offset where the needle could start.
    (local.set $last (i32.sub (local.get $e) (local.get $nlen)))
    (block $none
      (loop $blocks
        (br_if $none (i32.gt_s (local.get $s) (local.get $last)))
        (local.set $m (i8x16.bitmask (i8x16.eq (v128.load (local.get $s)) (local.get $vfirst))))
        (block $next_block
          (loop $bits
            (br_if $next_block (i32.eqz (local.get $m)))
            (local.set $at (i32.add (local.get $s) (i32.ctz (local.get $m))))
            (br_if $none (i32.gt_s (local.get $at) (local.get $last)))
            (if (call $verify (local.get $at) (local.get $nlen)) (then (return (i32.const 1))))
            (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
            (br $bits)))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (br $blocks)))
    (i32.const 0))

  ;; The needle in [$s, $e), knowing that its first occurrence in the line is at $hit: a range that starts at or
  ;; before it holds the needle only if it holds that occurrence (any other one would come earlier); only a range
  ;; after it needs searching.
  (func $has_needle (param $s i32) (param $e i32) (param $nlen i32) (param $hit i32) (result i32)
    (if (i32.ge_u (local.get $hit) (local.get $s))
      (then (return (i32.le_u (i32.add (local.get $hit) (local.get $nlen)) (local.get $e)))))
    (call $contains (local.get $s) (local.get $e) (local.get $nlen)))

  ;; Which top-level key the string content [s, e) is: 1 event, 2 level, 3 ts, 4 details, 0 another.
  (func $classify (param $s i32) (param $e i32) (result i32)
    (local $len i32)
    (local.set $len (i32.sub (local.get $e) (local.get $s)))
    (if (i32.eq (local.get $len) (i32.const 5))
      (then
        ;; "event" / "level": first 4 bytes as an i32, then the fifth
        (if (i32.and (i32.eq (i32.load (local.get $s)) (i32.const 0x6e657665)) (i32.eq (i32.load8_u offset=4 (local.get $s)) (i32.const 0x74)))
          (then (return (i32.const 1))))
        (if (i32.and (i32.eq (i32.load (local.get $s)) (i32.const 0x6576656c)) (i32.eq (i32.load8_u offset=4 (local.get $s)) (i32.const 0x6c)))
          (then (return (i32.const 2))))))
    (if (i32.eq (local.get $len) (i32.const 2))
      (then (if (i32.eq (i32.load16_u (local.get $s)) (i32.const 0x7374)) (then (return (i32.const 3))))))
    (if (i32.eq (local.get $len) (i32.const 7))
      (then
        ;; "details"
        (if (i32.and (i32.eq (i32.load (local.get $s)) (i32.const 0x61746564))
                     (i32.and (i32.eq (i32.load16_u offset=4 (local.get $s)) (i32.const 0x6c69)) (i32.eq (i32.load8_u offset=6 (local.get $s)) (i32.const 0x73))))
          (then (return (i32.const 4))))))
    (i32.const 0))

  (func $ws (param $c i32) (result i32)
    (i32.or (i32.or (i32.eq (local.get $c) (i32.const 0x20)) (i32.eq (local.get $c) (i32.const 0x0a)))
            (i32.or (i32.eq (local.get $c) (i32.const 0x0d)) (i32.eq (local.get $c) (i32.const 0x09)))))

  ;; $hit: where the needle first occurs in the line (the scan found it there).
  (func $validate (param $s i32) (param $e i32) (param $out i32) (param $nlen i32) (param $flags i32) (param $hit i32)
    (local $i i32) (local $c i32) (local $depth i32) (local $state i32) (local $field i32) (local $fstart i32)
    (local $tok i32) (local $search i32) (local $found i32) (local $maybe i32) (local $js i32) (local $skip i32)
    (local $top i32) (local $where i32) (local $ev i32)
    (i64.store offset=16 (local.get $out) (i64.const -1))
    (i64.store offset=24 (local.get $out) (i64.const -1))
    (i64.store offset=32 (local.get $out) (i64.const -1))
    (i64.store offset=40 (local.get $out) (i64.const -1))
    (i32.store offset=52 (local.get $out) (i32.const 0))
    (local.set $search (i32.ne (i32.and (local.get $flags) (i32.const 4)) (i32.const 0)))
    (local.set $skip (i32.const -1))
    (local.set $i (local.get $s))
    ;; states: 0 a value is expected, 1 a key, 2 after a value
    (block $invalid
      (block $valid
        (loop $step
          ;; A tracked top-level value ends here (before any whitespace).
          (if (i32.and (i32.eq (local.get $state) (i32.const 2)) (i32.and (i32.eq (local.get $depth) (i32.const 1)) (i32.ne (local.get $field) (i32.const 0))))
            (then
              (local.set $where (i32.add (local.get $out) (i32.shl (local.get $field) (i32.const 3))))
              (i32.store offset=8 (local.get $where) (local.get $fstart))
              (i32.store offset=12 (local.get $where) (local.get $i))
              (local.set $field (i32.const 0))))
          (block $ws_done
            (loop $ws_loop
              (br_if $ws_done (i32.ge_u (local.get $i) (local.get $e)))
              (br_if $ws_done (i32.gt_u (i32.load8_u (local.get $i)) (i32.const 0x20)))
              (br_if $ws_done (i32.eqz (call $ws (i32.load8_u (local.get $i)))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $ws_loop)))
          (local.set $c (if (result i32) (i32.lt_u (local.get $i) (local.get $e)) (then (i32.load8_u (local.get $i))) (else (i32.const 0x100))))

          ;; --- after a value ---
          (if (i32.eq (local.get $state) (i32.const 2))
            (then
              (if (i32.eqz (local.get $depth))
                (then
                  (br_if $valid (i32.eq (local.get $i) (local.get $e)))
                  (br $invalid)))
              (local.set $top (i32.load8_u offset=511 (local.get $depth)))
              (if (i32.eq (local.get $c) (i32.const 0x2c))
                (then
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (local.set $state (select (i32.const 1) (i32.const 0) (i32.eq (local.get $top) (i32.const 0x7b))))
                  (br $step)))
              (if (i32.or (i32.and (i32.eq (local.get $c) (i32.const 0x7d)) (i32.eq (local.get $top) (i32.const 0x7b)))
                          (i32.and (i32.eq (local.get $c) (i32.const 0x5d)) (i32.eq (local.get $top) (i32.const 0x5b))))
                (then
                  (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
                  (if (i32.eq (local.get $skip) (local.get $depth)) (then (local.set $skip (i32.const -1))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $step)))
              (br $invalid)))

          ;; --- a key ---
          (if (i32.eq (local.get $state) (i32.const 1))
            (then
              (br_if $invalid (i32.ne (local.get $c) (i32.const 0x22)))
              (local.set $tok (i32.add (local.get $i) (i32.const 1)))
              (local.set $i (call $string (local.get $i) (local.get $e)))
              (br_if $invalid (i32.lt_s (local.get $i) (i32.const 0)))
              (if (i32.eq (local.get $depth) (i32.const 1))
                (then
                  ;; An escaped top-level key may still spell a tracked one: JavaScript decodes it.
                  (if (global.get $esc) (then (local.set $js (i32.const 1))))
                  (local.set $field (call $classify (local.get $tok) (i32.sub (local.get $i) (i32.const 1)))))
                (else
                  (if (i32.and (local.get $search) (i32.and (i32.eq (local.get $field) (i32.const 4)) (i32.lt_s (local.get $skip) (i32.const 0))))
                    (then
                      (if (global.get $esc)
                        (then (local.set $maybe (i32.const 1)))
                        (else
                          (if (call $has_needle (local.get $tok) (i32.sub (local.get $i) (i32.const 1)) (local.get $nlen) (local.get $hit))
                            (then (local.set $found (i32.const 1))))))))))
              (block $colon_ws
                (loop $cws
                  (br_if $colon_ws (i32.ge_u (local.get $i) (local.get $e)))
                  (br_if $colon_ws (i32.gt_u (i32.load8_u (local.get $i)) (i32.const 0x20)))
                  (br_if $colon_ws (i32.eqz (call $ws (i32.load8_u (local.get $i)))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $cws)))
              (br_if $invalid (i32.ge_u (local.get $i) (local.get $e)))
              (br_if $invalid (i32.ne (i32.load8_u (local.get $i)) (i32.const 0x3a)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (local.set $state (i32.const 0))
              (br $step)))

          ;; --- a value ---
          (if (i32.and (i32.eq (local.get $depth) (i32.const 1)) (i32.ne (local.get $field) (i32.const 0)))
            (then (local.set $fstart (local.get $i))))
          (if (i32.or (i32.eq (local.get $c) (i32.const 0x7b)) (i32.eq (local.get $c) (i32.const 0x5b)))
            (then
              (if (i32.ge_u (local.get $depth) (i32.const 65536))
                (then
                  (i32.store offset=48 (local.get $out) (i32.const 3))
                  (return)))
              ;; Inside details, a container more than 32 levels down is not searched (keys and all).
              (if (i32.and (i32.eq (local.get $field) (i32.const 4))
                           (i32.and (i32.lt_s (local.get $skip) (i32.const 0)) (i32.gt_u (local.get $depth) (i32.const 33))))
                (then (local.set $skip (local.get $depth))))
              (i32.store8 offset=512 (local.get $depth) (local.get $c))
              (local.set $depth (i32.add (local.get $depth) (i32.const 1)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (block $open_ws
                (loop $ows
                  (br_if $open_ws (i32.ge_u (local.get $i) (local.get $e)))
                  (br_if $open_ws (i32.gt_u (i32.load8_u (local.get $i)) (i32.const 0x20)))
                  (br_if $open_ws (i32.eqz (call $ws (i32.load8_u (local.get $i)))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $ows)))
              ;; Empty {} or []: closed at once.
              (if (i32.and (i32.lt_u (local.get $i) (local.get $e))
                           (i32.eq (i32.load8_u (local.get $i)) (i32.add (local.get $c) (i32.const 2))))
                (then
                  (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
                  (if (i32.eq (local.get $skip) (local.get $depth)) (then (local.set $skip (i32.const -1))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (local.set $state (i32.const 2))
                  (br $step)))
              (local.set $state (select (i32.const 1) (i32.const 0) (i32.eq (local.get $c) (i32.const 0x7b))))
              (br $step)))
          (if (i32.eq (local.get $c) (i32.const 0x22))
            (then
              (local.set $tok (i32.add (local.get $i) (i32.const 1)))
              (local.set $i (call $string (local.get $i) (local.get $e)))
              (br_if $invalid (i32.lt_s (local.get $i) (i32.const 0)))
              (if (i32.and (local.get $search)
                           (i32.and (i32.lt_s (local.get $skip) (i32.const 0))
                                    (i32.or (i32.eq (local.get $field) (i32.const 4))
                                            (i32.and (i32.eq (local.get $field) (i32.const 1)) (i32.eq (local.get $depth) (i32.const 1))))))
                (then
                  (if (global.get $esc)
                    (then (local.set $maybe (i32.const 1)))
                    (else
                      (if (call $has_needle (local.get $tok) (i32.sub (local.get $i) (i32.const 1)) (local.get $nlen) (local.get $hit))
                        (then (local.set $found (i32.const 1))))))))
              (local.set $state (i32.const 2))
              (br $step)))
          (if (i32.or (i32.eq (local.get $c) (i32.const 0x2d)) (call $digit (local.get $c)))
            (then
              (local.set $i (call $number (local.get $i) (local.get $e)))
              (br_if $invalid (i32.lt_s (local.get $i) (i32.const 0)))
              ;; JavaScript prints numbers its own way (1e3 is "1000"): it checks them when the needle could be in one.
              (if (i32.and (i32.and (local.get $search) (i32.ne (i32.and (local.get $flags) (i32.const 8)) (i32.const 0)))
                           (i32.and (i32.eq (local.get $field) (i32.const 4)) (i32.lt_s (local.get $skip) (i32.const 0))))
                (then (local.set $maybe (i32.const 1))))
              (local.set $state (i32.const 2))
              (br $step)))
          (if (i32.eq (local.get $c) (i32.const 0x74))
            (then
              (br_if $invalid (i32.eqz (call $literal (local.get $i) (local.get $e) (i64.const 0x65757274) (i32.const 4))))
              (if (i32.and (local.get $search) (i32.and (i32.eq (local.get $field) (i32.const 4)) (i32.lt_s (local.get $skip) (i32.const 0))))
                (then (if (call $has_needle (local.get $i) (i32.add (local.get $i) (i32.const 4)) (local.get $nlen) (local.get $hit)) (then (local.set $found (i32.const 1))))))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (local.set $state (i32.const 2))
              (br $step)))
          (if (i32.eq (local.get $c) (i32.const 0x66))
            (then
              (br_if $invalid (i32.eqz (call $literal (local.get $i) (local.get $e) (i64.const 0x65736c6166) (i32.const 5))))
              (if (i32.and (local.get $search) (i32.and (i32.eq (local.get $field) (i32.const 4)) (i32.lt_s (local.get $skip) (i32.const 0))))
                (then (if (call $has_needle (local.get $i) (i32.add (local.get $i) (i32.const 5)) (local.get $nlen) (local.get $hit)) (then (local.set $found (i32.const 1))))))
              (local.set $i (i32.add (local.get $i) (i32.const 5)))
              (local.set $state (i32.const 2))
              (br $step)))
          (if (i32.eq (local.get $c) (i32.const 0x6e))
            (then
              (br_if $invalid (i32.eqz (call $literal (local.get $i) (local.get $e) (i64.const 0x6c6c756e) (i32.const 4))))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (local.set $state (i32.const 2))
              (br $step)))
          (br $invalid)))
      ;; Valid JSON. The event must be a non-empty string.
      (local.set $ev (i32.load offset=16 (local.get $out)))
      ;; (No short-circuit in WebAssembly: the byte at $ev is read only when there is one.)
      (if (i32.ge_s (local.get $ev) (i32.const 0))
        (then
          (if (i32.ne (i32.load8_u (local.get $ev)) (i32.const 0x22)) (then (local.set $ev (i32.const -1))))))
      (if (i32.or (i32.lt_s (local.get $ev) (i32.const 0))
                  (i32.le_s (i32.sub (i32.load offset=20 (local.get $out)) (local.get $ev)) (i32.const 2)))
        (then
          ;; With an escaped top-level key the event may be elsewhere: JavaScript decides.
          (i32.store offset=48 (local.get $out) (select (i32.const 3) (i32.const 2) (local.get $js)))
          (return)))
      ;; details, when present, must be an object (core/storedLine.ts): its value starts with `{`.
      (local.set $ev (i32.load offset=40 (local.get $out)))
      (if (i32.ge_s (local.get $ev) (i32.const 0))
        (then
          (if (i32.ne (i32.load8_u (local.get $ev)) (i32.const 0x7b))
            (then
              (i32.store offset=48 (local.get $out) (select (i32.const 3) (i32.const 2) (local.get $js)))
              (return)))))
      (i32.store offset=48 (local.get $out) (select (i32.const 3) (i32.const 1) (local.get $js)))
      (if (local.get $search)
        (then
          (i32.store offset=52 (local.get $out)
            (select (i32.const 1) (select (i32.const 3) (i32.const 2) (local.get $maybe)) (local.get $found)))))
      (return))
    (i32.store offset=48 (local.get $out) (i32.const 2)))
)
