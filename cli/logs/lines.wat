;; The line indexer behind `logs` (cli/logs/lineIndex.ts). Source of linesWasm.ts: `npm run wasm` compiles it
;; (wabt), and test/cli/lineIndex.test.ts fails when the two differ.
;;
;; It finds, 16 bytes at a time (SIMD), the line breaks of a buffer and the places where a needle may start, and
;; reports only the lines JavaScript has to look at: lines that contain the needle (all lines when there is no
;; needle) and lines that do not look like one JSON object ({ ... }), which are reported as torn or invalid. In a
;; typical search that is a few percent of the lines; the others cost no JavaScript at all. Doing this per line from
;; JavaScript (Buffer#indexOf for every line break) took longer than reading the file.
;;
;; Memory layout (set up by lineIndex.ts):
;;   [0, 256)     the needle, lower-cased where it folds
;;   [256, 512)   per needle byte, 0x20 to OR into the text before comparing (case-insensitive letters), else 0
;;   [512, ...)   the report: 4 x i32 per line (line index from the start of the scan, start, end, kind)
;;   then the text, followed by at least 16 + 256 bytes of slack (loads may run past the end; those bits are masked)
(module
  (memory (export "memory") 2)
  ;; After scan(): where the first line not scanned starts, and how many complete lines were scanned.
  (global $next (export "next") (mut i32) (i32.const 0))
  (global $lines (export "lines") (mut i32) (i32.const 0))

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

  ;; Scan the lines that start at $p (a line start) up to $end. Reports at most $cap lines at $out, as
  ;; (index, start, end, kind); kind bit 1: the needle is in the line (or $all), bit 2: it is not `{...}` (or empty).
  ;; Stops after the last complete line, or once $cap lines are reported; sets $next and $lines. Returns the count.
  (func (export "scan") (param $p i32) (param $end i32) (param $nlen i32) (param $all i32) (param $out i32) (param $cap i32) (result i32)
    (local $i i32) (local $lineStart i32) (local $idx i32) (local $n i32) (local $flag i32) (local $kind i32)
    (local $m i32) (local $hm i32) (local $both i32) (local $bit i32) (local $pos i32) (local $rest i32)
    (local $blk v128) (local $vnl v128) (local $first v128) (local $fmask v128) (local $last v128) (local $lmask v128)
    (local.set $vnl (i8x16.splat (i32.const 10)))
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
                    (i32.store (local.get $out) (local.get $idx))
                    (i32.store offset=4 (local.get $out) (local.get $lineStart))
                    (i32.store offset=8 (local.get $out) (local.get $pos))
                    (i32.store offset=12 (local.get $out) (local.get $kind))
                    (local.set $out (i32.add (local.get $out) (i32.const 16)))
                    (local.set $n (i32.add (local.get $n) (i32.const 1)))))
                (local.set $idx (i32.add (local.get $idx) (i32.const 1)))
                (local.set $lineStart (i32.add (local.get $pos) (i32.const 1)))
                (local.set $flag (local.get $all))
                (if (i32.ge_u (local.get $n) (local.get $cap))
                  (then
                    (global.set $next (local.get $lineStart))
                    (global.set $lines (local.get $idx))
                    (return (local.get $n)))))
              (else
                ;; Maybe the needle: it must fit before $end (else its line is not complete yet either).
                (if (i32.eqz (local.get $flag))
                  (then
                    (if (i32.le_u (i32.add (local.get $pos) (local.get $nlen)) (local.get $end))
                      (then (local.set $flag (call $verify (local.get $pos) (local.get $nlen)))))))))
            (br $bits)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $blocks)))
    (global.set $next (local.get $lineStart))
    (global.set $lines (local.get $idx))
    (local.get $n))
)
