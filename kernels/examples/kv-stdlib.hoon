::  kernels/examples/kv-stdlib.hoon: a key-value store written with the
::  Hoon standard library, Cellar's default kernel before kernels/kv.hoon.
::
::  This file is the worked example of a stdlib kernel (see
::  docs/KERNELS.md).  tools/build_kernel.ts compiles it with Urbit's Hoon
::  compiler running on Cellar (the ivory pill) into a jam that carries the
::  pill's compiled standard library: that jam is a build product, never
::  committed.  kernels/kv.hoon upgrades its state (version %0).
::
::  The source is one Hoon expression, compiled against the standard
::  library (hoon.hoon of the ivory pill): every stdlib name (add, by, cat,
::  dvr ...) is in scope.  Its product is the kernel core K.
::
::  The NockApp interface the runtime relies on:
::
::    axis 4 of K   ++load  |=(old=* K)       adopt an older kernel's state
::    axis 22 of K  ++peek  |=(path (unit (unit *)))   read-only query
::    axis 23 of K  ++poke  |=(sample [effects K])     apply one event
::    axis 6 of K   the state (the sample of the door)
::
::  Hoon lays the arms of a core out in a tree ordered by their names,
::  not by their order in the source.  With exactly the four arm names
::  load, peek, poke and wish (the names of Arvo's kernel), the tree puts
::  load at 4, wish at 10, peek at 22 and poke at 23.  So the outer door
::  below has exactly those four arms, and every helper lives in the core
::  under it.  tools/build_kernel.ts checks the axes and refuses a kernel
::  whose arms land elsewhere.
::
::  A crash in ++poke rejects the event: the runtime keeps the old core,
::  records nothing, and reports the trace.  So a poke either applies the
::  whole cause or crashes; it never half-applies one.  Crashes carry a
::  ~| message so that the client sees why.
::
=>
::  types and helpers: everything the door needs that is not one of its
::  four interface arms.
::
|%
::  +state-0: version 0 of the kernel state.
::
::    The head is the version tag.  A later version of this kernel adds a
::    $state-1 with head %1 and teaches ++load to convert %0 into it.
::    count duplicates ~(wyt by store) so that /count is O(1) on a
::    store of millions of entries.
::
+$  state-0
  $:  %0
      store=(map @t *)                              ::  the entries
      count=@ud                                     ::  keys in store
      puts=@ud                                      ::  values written
      dels=@ud                                      ::  keys deleted
  ==
::  +cause: the events the kernel accepts (anything else crashes).
::
::    %put   store value under key
::    %del   remove key, which must be present
::    %incr  add by to the atom under key (absent counts as 0)
::    %fill  store count entries: key prefix+i, value i, for i < count
::
+$  cause
  $%  [%put key=@t value=*]
      [%del key=@t]
      [%incr key=@t by=@ud]
      [%fill prefix=@t count=@ud]
  ==
::  +effect: what a poke reports back, one per cause.
::
+$  effect
  $%  [%put key=@t]
      [%del key=@t]
      [%incr key=@t new=@ud]
      [%fill count=@ud]
  ==
::  +decimal: the decimal digits of an atom as a cord, without the dots
::  of @ud's printed form (1234 gives '1234', not '1.234').
::
::    A loop of dvr and cat (both jetted) instead of +scow, which builds a
::    tape: %fill calls this once per entry.
::
++  decimal
  |=  a=@ud
  ^-  @t
  ?:  =(0 a)  '0'
  =|  out=@t
  |-  ^-  @t
  ?:  =(0 a)  out
  =/  qr  (dvr a 10)
  $(a p.qr, out (cat 3 (add '0' q.qr) out))
::  +insert: put key/value into store, and say whether the key is new
::  (which keeps count exact when a key is overwritten).
::
::    Same product as (~(put by store) key value), in one walk down the
::    tree instead of two (a +has:by first would be a second walk; %fill
::    spends most of its time here).  A map is a treap: a search tree in
::    +gor order of the keys and a heap in +mor order, so its shape is a
::    function of its keys alone, and any correct insertion gives the
::    same noun as +put:by.  Insert into the subtree on the key's side,
::    then rotate the new subtree's root up if it wins the heap order.
::
++  insert
  |=  [store=(map @t *) key=@t value=*]
  ^-  [new=? store=(map @t *)]
  ?~  store
    [& [key value] ~ ~]
  ?:  =(key p.n.store)
    [| store(q.n value)]
  ?:  (gor key p.n.store)
    =/  down  $(store l.store)
    ?>  ?=(^ store.down)
    ?:  (mor p.n.store p.n.store.down)
      [new.down store(l store.down)]
    [new.down store.down(r store(l r.store.down))]
  =/  down  $(store r.store)
  ?>  ?=(^ store.down)
  ?:  (mor p.n.store p.n.store.down)
    [new.down store(r store.down)]
  [new.down store.down(l store(r l.store.down))]
--
::  the kernel core: a door whose sample is the state (axis 6).  The
::  bunt of its sample, [%0 ~ 0 0 0], is the state of a fresh kernel.
::
|_  state=state-0
::  +load: adopt the state of an older kernel (axis 4).
::
::    Called when the runtime upgrades the kernel: old is the noun at
::    axis 6 of the previous kernel core.  Produces this core holding the
::    converted state.  A state it does not recognise crashes, so the
::    runtime refuses the upgrade and keeps the old kernel.
::
::    The noun came from a kernel, so only its version tag and the shape
::    of its fixed fields are checked, in constant time: a full check of
::    the map (;;) would walk millions of entries on every upgrade.
::
++  load
  |=  old=*
  ^+  ..load
  ?.  ?=([%0 ?(~ [[@ *] * *]) @ @ @] old)
    ~|  %kv-bad-state
    !!
  ::  the shape matches $state-0: retype the noun without walking it
  ::  (!< only compares the two types).
  ::
  ..load(state !<(state-0 [-:!>(*state-0) old]))
::  +peek: answer a read-only query (axis 22).
::
::    /count       [~ ~ count]
::    /get/<key>   [~ ~ value], or [~ ~] when the key is absent
::    /stats       [~ ~ [count puts dels]]
::    other paths  ~ (no such path)
::
++  peek
  |=  =path
  ^-  (unit (unit *))
  ?+  path  ~
    [%count ~]  ``count.state
    [%stats ~]  ``[count.state puts.state dels.state]
  ::
      [%get @ ~]
    =/  value  (~(get by store.state) i.t.path)
    ?~  value  [~ ~]
    ``u.value
  ==
::  +poke: apply one event (axis 23).
::
::    The sample is what the runtime sends with every event: the event
::    number, the wire it came on (such as /poke/http), entropy, the
::    identity of the node and the time.  This kernel uses only the cause.
::    The product is the list of effects and the new kernel core.
::
++  poke
  |=  [num=@ud wire=* eny=@ our=@ now=@ job=*]
  ^-  [(list effect) _..poke]
  ?.  ?=(cause job)
    ~|  %kv-bad-cause
    !!
  ?-    -.job
      %put
    =/  done  (insert store.state key.job value.job)
    :-  ~[[%put key.job]]
    %=  ..poke
      store.state  store.done
      count.state  ?:(new.done +(count.state) count.state)
      puts.state   +(puts.state)
    ==
  ::
      %del
    ?.  (~(has by store.state) key.job)
      ~|  [%kv-del-absent key.job]
      !!
    :-  ~[[%del key.job]]
    %=  ..poke
      store.state  (~(del by store.state) key.job)
      count.state  (dec count.state)
      dels.state   +(dels.state)
    ==
  ::
      %incr
    =/  old  (~(get by store.state) key.job)
    =/  new=@ud
      ?~  old  by.job
      ?^  u.old
        ~|  [%kv-incr-not-atom key.job]
        !!
      (add u.old by.job)
    =/  done  (insert store.state key.job new)
    :-  ~[[%incr key.job new]]
    %=  ..poke
      store.state  store.done
      count.state  ?:(new.done +(count.state) count.state)
      puts.state   +(puts.state)
    ==
  ::
      %fill
    =/  index=@ud  0
    =/  store  store.state
    =/  added=@ud  0
    |-
    ?:  =(index count.job)
      :-  ~[[%fill count.job]]
      %=  ..poke
        store.state  store
        count.state  (add count.state added)
        puts.state   (add puts.state count.job)
      ==
    =/  done
      (insert store (cat 3 prefix.job (decimal index)) index)
    %=  $
      index  +(index)
      store  store.done
      added  ?:(new.done +(added) added)
    ==
  ==
::  +wish: evaluate a Hoon expression against this core (axis 10).
::
::    Not used by the runtime: it is there for an operator's debugging
::    (state and stdlib in scope, e.g. '~(wyt by store.state)'), and
::    because Arvo's fourth arm name is what puts the other three at
::    axes 4, 22 and 23.  It compiles, so it is slow; nothing calls it on
::    the event path.
::
++  wish
  |=  txt=@t
  ^-  *
  q:(slap !>(..wish) (ream txt))
--
