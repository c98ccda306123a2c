;; NTT kernels over GF(p), p = 2013265921 = 15 * 2^27 + 1, for
;; Toeplitz privacy amplification. Montgomery multiplication with R = 2^32 (Montgomery, Math.
;; Comp. 44 (1985)): mont(a, b) = a b R^-1 mod p via m = (a b mod R)(-p^-1 mod R) mod R,
;; u = (a b + m p) / R, one conditional subtraction (all products < 2^63, exact in i64).
;; Data stays in normal form; twiddles and scale factors come in Montgomery form (x R mod p),
;; so mont(data, twiddle_M) = data * twiddle mod p. Butterflies are written out inline (no calls)
;; because V8 does not inline small wasm functions. Array arguments are u32 element indices into
;; the shared memory. Rebuild the embedded bytes with: node build-ntt-kernel.mjs
(module
  (import "env" "mem" (memory 1 65536 shared))

  ;; one level: block at element $off, half-size $half, butterflies j in [j0, j1), twiddle tab[half + j]
  (func $dif_tab (export "dif_tab") (param $off i32) (param $half i32) (param $j0 i32) (param $j1 i32) (param $tab i32)
    (local $j i32) (local $pi i32) (local $pk i32) (local $hb i32) (local $pt i32) (local $t i64) (local $u i64) (local $x i64) (local $y i64) (local $s i64) (local $d i64)
    (local.set $j (local.get $j0))
    (local.set $hb (i32.shl (local.get $half) (i32.const 2)))
    (local.set $pi (i32.shl (i32.add (local.get $off) (local.get $j)) (i32.const 2)))
    (local.set $pt (i32.shl (i32.add (i32.add (local.get $tab) (local.get $half)) (local.get $j)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $j1)))
        (local.set $pk (i32.add (local.get $pi) (local.get $hb)))
        (local.set $x (i64.load32_u (local.get $pi)))
        (local.set $y (i64.load32_u (local.get $pk)))
        (local.set $s (i64.add (local.get $x) (local.get $y)))
        (i64.store32 (local.get $pi) (select (i64.sub (local.get $s) (i64.const 2013265921)) (local.get $s) (i64.ge_u (local.get $s) (i64.const 2013265921))))
        (local.set $t (i64.mul (i64.sub (i64.add (local.get $x) (i64.const 2013265921)) (local.get $y)) (i64.load32_u (local.get $pt))))
        (local.set $u (i64.shr_u (i64.add (local.get $t) (i64.mul (i64.and (i64.mul (local.get $t) (i64.const 2013265919)) (i64.const 0xffffffff)) (i64.const 2013265921))) (i64.const 32)))
        (local.set $d (select (i64.sub (local.get $u) (i64.const 2013265921)) (local.get $u) (i64.ge_u (local.get $u) (i64.const 2013265921))))
        (i64.store32 (local.get $pk) (local.get $d))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (local.set $pi (i32.add (local.get $pi) (i32.const 4)))
        (local.set $pt (i32.add (local.get $pt) (i32.const 4)))
        (br $next))))

  ;; one level: block at element $off, half-size $half, butterflies j in [j0, j1), twiddle tab[half + j]
  (func $dit_tab (export "dit_tab") (param $off i32) (param $half i32) (param $j0 i32) (param $j1 i32) (param $tab i32)
    (local $j i32) (local $pi i32) (local $pk i32) (local $hb i32) (local $pt i32) (local $t i64) (local $u i64) (local $x i64) (local $y i64) (local $s i64) (local $d i64)
    (local.set $j (local.get $j0))
    (local.set $hb (i32.shl (local.get $half) (i32.const 2)))
    (local.set $pi (i32.shl (i32.add (local.get $off) (local.get $j)) (i32.const 2)))
    (local.set $pt (i32.shl (i32.add (i32.add (local.get $tab) (local.get $half)) (local.get $j)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $j1)))
        (local.set $pk (i32.add (local.get $pi) (local.get $hb)))
        (local.set $x (i64.load32_u (local.get $pi)))
        (local.set $t (i64.mul (i64.load32_u (local.get $pk)) (i64.load32_u (local.get $pt))))
        (local.set $u (i64.shr_u (i64.add (local.get $t) (i64.mul (i64.and (i64.mul (local.get $t) (i64.const 2013265919)) (i64.const 0xffffffff)) (i64.const 2013265921))) (i64.const 32)))
        (local.set $y (select (i64.sub (local.get $u) (i64.const 2013265921)) (local.get $u) (i64.ge_u (local.get $u) (i64.const 2013265921))))
        (local.set $s (i64.add (local.get $x) (local.get $y)))
        (i64.store32 (local.get $pi) (select (i64.sub (local.get $s) (i64.const 2013265921)) (local.get $s) (i64.ge_u (local.get $s) (i64.const 2013265921))))
        (local.set $d (i64.sub (i64.add (local.get $x) (i64.const 2013265921)) (local.get $y)))
        (i64.store32 (local.get $pk) (select (i64.sub (local.get $d) (i64.const 2013265921)) (local.get $d) (i64.ge_u (local.get $d) (i64.const 2013265921))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (local.set $pi (i32.add (local.get $pi) (i32.const 4)))
        (local.set $pt (i32.add (local.get $pt) (i32.const 4)))
        (br $next))))

  ;; one level with a stepped twiddle: t = tM (w^j0, Montgomery form), t *= w after each butterfly
  (func (export "dif_inc") (param $off i32) (param $half i32) (param $j0 i32) (param $j1 i32) (param $wM i64) (param $tM i64)
    (local $j i32) (local $pi i32) (local $pk i32) (local $hb i32) (local $w i64) (local $t i64) (local $u i64) (local $x i64) (local $y i64) (local $s i64) (local $d i64)
    (local.set $j (local.get $j0))
    (local.set $w (local.get $tM))
    (local.set $hb (i32.shl (local.get $half) (i32.const 2)))
    (local.set $pi (i32.shl (i32.add (local.get $off) (local.get $j)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $j1)))
        (local.set $pk (i32.add (local.get $pi) (local.get $hb)))
        (local.set $x (i64.load32_u (local.get $pi)))
        (local.set $y (i64.load32_u (local.get $pk)))
        (local.set $s (i64.add (local.get $x) (local.get $y)))
        (i64.store32 (local.get $pi) (select (i64.sub (local.get $s) (i64.const 2013265921)) (local.get $s) (i64.ge_u (local.get $s) (i64.const 2013265921))))
        (local.set $t (i64.mul (i64.sub (i64.add (local.get $x) (i64.const 2013265921)) (local.get $y)) (local.get $w)))
        (local.set $u (i64.shr_u (i64.add (local.get $t) (i64.mul (i64.and (i64.mul (local.get $t) (i64.const 2013265919)) (i64.const 0xffffffff)) (i64.const 2013265921))) (i64.const 32)))
        (local.set $d (select (i64.sub (local.get $u) (i64.const 2013265921)) (local.get $u) (i64.ge_u (local.get $u) (i64.const 2013265921))))
        (i64.store32 (local.get $pk) (local.get $d))
        (local.set $t (i64.mul (local.get $w) (local.get $wM)))
        (local.set $u (i64.shr_u (i64.add (local.get $t) (i64.mul (i64.and (i64.mul (local.get $t) (i64.const 2013265919)) (i64.const 0xffffffff)) (i64.const 2013265921))) (i64.const 32)))
        (local.set $w (select (i64.sub (local.get $u) (i64.const 2013265921)) (local.get $u) (i64.ge_u (local.get $u) (i64.const 2013265921))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (local.set $pi (i32.add (local.get $pi) (i32.const 4)))
        (br $next))))

  ;; one level with a stepped twiddle: t = tM (w^j0, Montgomery form), t *= w after each butterfly
  (func (export "dit_inc") (param $off i32) (param $half i32) (param $j0 i32) (param $j1 i32) (param $wM i64) (param $tM i64)
    (local $j i32) (local $pi i32) (local $pk i32) (local $hb i32) (local $w i64) (local $t i64) (local $u i64) (local $x i64) (local $y i64) (local $s i64) (local $d i64)
    (local.set $j (local.get $j0))
    (local.set $w (local.get $tM))
    (local.set $hb (i32.shl (local.get $half) (i32.const 2)))
    (local.set $pi (i32.shl (i32.add (local.get $off) (local.get $j)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $j1)))
        (local.set $pk (i32.add (local.get $pi) (local.get $hb)))
        (local.set $x (i64.load32_u (local.get $pi)))
        (local.set $t (i64.mul (i64.load32_u (local.get $pk)) (local.get $w)))
        (local.set $u (i64.shr_u (i64.add (local.get $t) (i64.mul (i64.and (i64.mul (local.get $t) (i64.const 2013265919)) (i64.const 0xffffffff)) (i64.const 2013265921))) (i64.const 32)))
        (local.set $y (select (i64.sub (local.get $u) (i64.const 2013265921)) (local.get $u) (i64.ge_u (local.get $u) (i64.const 2013265921))))
        (local.set $s (i64.add (local.get $x) (local.get $y)))
        (i64.store32 (local.get $pi) (select (i64.sub (local.get $s) (i64.const 2013265921)) (local.get $s) (i64.ge_u (local.get $s) (i64.const 2013265921))))
        (local.set $d (i64.sub (i64.add (local.get $x) (i64.const 2013265921)) (local.get $y)))
        (i64.store32 (local.get $pk) (select (i64.sub (local.get $d) (i64.const 2013265921)) (local.get $d) (i64.ge_u (local.get $d) (i64.const 2013265921))))
        (local.set $t (i64.mul (local.get $w) (local.get $wM)))
        (local.set $u (i64.shr_u (i64.add (local.get $t) (i64.mul (i64.and (i64.mul (local.get $t) (i64.const 2013265919)) (i64.const 0xffffffff)) (i64.const 2013265921))) (i64.const 32)))
        (local.set $w (select (i64.sub (local.get $u) (i64.const 2013265921)) (local.get $u) (i64.ge_u (local.get $u) (i64.const 2013265921))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (local.set $pi (i32.add (local.get $pi) (i32.const 4)))
        (br $next))))

  ;; every level of a block of $len elements at $off (forward: m = len .. 2)
  (func (export "dif_leaf") (param $off i32) (param $len i32) (param $tab i32)
    (local $m i32) (local $s i32) (local $end i32)
    (local.set $end (i32.add (local.get $off) (local.get $len)))
    (local.set $m (local.get $len))
    (block $dm (loop $lm
      (br_if $dm (i32.lt_u (local.get $m) (i32.const 2)))
      (local.set $s (local.get $off))
      (block $ds (loop $ls
        (br_if $ds (i32.ge_u (local.get $s) (local.get $end)))
        (call $dif_tab (local.get $s) (i32.shr_u (local.get $m) (i32.const 1)) (i32.const 0) (i32.shr_u (local.get $m) (i32.const 1)) (local.get $tab))
        (local.set $s (i32.add (local.get $s) (local.get $m)))
        (br $ls)))
      (local.set $m (i32.shr_u (local.get $m) (i32.const 1)))
      (br $lm))))

  ;; every level of a block of $len elements at $off (inverse: m = 2 .. len)
  (func (export "dit_leaf") (param $off i32) (param $len i32) (param $tab i32)
    (local $m i32) (local $s i32) (local $end i32)
    (local.set $end (i32.add (local.get $off) (local.get $len)))
    (local.set $m (i32.const 2))
    (block $dm (loop $lm
      (br_if $dm (i32.gt_u (local.get $m) (local.get $len)))
      (local.set $s (local.get $off))
      (block $ds (loop $ls
        (br_if $ds (i32.ge_u (local.get $s) (local.get $end)))
        (call $dit_tab (local.get $s) (i32.shr_u (local.get $m) (i32.const 1)) (i32.const 0) (i32.shr_u (local.get $m) (i32.const 1)) (local.get $tab))
        (local.set $s (i32.add (local.get $s) (local.get $m)))
        (br $ls)))
      (local.set $m (i32.shl (local.get $m) (i32.const 1)))
      (br $lm))))

  ;; a[i] = a[i] b[i] / L for i in [from, to): two Montgomery products, sM = R^2 / L mod p
  (func (export "pointwise") (param $a i32) (param $b i32) (param $from i32) (param $to i32) (param $sM i64)
    (local $i i32) (local $pa i32) (local $pb i32) (local $t i64) (local $u i64) (local $x i64) (local $y i64) (local $s i64) (local $d i64)
    (local.set $i (local.get $from))
    (local.set $pa (i32.shl (i32.add (local.get $a) (local.get $from)) (i32.const 2)))
    (local.set $pb (i32.shl (i32.add (local.get $b) (local.get $from)) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $to)))
      (local.set $t (i64.mul (i64.load32_u (local.get $pa)) (i64.load32_u (local.get $pb))))
        (local.set $u (i64.shr_u (i64.add (local.get $t) (i64.mul (i64.and (i64.mul (local.get $t) (i64.const 2013265919)) (i64.const 0xffffffff)) (i64.const 2013265921))) (i64.const 32)))
        (local.set $x (select (i64.sub (local.get $u) (i64.const 2013265921)) (local.get $u) (i64.ge_u (local.get $u) (i64.const 2013265921))))
      (local.set $t (i64.mul (local.get $x) (local.get $sM)))
        (local.set $u (i64.shr_u (i64.add (local.get $t) (i64.mul (i64.and (i64.mul (local.get $t) (i64.const 2013265919)) (i64.const 0xffffffff)) (i64.const 2013265921))) (i64.const 32)))
        (local.set $y (select (i64.sub (local.get $u) (i64.const 2013265921)) (local.get $u) (i64.ge_u (local.get $u) (i64.const 2013265921))))
      (i64.store32 (local.get $pa) (local.get $y))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 4)))
      (br $next))))

  ;; dst[i] = bit i of the packed words at $w for i < bits, 0 for bits <= i; i in [from, to)
  (func (export "unpack") (param $w i32) (param $bits i32) (param $dst i32) (param $from i32) (param $to i32)
    (local $i i32)
    (local.set $i (local.get $from))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $to)))
      (i32.store (i32.shl (i32.add (local.get $dst) (local.get $i)) (i32.const 2))
        (if (result i32) (i32.lt_u (local.get $i) (local.get $bits)) ;; not select: the load must not run past the words
          (then (i32.and (i32.shr_u (i32.load (i32.shl (i32.add (local.get $w) (i32.shr_u (local.get $i) (i32.const 5))) (i32.const 2)))
                                    (i32.and (local.get $i) (i32.const 31))) (i32.const 1)))
          (else (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))

  ;; output words q in [wfrom, wto): bit b of word q = parity of src[start + 32 q + b], for 32 q + b < count
  (func (export "pack_parity") (param $src i32) (param $start i32) (param $count i32) (param $dst i32) (param $wfrom i32) (param $wto i32)
    (local $q i32) (local $b i32) (local $acc i32) (local $i i32)
    (local.set $q (local.get $wfrom))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $q) (local.get $wto)))
      (local.set $acc (i32.const 0))
      (local.set $b (i32.const 0))
      (block $bd (loop $bl
        (br_if $bd (i32.ge_u (local.get $b) (i32.const 32)))
        (local.set $i (i32.add (i32.shl (local.get $q) (i32.const 5)) (local.get $b)))
        (br_if $bd (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $acc (i32.or (local.get $acc)
          (i32.shl (i32.and (i32.load (i32.shl (i32.add (i32.add (local.get $src) (local.get $start)) (local.get $i)) (i32.const 2))) (i32.const 1))
                   (local.get $b))))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bl)))
      (i32.store (i32.shl (i32.add (local.get $dst) (local.get $q)) (i32.const 2)) (local.get $acc))
      (local.set $q (i32.add (local.get $q) (i32.const 1)))
      (br $next))))
)
