::  examples/guestbook.hoon: a NockApp kernel that serves HTTP.
::
::  A guestbook: a page with the messages and a form to sign it, and a
::  JSON API.  It speaks NockApp's HTTP driver protocol, so it runs under
::  `cellar run --http-kernel` (and NockApp's own http driver) unchanged:
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
::  Built with the standard library (tools/build_kernel.ts), so its jam
::  carries the ivory pill's and is not committed.
::
=>
|%
+$  octs  [p=@ud q=@]
+$  state-0  [%0 messages=(list @t) requests=@ud]
+$  request
  $:  %req
      id=@
      uri=@t
      method=@t
      headers=(list [@t @t])
      body=(unit octs)
  ==
::  +answer: a %res (or %cache) effect with a cord body
::
++  answer
  |=  [tag=?(%res %cache) id=@ status=@ud type=@t body=@t]
  ^-  *
  [tag id status ~[['content-type' type]] `[(met 3 body) body]]
::  +decimal: an atom's decimal digits as a cord (no dots)
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
::  +escape: replace each character of txt that table names
::
++  escape
  |=  [txt=@t table=$-(@tD (unit @t))]
  ^-  @t
  %+  rap  3
  %+  turn  (trip txt)
  |=  c=@tD
  ^-  @t
  (fall (table c) c)
::
++  html-char
  |=  c=@tD
  ^-  (unit @t)
  ?+  c  ~
    %'<'  `'&lt;'
    %'>'  `'&gt;'
    %'&'  `'&amp;'
    %'"'  `'&quot;'
    %'\''  `'&#39;'
  ==
::
++  json-char
  |=  c=@tD
  ^-  (unit @t)
  ?:  =(c '"')  `'\\"'
  ?:  =(c '\\')  `'\\\\'
  ?:  =(c 10)  `'\\n'
  ?:  (lth c 32)  `''
  ~
::  +page: the guestbook page
::
++  page
  |=  messages=(list @t)
  ^-  @t
  %+  rap  3
  ;:  weld
    :~  '<!doctype html><html><head><meta charset="utf-8">'
        '<title>Guestbook</title></head><body><h1>Guestbook</h1>'
        '<ul id="messages">'
    ==
    %+  turn  (flop messages)
    |=  m=@t
    (rap 3 ~['<li>' (escape m html-char) '</li>'])
    :~  '</ul><form method="post" action="/sign" enctype="text/plain">'
        '<input name="msg" id="msg" autocomplete="off">'
        '<button type="submit" id="sign">Sign</button></form>'
        '<p><a href="/api/messages">as JSON</a> · <a href="/about">about</a></p>'
        '</body></html>'
    ==
  ==
::  +api: the JSON of the messages
::
++  api
  |=  state=state-0
  ^-  @t
  =/  items=(list @t)
    %+  turn  (flop messages.state)
    |=(m=@t (rap 3 ~['"' (escape m json-char) '"']))
  =/  joined=@t
    ?~  items  ''
    (rap 3 [i.items (turn t.items |=(i=@t (cat 3 ',' i)))])
  %+  rap  3
  :~  '{"requests": '  (decimal requests.state)
      ', "messages": ['  joined  ']}'
  ==
::  +signed: the message of a text/plain form body msg=TEXT (CR LF ends it)
::
++  signed
  |=  body=(unit octs)
  ^-  (unit @t)
  ?~  body  ~
  =/  txt=tape  (trip q.u.body)
  ?.  =("msg=" (scag 4 txt))  ~
  =/  msg=tape  (flop (slag 4 txt))
  |-
  ?:  ?&(?=(^ msg) |(=(i.msg 10) =(i.msg 13)))
    $(msg t.msg)
  ?~  msg  ~
  `(crip (scag 500 (flop msg)))
--
::
|_  state=state-0
++  load
  |=  old=*
  ^+  ..load
  ..load(state ;;(state-0 old))
::
++  peek
  |=  =path
  ^-  (unit (unit *))
  ?+  path  ~
    [%messages ~]  ``messages.state
    [%requests ~]  ``requests.state
  ==
::
++  poke
  |=  [num=@ud wire=* eny=@ our=@ now=@ job=*]
  ^-  [(list *) _..poke]
  =/  req  ~|(%guestbook-bad-cause ;;(request job))
  =.  requests.state  +(requests.state)
  =/  get  =('GET' method.req)
  ?:  &(get =('/' uri.req))
    :_  ..poke
    ~[(answer %res id.req 200 'text/html; charset=utf-8' (page messages.state))]
  ?:  &(=('POST' method.req) =('/sign' uri.req))
    =/  msg  (signed body.req)
    =?  messages.state  ?=(^ msg)  [u.msg messages.state]
    :_  ..poke
    ~[[%res id.req 303 ~[['location' '/']] ~]]
  ?:  &(get =('/api/messages' uri.req))
    :_  ..poke
    ~[(answer %res id.req 200 'application/json' (api state))]
  ?:  &(get =('/about' uri.req))
    =/  about  '<!doctype html><p id="about">A Cellar guestbook.</p>'
    :_  ..poke
    :~  (answer %cache id.req 200 'text/html; charset=utf-8' about)
        (answer %res id.req 200 'text/html; charset=utf-8' about)
    ==
  ?:  &(get =('/crash' uri.req))
    ~|(%guestbook-crash !!)
  ?:  &(get =('/bad' uri.req))
    [~[[%res id.req 'not-a-status' ~ ~]] ..poke]
  ?:  &(get =('/silent' uri.req))
    [~ ..poke]
  :_  ..poke
  ~[(answer %res id.req 404 'text/plain' 'not found')]
::
++  wish  |=(txt=@t txt)
--
