::  nockchain_field.hoon: Goldilocks field and polynomial arithmetic (test material)
::
::    Cellar's own reference Hoon for its `nockchain` jet family. The core and
::    gate names, and so the %fast registration paths (the core %zeke under
::    the compiler layer `pen`, and each arm directly below it), mirror those
::    of Nockchain's zeke library, so that one jet table serves both; the
::    code is written independently, from the arithmetic, and shares none of
::    Nockchain's text.
::
::    The field has p = 2^64 - 2^32 + 1 elements. A $belt is an atom below p;
::    every gate that takes one crashes on an atom of p or more.
::
::    A $bpoly is a list of belts packed into one atom: [len dat], where the
::    i-th 64-bit word of dat is the coefficient of x^i, and the word at
::    index len is 1, a marker that keeps high zero coefficients. The zero
::    polynomial is one zero coefficient. The gates over bpolys crash on a
::    length of zero or a missing marker.
::
~%  %zeke  ..ut  ~
|%
+$  belt   @
+$  bpoly  [len=@ dat=@ux]
::
::  +p: the field's order
::
++  p  0xffff.ffff.0000.0001
::
::  +based: whether an atom is a belt
::
++  based
  ~/  %based
  |=  a=@
  ^-  ?
  (lth a p)
::
::  +badd, +bsub, +bneg, +bmul: the ring operations
::
++  badd
  ~/  %badd
  |=  [a=belt b=belt]
  ^-  belt
  ?>  &((based a) (based b))
  =/  sum  (add a b)
  ?:((lth sum p) sum (sub sum p))
::
++  bsub
  ~/  %bsub
  |=  [a=belt b=belt]
  ^-  belt
  ?>  &((based a) (based b))
  ?:((lth a b) (sub (add a p) b) (sub a b))
::
++  bneg
  ~/  %bneg
  |=  a=belt
  ^-  belt
  ?>  (based a)
  ?:(=(0 a) 0 (sub p a))
::
++  bmul
  ~/  %bmul
  |=  [a=belt b=belt]
  ^-  belt
  ?>  &((based a) (based b))
  (mod (mul a b) p)
::
::  +bpow: x to the n (0^0 is 1), by squaring
::
++  bpow
  ~/  %bpow
  |=  [x=belt n=@]
  ^-  belt
  ?>  (based x)
  =|  out=belt
  =.  out  1
  |-  ^-  belt
  ?:  =(0 n)  out
  %=  $
    out  ?:(=(0 (end 0 n)) out (bmul out x))
    x    (bmul x x)
    n    (rsh 0 n)
  ==
::
::  +binv: multiplicative inverse, x^(p-2); crashes on zero
::
++  binv
  ~/  %binv
  |=  x=belt
  ^-  belt
  ?>  (based x)
  ?<  =(0 x)
  (bpow x (sub p 2))
::
++  bdiv
  ~/  %bdiv
  |=  [a=belt b=belt]
  ^-  belt
  (bmul a (binv b))
::
::  +ordered-root: the n-th root of unity 7^((p-1)/n), for n a power of two
::  up to 2^32 (7 generates the multiplicative group)
::
++  ordered-root
  ~/  %ordered-root
  |=  n=@
  ^-  belt
  ?>  ?&(!=(0 n) (lte n (bex 32)) =(0 (dis n (dec n))))
  (bpow 7 (div (dec p) n))
::
::  +zero-bpoly: the polynomial 0
::
++  zero-bpoly  ^-(bpoly [1 (bex 64)])
::
::  +init-bpoly: pack a list of belts (each cut to its low 64 bits)
::
++  init-bpoly
  ~/  %init-bpoly
  |=  poly=(list belt)
  ^-  bpoly
  ?~  poly  zero-bpoly
  =/  len  (lent poly)
  ?>  (lth len (bex 32))
  [len (con (bex (mul 64 len)) (rep 6 poly))]
::
::  +bwords: the coefficients of a bpoly, lowest degree first
::
++  bwords
  |=  bp=bpoly
  ^-  (list belt)
  ?>  ?&(!=(0 len.bp) =(1 (rsh [6 len.bp] dat.bp)))
  =/  i  len.bp
  =|  out=(list belt)
  |-  ^-  (list belt)
  ?:  =(0 i)  out
  $(i (dec i), out [(cut 6 [(dec i) 1] dat.bp) out])
::
::  +bzip: combine two coefficient lists pairwise, the shorter one padded
::  with zeros
::
++  bzip
  |=  [a=(list belt) b=(list belt) f=$-([belt belt] belt)]
  ^-  (list belt)
  ?:  &(?=(~ a) ?=(~ b))  ~
  :-  (f ?~(a 0 i.a) ?~(b 0 i.b))
  $(a ?~(a ~ t.a), b ?~(b ~ t.b))
::
++  bpoly-to-list
  ~/  %bpoly-to-list
  |=  bp=bpoly
  ^-  (list belt)
  (bwords bp)
::
++  bpadd
  ~/  %bpadd
  |=  [bp=bpoly bq=bpoly]
  ^-  bpoly
  (init-bpoly (bzip (bwords bp) (bwords bq) badd))
::
++  bpsub
  ~/  %bpsub
  |=  [bp=bpoly bq=bpoly]
  ^-  bpoly
  (init-bpoly (bzip (bwords bp) (bwords bq) bsub))
::
++  bpneg
  ~/  %bpneg
  |=  bp=bpoly
  ^-  bpoly
  (init-bpoly (turn (bwords bp) bneg))
::
::  +bpscal: the scalar multiple c*bp
::
++  bpscal
  ~/  %bpscal
  |=  [c=belt bp=bpoly]
  ^-  bpoly
  (init-bpoly (turn (bwords bp) |=(a=belt (bmul c a))))
::
::  +bpmul: the product, of length len.bp + len.bq - 1, or the zero
::  polynomial when either factor is exactly it; Horner's rule over bp's
::  coefficients, highest first: acc := x*acc + c*bq
::
++  bpmul
  ~/  %bpmul
  |=  [bp=bpoly bq=bpoly]
  ^-  bpoly
  ?>  ?&(!=(0 len.bp) !=(0 len.bq))
  ?:  |(=(zero-bpoly bp) =(zero-bpoly bq))  zero-bpoly
  =/  q  (bwords bq)
  =/  cs  (flop (bwords bp))
  =|  acc=(list belt)
  |-  ^-  bpoly
  ?~  cs  (init-bpoly acc)
  =/  scaled  (turn q |=(a=belt (bmul i.cs a)))
  $(cs t.cs, acc (bzip [0 acc] scaled badd))
::
::  +bp-hadamard: the pointwise product of two bpolys of one length
::
++  bp-hadamard
  ~/  %bp-hadamard
  |=  [bp=bpoly bq=bpoly]
  ^-  bpoly
  ?>  =(len.bp len.bq)
  ?:  =(0 len.bp)  zero-bpoly
  (init-bpoly (bzip (bwords bp) (bwords bq) bmul))
--
