;; Horner steps of the polynomial hash mod p = 2^127 - 1 (poly-hash.ts) over 15-byte blocks, in
;; the 5 x 26-bit limb representation of Bernstein's poly1305-donna-32 (value = sum h_i 2^(26 i),
;; up to 130 bits, not fully reduced). Here 2^130 = 2^3 * 2^127 = 8 (mod p), so the wrapped
;; partial products are multiplied by 8 (donna multiplies by 5 for 2^130 - 5).
;; Bounds: after a step h_i < 2^26 + 2^8; adding a block limb gives h_i < 2^27; r_j < 2^26,
;; s_j = 8 r_j < 2^29, so each column sum < 4 * 2^56 + 2^53 < 2^59 fits a signed i64.
;; Memory: [0, 40) h0..h4 (i64), [64, 104) r0..r4 (i64), blocks from the given offset.
(module
  (memory (export "mem") 17)
  (func (export "blocks") (param $p i32) (param $n i32)
    (local $h0 i64) (local $h1 i64) (local $h2 i64) (local $h3 i64) (local $h4 i64)
    (local $r0 i64) (local $r1 i64) (local $r2 i64) (local $r3 i64) (local $r4 i64)
    (local $s1 i64) (local $s2 i64) (local $s3 i64) (local $s4 i64)
    (local $d0 i64) (local $d1 i64) (local $d2 i64) (local $d3 i64) (local $d4 i64)
    (local $lo i64) (local $hi i64) (local $end i32)
    (local.set $h0 (i64.load (i32.const 0)))
    (local.set $h1 (i64.load (i32.const 8)))
    (local.set $h2 (i64.load (i32.const 16)))
    (local.set $h3 (i64.load (i32.const 24)))
    (local.set $h4 (i64.load (i32.const 32)))
    (local.set $r0 (i64.load (i32.const 64)))
    (local.set $r1 (i64.load (i32.const 72)))
    (local.set $r2 (i64.load (i32.const 80)))
    (local.set $r3 (i64.load (i32.const 88)))
    (local.set $r4 (i64.load (i32.const 96)))
    (local.set $s1 (i64.shl (local.get $r1) (i64.const 3)))
    (local.set $s2 (i64.shl (local.get $r2) (i64.const 3)))
    (local.set $s3 (i64.shl (local.get $r3) (i64.const 3)))
    (local.set $s4 (i64.shl (local.get $r4) (i64.const 3)))
    (local.set $end (i32.add (local.get $p) (i32.mul (local.get $n) (i32.const 15))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        ;; block bytes 0..7 and 8..14 (little-endian, 120 bits)
        (local.set $lo (i64.load (local.get $p)))
        (local.set $hi (i64.shr_u (i64.load offset=7 (local.get $p)) (i64.const 8)))
        (local.set $h0 (i64.add (local.get $h0) (i64.and (local.get $lo) (i64.const 0x3ffffff))))
        (local.set $h1 (i64.add (local.get $h1) (i64.and (i64.shr_u (local.get $lo) (i64.const 26)) (i64.const 0x3ffffff))))
        (local.set $h2 (i64.add (local.get $h2) (i64.and (i64.or (i64.shr_u (local.get $lo) (i64.const 52)) (i64.shl (local.get $hi) (i64.const 12))) (i64.const 0x3ffffff))))
        (local.set $h3 (i64.add (local.get $h3) (i64.and (i64.shr_u (local.get $hi) (i64.const 14)) (i64.const 0x3ffffff))))
        (local.set $h4 (i64.add (local.get $h4) (i64.shr_u (local.get $hi) (i64.const 40))))
        ;; d = h * r mod (2^130 - 8), column k collects h_i r_j with i + j = k and 8 h_i r_j with i + j = k + 5
        (local.set $d0 (i64.add (i64.add (i64.add (i64.add
          (i64.mul (local.get $h0) (local.get $r0)) (i64.mul (local.get $h1) (local.get $s4)))
          (i64.mul (local.get $h2) (local.get $s3))) (i64.mul (local.get $h3) (local.get $s2)))
          (i64.mul (local.get $h4) (local.get $s1))))
        (local.set $d1 (i64.add (i64.add (i64.add (i64.add
          (i64.mul (local.get $h0) (local.get $r1)) (i64.mul (local.get $h1) (local.get $r0)))
          (i64.mul (local.get $h2) (local.get $s4))) (i64.mul (local.get $h3) (local.get $s3)))
          (i64.mul (local.get $h4) (local.get $s2))))
        (local.set $d2 (i64.add (i64.add (i64.add (i64.add
          (i64.mul (local.get $h0) (local.get $r2)) (i64.mul (local.get $h1) (local.get $r1)))
          (i64.mul (local.get $h2) (local.get $r0))) (i64.mul (local.get $h3) (local.get $s4)))
          (i64.mul (local.get $h4) (local.get $s3))))
        (local.set $d3 (i64.add (i64.add (i64.add (i64.add
          (i64.mul (local.get $h0) (local.get $r3)) (i64.mul (local.get $h1) (local.get $r2)))
          (i64.mul (local.get $h2) (local.get $r1))) (i64.mul (local.get $h3) (local.get $r0)))
          (i64.mul (local.get $h4) (local.get $s4))))
        (local.set $d4 (i64.add (i64.add (i64.add (i64.add
          (i64.mul (local.get $h0) (local.get $r4)) (i64.mul (local.get $h1) (local.get $r3)))
          (i64.mul (local.get $h2) (local.get $r2))) (i64.mul (local.get $h3) (local.get $r1)))
          (i64.mul (local.get $h4) (local.get $r0))))
        ;; carries; the carry out of limb 4 (weight 2^130) wraps to limb 0 times 8
        (local.set $d1 (i64.add (local.get $d1) (i64.shr_u (local.get $d0) (i64.const 26))))
        (local.set $h0 (i64.and (local.get $d0) (i64.const 0x3ffffff)))
        (local.set $d2 (i64.add (local.get $d2) (i64.shr_u (local.get $d1) (i64.const 26))))
        (local.set $h1 (i64.and (local.get $d1) (i64.const 0x3ffffff)))
        (local.set $d3 (i64.add (local.get $d3) (i64.shr_u (local.get $d2) (i64.const 26))))
        (local.set $h2 (i64.and (local.get $d2) (i64.const 0x3ffffff)))
        (local.set $d4 (i64.add (local.get $d4) (i64.shr_u (local.get $d3) (i64.const 26))))
        (local.set $h3 (i64.and (local.get $d3) (i64.const 0x3ffffff)))
        (local.set $h4 (i64.and (local.get $d4) (i64.const 0x3ffffff)))
        (local.set $h0 (i64.add (local.get $h0) (i64.shl (i64.shr_u (local.get $d4) (i64.const 26)) (i64.const 3))))
        (local.set $h1 (i64.add (local.get $h1) (i64.shr_u (local.get $h0) (i64.const 26))))
        (local.set $h0 (i64.and (local.get $h0) (i64.const 0x3ffffff)))
        (local.set $p (i32.add (local.get $p) (i32.const 15)))
        (br $next)))
    (i64.store (i32.const 0) (local.get $h0))
    (i64.store (i32.const 8) (local.get $h1))
    (i64.store (i32.const 16) (local.get $h2))
    (i64.store (i32.const 24) (local.get $h3))
    (i64.store (i32.const 32) (local.get $h4))))
