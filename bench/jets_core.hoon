::  A core of ordinary Hoon for the compile benchmark (bench/jets_bench.ts): molds, gates,
::  recursion, a door, lists, maps, sets and text. The expression at the end runs a little
::  of it, so the benchmark measures compiling the core far more than running it.
::
=>
|%
+$  shape
  $%  [%circle r=@ud]
      [%rect w=@ud h=@ud]
      [%square s=@ud]
  ==
+$  entry  [name=@t score=@ud]
::
++  area
  |=  s=shape
  ^-  @ud
  ?-  -.s
    %circle  (div (mul 314 (mul r.s r.s)) 100)
    %rect    (mul w.s h.s)
    %square  (mul s.s s.s)
  ==
::
++  total-area
  |=  l=(list shape)
  ^-  @ud
  (roll (turn l area) add)
::
++  fib
  |=  n=@ud
  ^-  @ud
  ?:  (lth n 2)  n
  (add $(n (dec n)) $(n (sub n 2)))
::
++  squares
  |=  n=@ud
  ^-  (list @ud)
  (turn (gulf 1 n) |=(a=@ud (mul a a)))
::
++  evens
  |=  l=(list @ud)
  ^-  (list @ud)
  (skim l |=(a=@ud =(0 (mod a 2))))
::
++  largest
  |=  l=(list @ud)
  ^-  @ud
  =|  best=@ud
  |-
  ?~  l  best
  $(l t.l, best (max best i.l))
::
++  counter
  |_  count=@ud
  ++  inc  ..inc(count +(count))
  ++  get  count
  ++  add-n
    |=  n=@ud
    ^+  +>.$
    ?:  =(0 n)  +>.$
    $(n (dec n), count +(count))
  --
::
++  histogram
  |=  l=(list @t)
  ^-  (map @t @ud)
  =|  m=(map @t @ud)
  |-
  ?~  l  m
  =/  n=@ud  (~(gut by m) i.l 0)
  $(l t.l, m (~(put by m) i.l +(n)))
::
++  distinct
  |=  l=(list @ud)
  ^-  @ud
  ~(wyt in (silt l))
::
++  best-entry
  |=  l=(list entry)
  ^-  (unit entry)
  ?~  l  ~
  =/  rest  $(l t.l)
  ?~  rest  `i.l
  ?:  (gth score.i.l score.u.rest)  `i.l
  rest
::
++  shout
  |=  t=@t
  ^-  @t
  (crip (cuss (trip t)))
::
++  greeting
  |=  [name=@t times=@ud]
  ^-  tape
  =/  one  "hello, {(trip name)}! "
  (zing (reap times one))
::
++  digits
  |=  n=@ud
  ^-  (list @ud)
  ?:  (lth n 10)  ~[n]
  (snoc $(n (div n 10)) (mod n 10))
--
:*  (fib 15)
    (total-area ~[[%circle 2] [%rect 3 4] [%square 5]])
    (roll (evens (squares 10)) add)
    (largest ~[3 9 4])
    get:(add-n:inc:counter 5)
    ~(wyt by (histogram ~['a' 'b' 'a']))
    (distinct ~[1 2 2 3])
    (best-entry ~[['ann' 3] ['bo' 7] ['cy' 5]])
    (shout 'hello')
    (lent (greeting 'cellar' 2))
    (digits 2.024)
==
