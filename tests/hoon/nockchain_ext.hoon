::  nockchain_ext.hoon: Nockchain's cubic extension field and Tip5 (test material)
::
::    Cellar's own reference Hoon for its `nockchain_ext` and `tip5` jet
::    families, to be put on top of nockchain_field.hoon (whose zeke core is
::    its subject). The core and gate names, and so the %fast registration
::    paths (zeke/ext-field, then misc-lib/tip5-lib below it), mirror those
::    of Nockchain's zeke library, so that one jet table serves both; the
::    code is written independently, from the arithmetic, and shares none of
::    Nockchain's text. The numbers of Tip5 (lookup table, MDS column, round
::    constants) are Nockchain's, from its public source.
::
=>
~%  %ext-field  +  ~
|%
::  +felt: an element of the field of p^3 elements, belts[x]/(x^3 - x + 1);
::  the coefficients of 1, x and x^2 packed as the 64-bit words of an atom,
::  lowest first, and 1 in the fourth word (a marker). The gates crash on
::  any other atom.
::
+$  felt  @ux
::
::  +felt-words: the coefficients of a felt
::
++  felt-words
  |=  a=felt
  ^-  [x0=belt x1=belt x2=belt]
  ?>  =(1 (rsh [6 3] a))
  =/  w  [x0=(cut 6 [0 1] a) x1=(cut 6 [1 1] a) x2=(cut 6 [2 1] a)]
  ?>  ?&((based x0.w) (based x1.w) (based x2.w))
  w
::
++  make-felt
  |=  [x0=belt x1=belt x2=belt]
  ^-  felt
  (rep 6 ~[x0 x1 x2 1])
::
++  felt-one  (make-felt 1 0 0)
::
++  fadd
  ~/  %fadd
  |=  [a=felt b=felt]
  ^-  felt
  =/  x  (felt-words a)
  =/  y  (felt-words b)
  (make-felt (badd x0.x x0.y) (badd x1.x x1.y) (badd x2.x x2.y))
::
++  fsub
  ~/  %fsub
  |=  [a=felt b=felt]
  ^-  felt
  =/  x  (felt-words a)
  =/  y  (felt-words b)
  (make-felt (bsub x0.x x0.y) (bsub x1.x x1.y) (bsub x2.x x2.y))
::
++  fneg
  ~/  %fneg
  |=  a=felt
  ^-  felt
  =/  x  (felt-words a)
  (make-felt (bneg x0.x) (bneg x1.x) (bneg x2.x))
::
::  +fmul: the product of the coefficient lists (five coefficients), then
::  the terms of x^4 and x^3 folded down, highest first: c x^k is
::  c x^(k-2) - c x^(k-3), as x^3 = x - 1
::
++  fmul
  ~/  %fmul
  |=  [a=felt b=felt]
  ^-  felt
  =/  x  (felt-words a)
  =/  y  (felt-words b)
  =/  xs=(list belt)  ~[x0.x x1.x x2.x]
  =/  ys=(list belt)  ~[x0.y x1.y x2.y]
  =/  prod=(list belt)  (reap 5 0)
  =/  i  0
  =.  prod
    |-  ^-  (list belt)
    ?:  =(3 i)  prod
    =/  j  0
    =.  prod
      |-  ^-  (list belt)
      ?:  =(3 j)  prod
      =/  k  (add i j)
      =/  term  (bmul (snag i xs) (snag j ys))
      $(j +(j), prod (snap prod k (badd (snag k prod) term)))
    $(i +(i))
  =/  k  4
  |-  ^-  felt
  ?:  =(2 k)  (make-felt (snag 0 prod) (snag 1 prod) (snag 2 prod))
  =/  c  (snag k prod)
  =.  prod  (snap prod (sub k 2) (badd (snag (sub k 2) prod) c))
  =.  prod  (snap prod (sub k 3) (bsub (snag (sub k 3) prod) c))
  $(k (dec k))
::
::  +fpow: x to the n (0^0 is 1), by squaring
::
++  fpow
  ~/  %fpow
  |=  [x=felt n=@]
  ^-  felt
  ?>  =(x (make-felt (felt-words x)))
  =/  out  felt-one
  |-  ^-  felt
  ?:  =(0 n)  out
  %=  $
    out  ?:(=(0 (end 0 n)) out (fmul out x))
    x    (fmul x x)
    n    (rsh 0 n)
  ==
::
::  +finv: the inverse, x^(p^3 - 2); crashes on zero
::
++  finv
  ~/  %finv
  |=  a=felt
  ^-  felt
  ?<  =((felt-words a) [0 0 0])
  (fpow a (sub (pow p 3) 2))
::
++  fdiv
  ~/  %fdiv
  |=  [a=felt b=felt]
  ^-  felt
  (fmul a (finv b))
::
::  +bp-ntt: the values of bp at root^0 .. root^(n-1), where n, the length
::  of bp, is a power of two: each by Horner's rule, highest coefficient
::  first (the transform by its definition, not a fast one)
::
++  bp-ntt
  ~/  %bp-ntt
  |=  [bp=bpoly root=belt]
  ^-  bpoly
  =/  cs  (flop (bwords bp))
  =/  n  len.bp
  ?>  =(0 (dis n (dec n)))
  ?>  (based root)
  =/  k  0
  =/  z=belt  1
  =|  out=(list belt)
  |-  ^-  bpoly
  ?:  =(n k)  (init-bpoly (flop out))
  =/  val  (roll cs |=([c=belt acc=belt] (badd (bmul acc z) c)))
  $(k +(k), z (bmul z root), out [val out])
::
::  +bp-fft: bp-ntt at the root of unity of bp's length
::
++  bp-fft
  ~/  %bp-fft
  |=  bp=bpoly
  ^-  bpoly
  (bp-ntt bp (ordered-root len.bp))
--
=>
~%  %misc-lib  +  ~
|%
++  digest-length  5
--
~%  %tip5-lib  +  ~
|%
::  Tip5 over belts: a state of 16, rate 10, 7 rounds. The state holds
::  Montgomery forms, x * 2^64 mod p (to-mont); the hashes convert their
::  input to them and their digest back (from-mont).
::
++  mont-one  0xffff.ffff
++  to-mont  |=(x=belt (bmul x mont-one))
++  from-mont  |=(x=belt (bmul x (binv mont-one)))
::
::  +lookup-table: the split-and-lookup S-box's bytes, as one atom
::
++  lookup-table
  %+  rep  3
  ^-  (list @)
  :~
    0  7  26  63  124  215  85  254  214  228  45  185  140  173  33  240
    29  177  176  32  8  110  87  202  204  99  150  106  230  14  235  128
    213  239  212  138  23  130  208  6  44  71  93  116  146  189  251  81
    199  97  38  28  73  179  95  84  152  48  35  119  49  88  242  3
    148  169  72  120  62  161  166  83  175  191  137  19  100  129  112  55
    221  102  218  61  151  237  68  164  17  147  46  234  203  216  22  141
    65  57  123  12  244  54  219  231  96  77  180  154  5  253  133  165
    98  195  205  134  245  30  9  188  59  142  186  197  181  144  92  31
    224  163  111  74  58  69  113  196  67  246  225  10  121  50  60  157
    90  122  2  250  101  75  178  159  24  36  201  11  243  132  198  190
    114  233  39  52  21  209  108  238  91  187  18  104  194  37  153  34
    200  143  126  155  236  118  64  80  172  89  94  193  135  183  86  107
    252  13  167  206  136  220  207  103  171  160  76  182  227  217  158  56
    174  4  66  109  139  162  184  211  249  47  125  232  117  43  16  42
    127  20  241  25  149  105  156  51  53  168  145  247  223  79  78  226
    15  222  82  115  70  210  27  41  1  170  40  131  192  229  248  255
  ==
::
++  mds-column
  ^-  (list @)
  :~
    61.402  1.108  28.750  33.823  7.454  43.244  53.865  12.034
    56.951  27.521  41.351  40.901  12.021  59.689  26.798  17.845
  ==
::
::  +round-constants: 16 per round, in Montgomery form
::
++  round-constants
  ^-  (list belt)
  :~
    6.813.007.285.744.613.222  9.538.108.458.283.805.344  8.266.796.718.228.611.711  10.279.833.152.781.686.635
    16.136.178.252.164.695.712  11.678.500.968.092.896.548  18.177.224.533.631.314.584  8.519.208.882.353.197.867
    15.278.933.395.031.186.751  5.605.030.382.266.121.712  3.266.079.902.019.342.405  16.977.155.338.689.078.860
    575.533.378.161.618.286  14.008.024.146.379.968.822  16.952.256.074.650.551.489  10.699.818.153.468.018.415
    16.274.322.239.097.854.776  16.277.174.423.203.830.480  15.551.543.598.572.731.978  17.734.447.432.847.017.984
    10.634.644.696.612.177.250  14.223.629.804.877.666.866  9.951.585.614.956.111.842  13.410.522.825.507.264.153
    15.504.271.780.310.363.158  15.788.426.030.062.030.790  7.247.426.745.733.321.025  15.545.848.059.337.170.693
    7.257.327.654.080.199.927  2.632.620.606.461.733.813  5.468.949.404.670.321.892  3.408.181.798.280.532.022
    6.407.521.478.186.447.124  10.532.483.258.532.500.040  9.962.573.180.077.511.189  14.997.058.441.937.336.819
    8.347.291.381.276.979.462  1.834.710.304.424.753.372  8.919.127.106.750.279.878  17.952.692.726.686.580.444
    10.425.759.383.842.794.244  3.571.063.091.305.112.274  11.196.674.225.031.209.104  17.831.978.239.644.188.755
    7.386.054.759.687.923.415  49.233.562.557.975.441  15.763.370.708.992.892.484  7.042.466.268.943.341.941
    14.925.546.578.125.121.441  5.737.865.664.192.390.903  6.112.071.640.890.712.275  7.093.386.846.491.465.789
    12.933.769.084.390.453.308  840.431.699.266.909.703  2.593.502.341.286.518.015  805.532.971.224.672.190
    662.776.811.092.263.083  1.082.592.850.076.858.062  2.260.713.232.066.289.719  18.161.814.497.919.979.745
    11.436.170.062.534.698.819  9.156.670.326.168.191.466  13.690.674.722.453.603.930  16.450.526.946.025.880.915
    3.443.037.901.035.637.703  13.512.956.751.884.108.002  12.765.464.435.334.038.877  16.857.582.347.068.713.433
    4.403.818.324.750.733.470  16.327.824.648.413.653.612  9.624.633.671.524.957.693  11.798.148.227.002.487.001
    4.806.282.851.616.964.758  13.789.375.745.913.111.929  8.048.230.392.833.675.591  15.394.445.679.479.006.170
    5.381.819.560.221.452.561  4.546.720.664.034.456.941  17.286.163.612.312.122.987  16.936.562.784.938.244.714
    11.067.749.825.657.848.638  5.556.080.822.347.806.028  3.866.118.074.743.041.663  2.201.009.632.364.155.631
    10.808.969.316.669.713.964  9.312.983.943.061.336.112  17.369.380.183.573.126.906  12.953.586.427.039.891.533
    16.564.382.082.196.301.935  6.117.018.641.086.235.131  2.379.948.990.303.454.544  9.900.641.007.991.965.131
    14.289.331.750.432.136.160  12.105.488.135.916.678.431  14.113.550.218.116.986.428  13.441.194.625.000.926.086
    8.346.758.232.352.358.445  13.109.503.806.329.090.541  16.233.458.644.157.342.064  3.717.000.905.522.992.223
    4.028.024.080.310.608.291  16.928.904.978.228.437.531  486.523.272.751.840.851  17.746.229.827.600.458.028
    4.231.774.801.891.550.196  11.401.341.037.617.516.726  12.004.481.761.165.906.799  1.880.237.553.532.135.241
    7.506.757.868.197.934.780  1.656.439.004.520.781.315  7.739.084.580.576.441.604  17.945.328.382.079.677.663
  ==
::
::  +split-lookup: each byte of the form through the table (an atom of
::  256 bytes, lookup-table, made once per permutation)
::
++  split-lookup
  |=  [table=@ x=belt]
  ^-  belt
  (rep 3 (turn (rip 3 x) |=(b=@ (cut 3 [b 1] table))))
::
::  +seventh: the Montgomery 7th power of a form, x^7 / 2^384; scale is
::  2^-384 mod p, made once per permutation
::
++  seventh
  |=  [scale=belt x=belt]
  ^-  belt
  (bmul (bpow x 7) scale)
::
::  +mds: the circulant matrix of first column mds-column times the state
::
++  mds
  |=  s=(list belt)
  ^-  (list belt)
  =/  column  mds-column
  %+  turn  (gulf 0 15)
  |=  i=@
  =/  j  0
  =|  acc=belt
  |-  ^-  belt
  ?:  =(16 j)  acc
  =/  c  (snag (mod (sub (add i 16) j) 16) column)
  $(j +(j), acc (badd acc (bmul c (snag j s))))
::
++  tip5-round
  |=  [s=(list belt) r=@ table=@ scale=belt]
  ^-  (list belt)
  =/  boxed
    %+  weld
      (turn (scag 4 s) |=(x=belt (split-lookup table x)))
    (turn (slag 4 s) |=(x=belt (seventh scale x)))
  (bzip (mds boxed) (swag [(mul r 16) 16] round-constants) badd)
::
++  permutation
  ~/  %permutation
  |=  sponge=(list belt)
  ^-  (list belt)
  ?>  =(16 (lent sponge))
  ?>  (levy sponge based)
  =/  table  lookup-table
  =/  scale  (bpow (binv mont-one) 6)
  =/  r  0
  |-  ^-  (list belt)
  ?:  =(7 r)  sponge
  $(r +(r), sponge (tip5-round sponge r table scale))
::
::  +hash-varlen: the zero state; the input padded with 1 and then zeros to
::  a multiple of 10; each block of 10 overwrites the state's first 10
::  before a permutation; the digest is the first 5
::
++  hash-varlen
  ~/  %hash-varlen
  |=  input=(list belt)
  ^-  (list belt)
  ?>  (levy input based)
  =/  padded=(list belt)
    (weld input `(list belt)`[1 (reap (sub 9 (mod (lent input) 10)) 0)])
  =/  sponge=(list belt)  (reap 16 0)
  |-  ^-  (list belt)
  ?~  padded  (turn (scag digest-length sponge) from-mont)
  =/  block  (turn (scag 10 `(list belt)`padded) to-mont)
  $(padded (slag 10 `(list belt)`padded), sponge (permutation (weld block (slag 10 sponge))))
::
::  +hash-10: exactly 10 belts, from the state whose last 6 are the form of 1
::
++  hash-10
  ~/  %hash-10
  |=  input=(list belt)
  ^-  (list belt)
  ?>  =(10 (lent input))
  ?>  (levy input based)
  =/  sponge  (weld (turn input to-mont) (reap 6 (to-mont 1)))
  (turn (scag digest-length (permutation sponge)) from-mont)
--
