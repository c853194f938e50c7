::  kernels/kv.hoon: Cellar's default kernel, a key-value store.
::
::  This file is the worked example of a standalone Cellar kernel (see
::  docs/KERNELS.md).  It is compiled once, with the Hoon compiler of
::  Urbit's ivory pill running on Cellar (tools/build_kernel.ts), into
::  kernels/kv.jam, which is committed beside it: booting the kernel needs
::  nothing but that jam.
::
::  Standalone: the source begins with =>  ~, so nothing of the Hoon
::  standard library is in scope, and the compiled kernel contains and
::  calls none of it.  Everything the kernel uses is defined below: a
::  small arithmetic library (jetted), a few derived helpers, and a
::  binary trie that holds the entries.
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
::  load, peek, poke and wish, the tree puts load at 4, wish at 10, peek
::  at 22 and poke at 23.  So the outer door below has exactly those four
::  arms, and every helper lives in the cores under it.  The build checks
::  the axes and refuses a kernel whose arms land elsewhere.
::
::  A crash in ++poke rejects the event: the runtime keeps the old core,
::  records nothing, and reports the trace.  So a poke either applies the
::  whole cause or crashes; it never half-applies one.  Crashes carry a
::  ~_ message (a tank) so that the client sees why.
::
=>  ~
=>
::  +cellar-kv: the arithmetic library and the store's trie, registered
::  for jets.
::
::    ~%  names this core %cellar-kv, a root (no parent; its payload is
::    ~), and each ~/ names a gate under it, so the runtime knows the gate
::    add as cellar-kv/add and runs it natively (zig/jets/jets.zig lists
::    these paths).  The Hoon bodies are the reference: the arithmetic is
::    unary, as slow as counting, and what the native code must agree
::    with.  Each arithmetic gate's sample is [a=@ b=@] at axes 12 and 13
::    (dec: a=@ at 6), the layout the native jets read.
::
::    The walks of the trie (got, put and del) are jetted too
::    (zig/jets/kv_trie.zig): in Nock each level of a walk is a dozen
::    steps and a gate call, one level per bit of the key, which made a
::    poke slower than the standard library's map.
::
~%  %cellar-kv  ~  ~
|%
::  +add: a + b.
::
++  add
  ~/  %add
  |=  [a=@ b=@]
  ^-  @
  ?:  =(0 a)  b
  $(a (dec a), b +(b))
::  +dec: a - 1; crashes on 0.
::
++  dec
  ~/  %dec
  |=  a=@
  ^-  @
  ?<  =(0 a)
  =|  b=@
  |-  ^-  @
  ?:  =(a +(b))  b
  $(b +(b))
::  +dvr: quotient and remainder of a by b; crashes when b is 0.
::
++  dvr
  ~/  %dvr
  |=  [a=@ b=@]
  ^-  [p=@ q=@]
  ?<  =(0 b)
  =|  p=@
  |-  ^-  [p=@ q=@]
  ?:  (lth a b)  [p a]
  $(a (sub a b), p +(p))
::  +lth: whether a < b.
::
++  lth
  ~/  %lth
  |=  [a=@ b=@]
  ^-  ?
  |-  ^-  ?
  ?:  =(0 b)  |
  ?:  =(0 a)  &
  $(a (dec a), b (dec b))
::  +mul: a * b.
::
++  mul
  ~/  %mul
  |=  [a=@ b=@]
  ^-  @
  =|  c=@
  |-  ^-  @
  ?:  =(0 a)  c
  $(a (dec a), c (add b c))
::  +sub: a - b; crashes when b > a.
::
++  sub
  ~/  %sub
  |=  [a=@ b=@]
  ^-  @
  ?:  =(0 b)  a
  $(a (dec a), b (dec b))
::  +maybe: a value, or none (the standard library's (unit *)).
::
+$  maybe  $@(~ [~ u=*])
::  +trie: the store, a binary trie on the bits of the key.
::
::    A key is an atom (a cord's bytes, first character lowest).  Its
::    entry sits at the end of a path read off its bits, least
::    significant first: at a node, bit 0 goes to zer and bit 1 to one,
::    and the key is halved, until it is 0.  So key 0 is the root, 1 is
::    one of the root, 2 is one of zer of the root; the path is unique
::    per atom and as long as the key's bit length.  No hashing, no
::    ordering, no balancing: the shape is a function of the set of keys
::    alone, because every write and delete keeps it canonical (no empty
::    node: a node holds a value or has a non-empty child).
::
::    The children are typed * and checked as a walk reaches them (a
::    cell test per level): a recursive type cannot be checked with ?=,
::    and ++load must accept a stored trie without walking it.
::
+$  node  [val=maybe zer=* one=*]
+$  trie  $@(~ node)
::  +got: the value under key, or ~.
::
++  got
  ~/  %got
  |=  [t=trie key=@]
  ^-  maybe
  |-  ^-  maybe
  ?~  t  ~
  ?:  =(0 key)  val.t
  =/  qr  (dvr key 2)
  =/  next  ?:(=(0 q.qr) zer.t one.t)
  ?>  ?=(trie next)
  $(t next, key p.qr)
::  +put: store value under key; the new trie, and whether the key is new
::  (which keeps count exact when a key is overwritten).
::
::    Down the key's path to its node, making the missing nodes, then
::    back up rebuilding each node on the path around its new child.
::
++  put
  ~/  %put
  |=  [t=trie key=@ value=*]
  ^-  [new=? t=trie]
  =/  n=node  ?~(t [~ ~ ~] t)
  ?:  =(0 key)
    [?=(~ val.n) n(val [~ value])]
  =/  qr  (dvr key 2)
  ?:  =(0 q.qr)
    ?>  ?=(trie zer.n)
    =/  down  $(t zer.n, key p.qr)
    [new.down n(zer t.down)]
  ?>  ?=(trie one.n)
  =/  down  $(t one.n, key p.qr)
  [new.down n(one t.down)]
::  +del: remove key; the new trie, or ~ when the key is absent.
::
::    A node left with no value and no children is removed, so the trie
::    stays canonical (its shape a function of its keys).
::
++  del
  ~/  %del
  |=  [t=trie key=@]
  ^-  $@(~ [~ u=trie])
  ?~  t  ~
  ?:  =(0 key)
    ?~  val.t  ~
    [~ (prune t(val ~))]
  =/  qr  (dvr key 2)
  ?:  =(0 q.qr)
    ?>  ?=(trie zer.t)
    =/  down  $(t zer.t, key p.qr)
    ?~  down  ~
    [~ (prune t(zer u.down))]
  ?>  ?=(trie one.t)
  =/  down  $(t one.t, key p.qr)
  ?~  down  ~
  [~ (prune t(one u.down))]
::  +prune: a node, or ~ when it holds nothing.
::
++  prune
  |=  n=node
  ^-  trie
  ?:  &(?=(~ val.n) ?=(~ zer.n) ?=(~ one.n))  ~
  n
--
::  types and helpers: everything the door needs that is not one of its
::  four interface arms.
::
=>
|%
::  +list: a null-terminated list of items.
::
++  list  |$  [item]  $@(~ [i=item t=(list item)])
::  +tape: text as a list of bytes.
::
+$  tape  (list @tD)
::  +tank: the two shapes of Hoon's pretty-printer tree used in crash
::  messages: a line of text, and a bracketed, space-separated group of
::  lines.  (Hoon's own tank nests any tank in a group; this one does
::  not need to.)
::
+$  leaf  [%leaf p=tape]
+$  tank  $%(leaf [%rose p=[p=tape q=tape r=tape] q=(list leaf)])
::  +state-0: version 0 of the state, the previous kv kernel's
::  (kernels/examples/kv-stdlib.hoon): its store is a (map @t *) of the
::  standard library, a treap of [n=[key value] l=map r=map] nodes.
::
+$  state-0
  $:  %0
      store=*                                       ::  the old map
      count=@ud
      puts=@ud
      dels=@ud
  ==
::  +state-1: version 1 of the kernel state (this kernel's).
::
::    The head is the version tag.  count is the number of keys, kept so
::    that /count is O(1) on a store of millions of entries.
::
+$  state-1
  $:  %1
      store=trie                                    ::  the entries
      count=@ud                                     ::  keys in store
      puts=@ud                                      ::  values written
      dels=@ud                                      ::  keys deleted
  ==
::  +cause: the events the kernel accepts (anything else crashes).
::
::    %put    store value under key
::    %del    remove key, which must be present
::    %incr   add by to the atom under key (absent counts as 0)
::    %fill   store count entries: key prefix+i, value i, for i < count
::    %reset  empty the store (puts and dels are kept)
::
+$  cause
  $%  [%put key=@t value=*]
      [%del key=@t]
      [%incr key=@t by=@ud]
      [%fill prefix=@t count=@ud]
      [%reset ~]
  ==
::  +effect: what a poke reports back, one per cause.
::
+$  effect
  $%  [%put key=@t]
      [%del key=@t]
      [%incr key=@t new=@ud]
      [%fill count=@ud]
      [%reset count=@ud]
  ==
::  +met3: the length of an atom in bytes.
::
++  met3
  |=  a=@
  ^-  @
  =|  n=@
  |-  ^-  @
  ?:  =(0 a)  n
  $(a p:(dvr a 256), n +(n))
::  +lsh3: a shifted left by n bytes (a * 256^n).
::
++  lsh3
  |=  [n=@ a=@]
  ^-  @
  ?:  =(0 n)  a
  $(n (dec n), a (mul 256 a))
::  +cat3: the bytes of a, then those of b (cat at bloq 3).
::
++  cat3
  |=  [a=@ b=@]
  ^-  @
  (add a (lsh3 (met3 a) b))
::  +decimal: the decimal digits of an atom as a cord, without the dots
::  of @ud's printed form (1234 gives '1234', not '1.234').
::
::    The digits come out last first; each goes in front of the ones
::    already made, the lowest byte of the cord being its first character.
::
++  decimal
  |=  a=@
  ^-  @t
  ?:  =(0 a)  '0'
  =|  out=@t
  |-  ^-  @t
  ?:  =(0 a)  out
  =/  qr  (dvr a 10)
  $(a p.qr, out (add (add '0' q.qr) (mul 256 out)))
::  +quote: a cord as Hoon prints it, 'like this', with ' and \ escaped
::  (39 is the byte of ', 92 that of \).
::
++  quote
  |=  a=@t
  ^-  tape
  =|  last-first=tape
  |-  ^-  tape
  ?.  =(0 a)
    =/  qr  (dvr a 256)
    $(a p.qr, last-first [q.qr last-first])
  =/  out=tape  [39 ~]
  |-  ^-  tape
  ?~  last-first  [39 out]
  =/  char  i.last-first
  =.  out  [char out]
  =?  out  |(=(39 char) =(92 char))  [92 out]
  $(last-first t.last-first)
::  +fail: the crash message [name 'key'] as a tank.
::
++  fail
  |=  [name=tape key=@t]
  ^-  tank
  [%rose [" " "[" "]"] [%leaf name] [%leaf (quote key)] ~]
::  +pairs: every [key value] of the trie, in trie order.
::
::    Trie order is the pre-order of the trie, zer before one: keys are
::    compared by their bits from the least significant up (so by their
::    first character's low bits first), a key before the longer keys
::    whose paths extend its own.  It is not alphabetical, but it is a
::    function of the set of keys, whatever the order of the writes.
::
::    A loop over an explicit stack of work: a node pushes its value to
::    emit, then zer, then one, so one's subtree is done first and its
::    pairs end up last in the list, which grows at the front.
::
++  pairs
  |=  t=trie
  ^-  (list [key=@t value=*])
  =|  out=(list [key=@t value=*])
  =/  todo=(list $%([%node n=* key=@ bit=@] [%emit key=@ value=*]))
    [[%node t 0 1] ~]
  |-  ^-  (list [key=@t value=*])
  ?~  todo  out
  =/  item  i.todo
  =/  rest  t.todo
  ?:  ?=(%emit -.item)
    $(todo rest, out [[key value]:item out])
  =/  n  n.item
  ?>  ?=(trie n)
  ?~  n  $(todo rest)
  =/  next  (add bit.item bit.item)
  =?  rest  ?=(^ val.n)  [[%emit key.item u.val.n] rest]
  =.  rest  [[%node zer.n key.item next] rest]
  $(todo [[%node one.n (add key.item bit.item) next] rest])
::  +check: whether a trie is canonical (no empty node) and holds count
::  keys; a loop over an explicit stack of nodes.
::
++  check
  |=  [t=trie count=@]
  ^-  ?
  =|  keys=@
  =/  todo=(list *)  [t ~]
  |-  ^-  ?
  ?~  todo  =(keys count)
  =/  n  i.todo
  ?.  ?=(trie n)  |
  ?~  n  $(todo t.todo)
  ?:  &(?=(~ val.n) ?=(~ zer.n) ?=(~ one.n))  |
  %=  $
    todo  [zer.n one.n t.todo]
    keys  ?~(val.n keys +(keys))
  ==
::  +upgrade: the state of the previous kv kernel, as this kernel's.
::
::    Walks the old map (a treap) with an explicit stack of its nodes
::    and puts each entry into the trie; count is recounted.
::
++  upgrade
  |=  old=state-0
  ^-  state-1
  =|  new=trie
  =|  keys=@ud
  =/  todo=(list *)  [store.old ~]
  |-  ^-  state-1
  ?~  todo  [%1 new keys puts.old dels.old]
  =/  n  i.todo
  ?@  n
    ?>  =(~ n)
    $(todo t.todo)
  ?>  ?=([[key=@ value=*] l=* r=*] n)
  =/  done  (put new key.n value.n)
  %=  $
    todo  [l.n r.n t.todo]
    new   t.done
    keys  ?:(new.done +(keys) keys)
  ==
--
::  the kernel core: a door whose sample is the state (axis 6).  The
::  bunt of its sample, [%1 ~ 0 0 0], is the state of a fresh kernel.
::
|_  state=state-1
::  +load: adopt the state of an older kernel (axis 4).
::
::    Called when the runtime upgrades the kernel: old is the noun at
::    axis 6 of the previous kernel core.  Produces this core holding the
::    state, converted from version 0 (the stdlib kv kernel's map) if
::    need be.  A state it does not recognise crashes, so the runtime
::    refuses the upgrade and keeps the old kernel.
::
::    A %1 state came from this kernel, so only its version tag, its
::    counters and the root of its trie are checked, in constant time.
::
++  load
  |=  old=*
  ^+  ..load
  ?:  ?=([%1 trie @ud @ud @ud] old)
    ..load(state old)
  ?:  ?=([%0 ?(~ [[@ *] * *]) @ud @ud @ud] old)
    ..load(state (upgrade old))
  ~_  `tank`[%leaf "%kv-bad-state"]
  !!
::  +peek: answer a read-only query (axis 22).
::
::    /count       [~ ~ count]
::    /get/<key>   [~ ~ value], or [~ ~] when the key is absent
::    /stats       [~ ~ [count puts dels]]
::    /list        [~ ~ pairs], every [key value] in trie order
::    other paths  ~ (no such path)
::
++  peek
  |=  pax=*
  ^-  $@(~ [~ u=maybe])
  ?+  pax  ~
    [%count ~]      [~ ~ count.state]
    [%stats ~]      [~ ~ count.state puts.state dels.state]
    [%list ~]       [~ ~ (pairs store.state)]
    [%get key=@ ~]  [~ (got store.state key.pax)]
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
    ~_  `tank`[%leaf "%kv-bad-cause"]
    !!
  ?-    -.job
      %put
    =/  done  (put store.state key.job value.job)
    :-  ~[[%put key.job]]
    %=  ..poke
      store.state  t.done
      count.state  ?:(new.done +(count.state) count.state)
      puts.state   +(puts.state)
    ==
  ::
      %del
    =/  gone  (del store.state key.job)
    ?~  gone
      ~_  (fail "%kv-del-absent" key.job)
      !!
    :-  ~[[%del key.job]]
    %=  ..poke
      store.state  u.gone
      count.state  (dec count.state)
      dels.state   +(dels.state)
    ==
  ::
      %incr
    =/  old  (got store.state key.job)
    =/  new=@ud
      ?~  old  by.job
      ?^  u.old
        ~_  (fail "%kv-incr-not-atom" key.job)
        !!
      (add u.old by.job)
    =/  done  (put store.state key.job new)
    :-  ~[[%incr key.job new]]
    %=  ..poke
      store.state  t.done
      count.state  ?:(new.done +(count.state) count.state)
      puts.state   +(puts.state)
    ==
  ::
      %fill
    ::  key i is prefix, then the digits of i: prefix + digits * shift
    =/  shift  (lsh3 (met3 prefix.job) 1)
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
      (put store (add prefix.job (mul shift (decimal index))) index)
    %=  $
      index  +(index)
      store  t.done
      added  ?:(new.done +(added) added)
    ==
  ::
      %reset
    :-  ~[[%reset count.state]]
    ..poke(store.state ~, count.state 0)
  ==
::  +wish: debugging queries of the kernel (axis 10).
::
::    Not used by the runtime: it is there for an operator and the tests,
::    and because Arvo's fourth arm name is what puts the other three at
::    axes 4, 22 and 23.  %check: whether the trie is canonical and holds
::    count keys (a walk of the whole store).
::
++  wish
  |=  what=*
  ^-  *
  ?.  ?=(%check what)
    ~_  `tank`[%leaf "%kv-bad-wish"]
    !!
  (check store.state count.state)
--
