::  examples/guestbook.hoon: a NockApp kernel that serves HTTP.
::
::  A guestbook: a page with the messages and a form to sign it, and a
::  JSON API.  It speaks NockApp's HTTP driver protocol, so it runs under
::  `cellar run --http-kernel`, `cellar serve --http-kernel` (and
::  NockApp's own http driver) unchanged:
::
::    request  [%req id=@ uri=@t method=@t headers=(list [@t @t]) body=(unit octs)]
::    answer   [%res id=@ status=@ud headers=(list [@t @t]) body=(unit octs)]
::    cache    [%cache id=@ status=@ud headers body]: later GETs of the
::             same uri are answered from the cache, without a poke
::
::  Routes:
::    GET  /               the page (messages, newest last, and the form)
::    POST /sign           a text/plain form body msg=TEXT; 303 to /
::    GET  /api/messages   {"requests": N, "messages": [...]}
::    GET  /about          a static page, sent with %cache
::    GET  /crash          crashes (the host answers 500)
::    GET  /bad            answers with a malformed %res (the host: 502)
::    GET  /silent         never answers (the host: 504 after its timeout)
::    anything else        404
::
::  Standalone, like kernels/kv.hoon (see docs/KERNELS.md): the source
::  begins with =>  ~, so its jam, examples/guestbook.jam, holds nothing
::  but this kernel and is committed beside it (tests/http_kernel_test.ts
::  checks that it is the build of this file).
::
::  Text is built as a tape in reverse (the last byte first), which makes
::  each byte a cons, and turned into a cord once at the end.  A message
::  keeps at most 500 bytes, and the book its newest 20 messages, so that
::  a page stays small.
::
=>  ~
=>
::  +cellar-kv: the arithmetic of kernels/kv.hoon, to the letter, so that
::  it runs on the same jets (cellar-kv/add and so on; see there).
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
--
::  types and helpers
::
=>
|%
++  list  |$  [item]  $@(~ [i=item t=(list item)])
::  +text: bytes, in an order the gate says.
::
+$  text  (list @)
+$  tape  (list @)
+$  leaf  [%leaf p=tape]
::  +state-0: the messages (newest first) and the requests served.
::
+$  state-0  [%0 messages=(list @) requests=@]
::  +request: a [%req …] cause; headers and body are checked where used.
::
+$  request  [%req id=@ uri=@ method=@ headers=* body=*]
::  +pow: 256^n, the factor that shifts an atom left by n bytes.
::
++  pow
  |=  n=@
  ^-  @
  =/  r=@  1
  |-  ^-  @
  ?:  =(0 n)  r
  $(n (dec n), r (mul 256 r))
::  +met3: the length of an atom in bytes (for short atoms only: each
::  byte costs a division of the whole atom).
::
++  met3
  |=  a=@
  ^-  @
  =|  n=@
  |-  ^-  @
  ?:  =(0 a)  n
  $(a p:(dvr a 256), n +(n))
::  +emit: the bytes of the cord txt pushed onto out (last byte first).
::
++  emit
  |=  [out=text txt=@]
  ^-  text
  ?:  =(0 txt)  out
  =/  qr  (dvr txt 256)
  $(txt p.qr, out [q.qr out])
::  +emits: each cord of a list, in order.
::
++  emits
  |=  [out=text txts=(list @)]
  ^-  text
  ?~  txts  out
  $(out (emit out i.txts), txts t.txts)
::  +done: the cord of a reversed text, and its length in bytes.
::
::    Horner's rule from the last byte: each byte is the next digit.
::
++  done
  |=  out=text
  ^-  [len=@ txt=@]
  =/  len=@  0
  =/  txt=@  0
  |-  ^-  [len=@ txt=@]
  ?~  out  [len txt]
  $(out t.out, len +(len), txt (add i.out (mul 256 txt)))
::  +html: txt escaped for HTML text and attributes, pushed onto out.
::
++  html
  |=  [out=text txt=@]
  ^-  text
  ?:  =(0 txt)  out
  =/  qr  (dvr txt 256)
  =/  c  q.qr
  =.  out
    ?:  =(c '<')  (emit out '&lt;')
    ?:  =(c '>')  (emit out '&gt;')
    ?:  =(c '&')  (emit out '&amp;')
    ?:  =(c '"')  (emit out '&quot;')
    ?:  =(c '\'')  (emit out '&#39;')
    [c out]
  $(txt p.qr)
::  +json: txt as the inside of a JSON string, pushed onto out (control
::  characters other than a newline are dropped).
::
++  json
  |=  [out=text txt=@]
  ^-  text
  ?:  =(0 txt)  out
  =/  qr  (dvr txt 256)
  =/  c  q.qr
  =.  out
    ?:  =(c '"')  (emit out '\\"')
    ?:  =(c '\\')  (emit out '\\\\')
    ?:  =(c 10)  (emit out '\\n')
    ?:  (lth c 32)  out
    [c out]
  $(txt p.qr)
::  +decimal: the decimal digits of an atom, pushed onto out.
::
++  decimal
  |=  [out=text a=@]
  ^-  text
  ?:  =(0 a)  [48 out]
  =|  digits=text
  |-  ^-  text
  ?:  =(0 a)
    |-  ^-  text
    ?~  digits  out
    $(out [i.digits out], digits t.digits)
  =/  qr  (dvr a 10)
  $(a p.qr, digits [(add 48 q.qr) digits])
::  +flop: a list reversed.
::
++  flop
  |=  a=(list @)
  ^-  (list @)
  =|  b=(list @)
  |-  ^-  (list @)
  ?~  a  b
  $(a t.a, b [i.a b])
::  +scag: the first n items of a list.
::
++  scag
  |=  [n=@ a=(list @)]
  ^-  (list @)
  =|  b=(list @)
  |-  ^-  (list @)
  ?:  =(0 n)  (flop b)
  ?~  a  (flop b)
  $(n (dec n), a t.a, b [i.a b])
::  +cords: a stored list of messages, checked (load takes any noun).
::
++  cords
  |=  a=*
  ^-  (list @)
  =|  b=(list @)
  |-  ^-  (list @)
  ?~  a  (flop b)
  ?>  ?=([@ *] a)
  $(a +.a, b [-.a b])
::  +answer: a %res (or %cache) effect: status, content type, and a
::  body given as a reversed text.
::
++  answer
  |=  [tag=@ id=@ status=@ type=@ out=text]
  ^-  *
  =/  body  (done out)
  [tag id status [['content-type' type] ~] [~ len.body txt.body]]
::  +page: the guestbook page, messages newest last.
::
++  page
  |=  messages=(list @)
  ^-  text
  =/  out=text
    %+  emits  ~
    :~  '<!doctype html><html><head><meta charset="utf-8">'
        '<title>Guestbook</title></head><body><h1>Guestbook</h1>'
        '<ul id="messages">'
    ==
  =/  items  (flop messages)
  |-  ^-  text
  ?^  items
    $(items t.items, out (emit (html (emit out '<li>') i.items) '</li>'))
  %+  emits  out
  :~  '</ul><form method="post" action="/sign" enctype="text/plain">'
      '<input name="msg" id="msg" autocomplete="off">'
      '<button type="submit" id="sign">Sign</button></form>'
      '<p><a href="/api/messages">as JSON</a> | <a href="/about">about</a></p>'
      '</body></html>'
  ==
::  +api: the JSON of the state.
::
++  api
  |=  state=state-0
  ^-  text
  =/  out=text  (decimal (emit ~ '{"requests": ') requests.state)
  =.  out  (emit out ', "messages": [')
  =/  items  (flop messages.state)
  =/  first=?  &
  |-  ^-  text
  ?~  items  (emit out ']}')
  =?  out  !first  (emit out ', ')
  $(items t.items, first |, out (emit (json (emit out '"') i.items) '"'))
::  +signed: the message of a text/plain form body msg=TEXT, without the
::  line end the browser adds, at most 500 bytes; or ~.
::
++  signed
  |=  body=*
  ^-  $@(~ [~ u=@])
  ?.  ?=([~ p=@ q=@] body)  ~
  =/  qr  (dvr q.body (pow 4))
  ?.  =(q.qr 'msg=')  ~
  =/  msg=@  q:(dvr p.qr (pow 500))
  |-  ^-  $@(~ [~ u=@])
  ?:  =(0 msg)  ~
  =/  top  (dvr msg (pow (dec (met3 msg))))
  ?:  |(=(p.top 10) =(p.top 13))
    $(msg q.top)
  [~ msg]
--
::
|_  state=state-0
++  load
  |=  old=*
  ^+  ..load
  ?>  ?=([%0 * @] old)
  ..load(state [%0 (cords +<.old) +>.old])
::
++  peek
  |=  pax=*
  ^-  *
  ?+  pax  ~
    [%messages ~]  [~ ~ messages.state]
    [%requests ~]  [~ ~ requests.state]
  ==
::
++  poke
  |=  [num=@ud wire=* eny=@ our=@ now=@ job=*]
  ^-  [(list *) _..poke]
  ?.  ?=(request job)
    ~_  `leaf`[%leaf "%guestbook-bad-cause"]
    !!
  =.  requests.state  +(requests.state)
  =/  get  =('GET' method.job)
  =/  id  id.job
  =/  uri  uri.job
  ?:  &(get =('/' uri))
    :_  ..poke
    [(answer %res id 200 'text/html; charset=utf-8' (page messages.state)) ~]
  ?:  &(=('POST' method.job) =('/sign' uri))
    =/  msg  (signed body.job)
    =?  messages.state  ?=(^ msg)  (scag 20 [u.msg messages.state])
    :_  ..poke
    [[%res id 303 [['location' '/'] ~] ~] ~]
  ?:  &(get =('/api/messages' uri))
    :_  ..poke
    [(answer %res id 200 'application/json' (api state)) ~]
  ?:  &(get =('/about' uri))
    =/  about  (emit ~ '<!doctype html><p id="about">A Cellar guestbook.</p>')
    =/  type  'text/html; charset=utf-8'
    :_  ..poke
    [(answer %cache id 200 type about) (answer %res id 200 type about) ~]
  ?:  &(get =('/crash' uri))
    ~_  `leaf`[%leaf "%guestbook-crash"]
    !!
  ?:  &(get =('/bad' uri))
    [[[%res id 'not-a-status' ~ ~] ~] ..poke]
  ?:  &(get =('/silent' uri))
    [~ ..poke]
  :_  ..poke
  [(answer %res id 404 'text/plain' (emit ~ 'not found')) ~]
::
++  wish  |=(what=* what)
--
