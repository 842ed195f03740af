import os
D = """defaults
    mode http
    timeout connect 5s   # BREAK: timeout connect 5x
    timeout client 30s
    timeout server 30s
"""
T = """defaults
    timeout connect 5s
    timeout client 30s
    timeout server 30s
"""
C = {}
C['global-basic'] = """global
    log 127.0.0.1 local2   # BREAK: log 127.0.0.1 local9
    maxconn 4000           # BREAK: maxconn
    nbthread 2             # BREAK: nbthread 0
    user haproxy           # BREAK: user nosuchuser-lbkit
    group haproxy          # BREAK: group nosuchgroup-lbkit
    daemon                 # BREAK: daemon yes
    pidfile /run/haproxy-test.pid   # BREAK: pidfile /run/a.pid /run/b.pid
""" + T + """frontend f
    bind :8080
    default_backend b
backend b
    server s1 192.0.2.10:80
"""
C['global-logs'] = """global
    log /dev/log local0 info             # BREAK: log /dev/log local0 bogus
    log udp@198.51.100.7:514 local1 notice err
    log 127.0.0.1:1514 len 2048 format rfc5424 local2
    log stdout format raw local0
    log-tag haproxy-test
""" + T + """listen l
    bind 127.0.0.1:8081
    log global                           # BREAK: log global extra
    log 203.0.113.9 local3 debug
    server s1 192.0.2.11:80
"""
C['global-stats-socket'] = """global
    stats socket /tmp/lbkit-haproxy-test.sock mode 600 level admin   # BREAK: stats socket
    stats timeout 30s                    # BREAK: stats timeout 30x
    stats maxconn 10
"""
C['global-tune-ssl'] = """global
    tune.bufsize 32768
    tune.maxrewrite 1024
    tune.http.maxhdr 128                 # BREAK: tune.http.maxhdr 0
    tune.ssl.default-dh-param 2048
    tune.ssl.cachesize 20000
    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
    ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256
    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384
    ssl-default-server-options ssl-min-ver TLSv1.2
    ssl-default-server-ciphers ECDHE-RSA-AES128-GCM-SHA256
    tune.bufsiz 32768                    # BREAK: tune.bufsiz 32768
""" + T + """frontend f
    bind :8082
"""
C['global-misc'] = """global
    chroot /var/empty                     # BREAK: chroot
    hard-stop-after 30s
    spread-checks 5
    maxconnrate 100
    ulimit-n 65536
    mxconn 100                            # BREAK: mxconn 100
    description "a test load balancer"
    node lb1
""" + T + """frontend f
    bind :8083
"""
C['global-only'] = """global
    daemon
    maxconn 100
"""
C['empty'] = """# nothing but a comment
"""
C['defaults-sample'] = """defaults
    mode http
    log global
    option httplog
    option dontlognull
    retries 3                   # BREAK: retries 3 4
    timeout http-request 10s    # BREAK: timeout http-request 10 s
    timeout queue 1m
    timeout connect 10s
    timeout client 1m
    timeout server 1m
frontend main
    bind :8084
    default_backend app
backend app
    balance roundrobin
    server app1 192.0.2.21:80 check
    server app2 192.0.2.22:80 check inter 2s rise 4 fall 3
"""
C['defaults-named-from'] = """defaults base
    mode http
    timeout connect 3s
    timeout client 20s
    timeout server 20s
defaults tcpbase from base   # BREAK: defaults tcpbase from nosuch
    mode tcp
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend web from base       # BREAK: frontend web from missing
    bind :8085
    default_backend app
backend app from base
    server a 192.0.2.30:8080
listen db from tcpbase
    bind :8086
    server d 192.0.2.31:5432
"""
C['defaults-inherit-timeouts'] = """defaults
    timeout client 5s
    timeout server 5s
    timeout connect 5s
frontend f
    bind :8087
    timeout client 10s
    default_backend b
backend b
    timeout server 1m
    timeout connect 2s   # BREAK: timeout connect 2147483648ms
    server s 192.0.2.40:80
"""
C['defaults-multiple'] = """defaults
    mode tcp
    timeout connect 1s
    timeout client 1s
    timeout server 1s
frontend tcp-in
    bind :8088
    default_backend tcp-out
backend tcp-out
    server s 192.0.2.41:22
defaults
    mode http
    timeout connect 2s
    timeout client 2s
    timeout server 2s
frontend http-in
    bind :8089
    default_backend http-out   # BREAK: default_backend tcp-out
backend http-out
    server s 192.0.2.42:80
"""
C['frontend-binds'] = D + """frontend f
    bind *:8090
    bind :8091
    bind 127.0.0.1:8092         # BREAK: bind 127.0.0.300:8092
    bind [::1]:8093
    bind ipv4@127.0.0.1:8094
    bind ipv6@:::8095
    bind :8096-8098             # BREAK: bind :8096-99999
    bind 127.0.0.1:8099,127.0.0.1:8100
    bind unix@/tmp/lbkit-hcfg-test.sock
    bind :8101 accept-proxy
    bind :8102 tfo defer-accept   # BREAK: bind :8102 tof
    bind :8103 maxconn 100 backlog 1024 name web
"""
C['frontend-bind-errors'] = D + """frontend f
    bind :8104                  # BREAK: bind
    bind :8105                  # BREAK: bind 192.0.2.1
    bind :8106                  # BREAK: bind :99999
    bind :8107                  # BREAK: bind :8107 foo
"""
C['frontend-ssl'] = D + """frontend https
    bind :8443 ssl crt @DATA@/certs/example.com.pem alpn h2,http/1.1   # BREAK: bind :8443 ssl crt /nonexistent/lbkit.pem
    bind :8444 ssl crt @DATA@/certs/                                  # BREAK: bind :8444 ssl
    bind :8445 ssl crt-list @DATA@/crt-list/list.txt                 # BREAK: bind :8445 ssl crt-list /nonexistent/list
    bind :8446 ssl crt @DATA@/certs/example.com.pem ssl-min-ver TLSv1.2 ciphers ECDHE-RSA-AES128-GCM-SHA256
    http-request redirect scheme https unless { ssl_fc }
    default_backend app
backend app
    server s 192.0.2.50:80
"""
C['frontend-use-backend'] = D + """frontend f
    bind :8110
    acl is_api path_beg /api
    acl is_static path_end .css .js .png
    acl host_www hdr(host) -i www.example.com
    use_backend api if is_api                 # BREAK: use_backend api if is_apii
    use_backend static if is_static || host_www
    use_backend static if !is_api { method GET }
    use_backend api unless is_static          # BREAK: use_backend api when is_static
    use_backend %[req.hdr(x-backend)]
    default_backend web                       # BREAK: default_backend nosuchbackend
backend api
    server a1 192.0.2.60:8080
backend static
    server s1 192.0.2.61:80
backend web
    server w1 192.0.2.62:80
"""
C['frontend-default-backend'] = D + """frontend f
    bind :8111
    default_backend app      # BREAK: default_backend
backend app
    server a 192.0.2.63:80
"""
C['frontend-mode-mismatch'] = T + """frontend f
    mode http
    bind :8112
    default_backend app
backend app
    mode http      # BREAK: mode tcp
    server a 192.0.2.64:80
"""
C['frontend-no-bind'] = D + """frontend lonely
    default_backend app
backend app
    server a 192.0.2.65:80
"""
C['frontend-header-address'] = D + """frontend web
    bind :8113
    default_backend app
backend app
    server a 192.0.2.66:80
frontend oldstyle
    bind :8114   # BREAK: mode http
"""
C['duplicate-names'] = D + """frontend f
    bind :8115
    default_backend b
backend b
    server s 192.0.2.67:80
frontend f2   # BREAK: frontend f
    bind :8116
backend b2    # BREAK: backend b
listen l2     # BREAK: listen f
    bind :8117
"""
C['backend-servers'] = D + """backend b
    balance leastconn
    default-server inter 3s fall 3 rise 2 check   # BREAK: default-server foo
    server s1 192.0.2.70:80
    server s2 192.0.2.71:80 weight 50             # BREAK: server s2 192.0.2.71:80 weight 300
    server s3 192.0.2.72:80 backup                # BREAK: server s1 192.0.2.72:80 backup
    server s4 192.0.2.73:80 disabled id 7 maxconn 100 maxqueue 10 slowstart 30s
    server s5 192.0.2.74:80 fastinter 1s downinter 5s rise 1 fall 1   # BREAK: server s5 192.0.2.74:80 rise 0
frontend f
    bind :8120
    default_backend b
"""
C['backend-server-errors'] = D + """backend b
    server s1 192.0.2.75:80         # BREAK: server s1
    server s2 192.0.2.76:80 check   # BREAK: server s2 192.0.2.76 check
    server s3 192.0.2.77:80         # BREAK: server s3 192.0.2.77:80 foo
    server s4 192.0.2.78:80 check inter 2s   # BREAK: server s4 192.0.2.78:80 check inter 2x
    server s5 192.0.2.79:80         # BREAK: server s5 192.0.2.79:80-90
    server s6 localhost:80          # BREAK: server s6 nohost.invalid:80
    server s7 192.0.2.80:+1
    server s8 192.0.2.81 port 8080 check
"""
C['backend-server-ssl'] = D + """backend b
    server s1 192.0.2.82:443 ssl verify none sni str(www.example.com) check-ssl   # BREAK: server s1 192.0.2.82:443 ssl verify maybe
    server s2 192.0.2.83:443 ssl verify none check check-ssl alpn h2,http/1.1
    server s3 192.0.2.84:80 send-proxy agent-check agent-port 9999 agent-inter 5s   # BREAK: server s3 192.0.2.84:80 send-proxy agent-check agent-port
    server s4 192.0.2.85:80 cookie c4 check on-marked-down shutdown-sessions
    cookie SRV insert indirect nocache
"""
C['backend-balance'] = D + """backend b1
    balance roundrobin     # BREAK: balance roundrobbin
    server s 192.0.2.90:80
backend b2
    balance static-rr
    server s 192.0.2.91:80
backend b3
    balance source
    hash-type consistent   # BREAK: hash-type constant
    server s 192.0.2.92:80
backend b4
    balance uri len 5 depth 2
    hash-type map-based sdbm avalanche
    server s 192.0.2.93:80
backend b5
    balance url_param userid check_post   # BREAK: balance url_param
    server s 192.0.2.94:80
backend b6
    balance hdr(host)
    server s 192.0.2.95:80
backend b7
    balance rdp-cookie
    server s 192.0.2.96:80
backend b8
    balance random(3)
    hash-type consistent djb2
    server s 192.0.2.97:80
backend b9
    balance first
    server s 192.0.2.98:80
"""
C['options'] = D + """frontend f
    bind :8130
    option httplog                 # BREAK: option htplog
    option dontlognull
    option forwardfor except 127.0.0.0/8
    option http-server-close
    no option http-buffer-request
    option http-ignore-probes
    default_backend b
backend b
    option redispatch              # BREAK: no option httpchk
    no option redispatch
    option redispatch 3
    option httpchk GET /health
    option http-keep-alive
    option abortonclose
    option allbackups
    option log-health-checks
    no option forwardfor           # BREAK: no option forwardfor
    server s 192.0.2.100:80 check
"""
C['options-capability'] = D + """frontend f
    bind :8131
    option httpchk          # BREAK: option foo
    option abortonclose
    timeout server 5s
backend b
    bind :8132
    option dontlognull
    server s 192.0.2.101:80
"""
C['timeouts-units'] = """defaults
    mode http
    timeout client 1500us     # BREAK: timeout client -1
    timeout server 250ms
    timeout connect 5s
    timeout queue 2m
    timeout http-request 1h   # BREAK: timeout http-request 25d
    timeout http-keep-alive 24d
    timeout tunnel 1d
    timeout check 2s
    timeout tarpit 60
    timeout client-fin 1s
    timeout server-fin 1s     # BREAK: timeout sever-fin 1s
listen l
    bind :8140
    server s 192.0.2.102:80
"""
C['timeouts-errors'] = """defaults
    timeout client 30s        # BREAK: timeout client
    timeout server 30s        # BREAK: timeout server 30s 40s
    timeout connect 5s        # BREAK: timeout
listen l
    bind :8141
    server s 192.0.2.103:80
"""
C['timeouts-missing'] = """frontend f
    bind :8142
    default_backend b
backend b
    server s 192.0.2.104:80
"""
C['timeouts-trailing'] = """defaults
    timeout client 30sx
    timeout server 30s
    timeout connect 5s
listen l
    bind :8143
    server s 192.0.2.105:80
"""
C['acl-fetches'] = D + """frontend f
    bind :8150
    acl a1 src 192.0.2.0/24 198.51.100.0/24
    acl a2 hdr(host) -i example.com www.example.com
    acl a3 path_beg /api /v1        # BREAK: acl a3 path_begin /api
    acl a4 req.hdr(x-forwarded-for),lower -m sub 203.0.113.
    acl a5 method GET HEAD
    acl a6 url_param(userid) -m found
    acl a7 ssl_fc
    acl a8 src,ipmask(24) 192.0.2.0  # BREAK: acl a8 src,ipmask2(24) 192.0.2.0
    acl a9 path -m reg ^/[a-z]+$
    acl a10 hdr_cnt(host) gt 1
    acl a11 req.cook(session) -m len gt 0
    acl a/12 src 192.0.2.1          # BREAK: acl a/12 src 192.0.2.1
    http-request deny if a1 a3 || a5 !a2
    default_backend b
backend b
    server s 192.0.2.110:80
"""
C['acl-no-pattern'] = D + """frontend f
    bind :8151
    acl empty src
    acl ok src 192.0.2.1
    http-request deny if ok
"""
C['http-request-rules'] = D + """frontend f
    bind :8160
    stick-table type ip size 100k expire 10m store http_req_rate(10s)   # BREAK: # no table
    acl bad src 203.0.113.66
    http-request deny if bad                          # BREAK: http-request deny if badd
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }
    http-request set-header X-Forwarded-Proto https if { ssl_fc }
    http-request add-header X-Request-Start t=%Ts
    http-request del-header X-Internal
    http-request set-var(txn.host) req.hdr(host)      # BREAK: http-request set-vra(txn.host) req.hdr(host)
    http-request redirect location /maintenance code 302 if { path /old }
    http-request return status 200 content-type text/plain string ok if { path /ping }
    http-request track-sc0 src
    http-request capture req.hdr(host) len 64
    http-request set-path /v2%[path] if { path_beg /v1 }
    http-request replace-header Host (.*) example.com
    http-request tarpit if { src 198.51.100.99 }
    http-request auth realm test unless { http_auth(users) }
    http-request wait-for-body time 1s
    default_backend b
backend b
    http-response set-header X-Served-By lbkit      # BREAK: http-response set-hdr X-Served-By lbkit
    http-response del-header Server
    http-response set-status 503 if { status 500 }
    http-after-response set-header X-After yes
    server s 192.0.2.120:80
userlist users
    user admin insecure-password secret
"""
C['tcp-rules'] = T + """frontend f
    mode tcp
    bind :8170
    stick-table type ip size 1k   # BREAK: # no table
    tcp-request inspect-delay 5s                        # BREAK: tcp-request inspect-delay
    tcp-request connection reject if { src 203.0.113.1 }
    tcp-request connection track-sc0 src
    tcp-request session accept
    tcp-request content accept if { req.ssl_hello_type 1 }
    tcp-request content reject if { req.len 0 }          # BREAK: tcp-request contents reject
    tcp-request content set-var(sess.x) src
    default_backend b
backend b
    mode tcp
    tcp-response content accept
    tcp-request content accept                           # BREAK: tcp-request content acept
    server s 192.0.2.130:22
"""
C['stats'] = D + """listen stats
    bind :8180
    stats enable
    stats uri /stats              # BREAK: stats uri
    stats auth admin:secret       # BREAK: stats auth admin
    stats refresh 10s             # BREAK: stats refresh 10x
    stats realm Haproxy\\ Statistics
    stats admin if TRUE           # BREAK: stats admin TRUE
    stats hide-version
    stats show-legends
"""
C['stick-tables'] = D + """backend b
    stick-table type ip size 200k expire 30m store conn_rate(10s),http_req_rate(10s)   # BREAK: stick-table type ipv9 size 1k
    stick on src                      # BREAK: stick foo src
    server s1 192.0.2.140:80
    server s2 192.0.2.141:80
backend sticky-str
    stick-table type string len 32 size 10k   # BREAK: stick-table type string len 32
    stick on req.cook(sessid)
    stick store-response res.cook(sessid)
    server s 192.0.2.142:80
"""
C['cookies'] = D + """backend b
    cookie SERVERID insert indirect nocache httponly secure   # BREAK: cookie SERVERID insert sometimes
    server s1 192.0.2.150:80 cookie s1
    server s2 192.0.2.151:80 cookie s2
backend b2
    cookie JSESSIONID prefix nocache
    server s 192.0.2.152:80 cookie a
"""
C['cookie-tcp'] = T + """backend b
    mode tcp
    server s1 192.0.2.153:80 cookie s1
"""
C['errorfiles'] = D + """frontend f
    bind :8190
    errorfile 503 @DATA@/errors/503.http    # BREAK: errorfile 503 /nonexistent/503.http
    errorfile 403 @DATA@/errors/403.http    # BREAK: errorfile 403
    default_backend b
backend b
    errorfile 503 @DATA@/errors/503.http
    server s 192.0.2.160:80
"""
C['listen-full'] = """global
    log /dev/log local0
    maxconn 2048
defaults
    mode http
    log global
    option httplog
    timeout connect 5s
    timeout client 30s
    timeout server 30s
listen web
    bind :8200
    bind :8201
    balance roundrobin
    option httpchk GET /
    http-check expect status 200
    retries 2
    option redispatch
    server w1 192.0.2.170:80 check
    server w2 192.0.2.171:80 check
    server w3 192.0.2.172:80 check backup
"""
C['listen-tcp'] = """defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
listen mysql
    bind 127.0.0.1:3306
    option mysql-check user haproxy
    balance leastconn
    server db1 192.0.2.180:3306 check
    server db2 192.0.2.181:3306 check backup
listen redis
    bind 127.0.0.1:6379
    option tcp-check
    tcp-check send PING\\r\\n
    tcp-check expect string +PONG
    server r1 192.0.2.182:6379 check inter 1s
"""
C['defaults-restrictions'] = """defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
    default_backend b          # BREAK: use_backend b
    option httplog             # BREAK: acl a src 192.0.2.1
    option dontlognull         # BREAK: bind :80
    default-server inter 2s    # BREAK: server s 192.0.2.1:80
    retries 2                  # BREAK: stick-table type ip size 1k
frontend f
    bind :8210
backend b
    server s 192.0.2.190:80
"""
C['defaults-named-rules'] = """defaults web
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
    acl internal src 192.0.2.0/24
    http-request deny unless internal
frontend f from web
    bind :8211
    default_backend b
backend b from web
    server s 192.0.2.191:80
"""
C['negation'] = D + """frontend f
    bind :8212
    no log
    no option httplog     # BREAK: no option tcplog
    option httplog
    default_backend b     # BREAK: no default_backend b
backend b
    server s 192.0.2.192:80
"""
C['out-of-section'] = """# a keyword before any section
global
    maxconn 100   # BREAK: maxconn 100 200
"""
C['out-of-section-2'] = """maxconn 10
global
"""
C['quotes-escapes'] = D + """frontend f
    bind ":8220"
    bind ':8221'
    bind \\:8222
    http-request set-header X-Quote "a \\"quoted\\" value"
    http-request set-header X-Single 'single $HOME # not a comment'
    http-request set-header X-Hex \\x41\\x42
    http-request set-header X-Space a\\ b
    http-request set-header X-Hash a\\#b   # BREAK: http-request set-header X-Bad "unterminated
    http-request set-header X-Bad2 ok      # BREAK: http-request set-header X-Bad2 \\x4
    default_backend b
backend b
    server s 192.0.2.200:80
"""
C['env-vars'] = D + """frontend f
    bind "${LBKIT_HCFG_PORT}"                  # BREAK: bind "${LBKIT_HCFG_PORT"
    bind "127.0.0.1:${LBKIT_HCFG_UNDEFINED-8231}"
    http-request set-header X-Home "${HOME}"   # BREAK: http-request set-header X-Home "$1"
    http-request set-header X-File "${.FILE}:${.LINE}"   # BREAK: http-request set-header X-File "${.NOPE}"
    acl listed hdr(x-list) "${LBKIT_HCFG_WORDS[*]}"  # BREAK: acl listed hdr(x-list) "${LBKIT_HCFG_WORDS[x]}"
    http-request set-header X-List "${LBKIT_HCFG_WORDS}"   # BREAK: http-request set-header X-List "${LBKIT_HCFG_WORDS[*]}"
    default_backend b
backend b
    server s "${LBKIT_HCFG_SERVER}:80"
"""
C['env-undefined'] = D + """frontend f
    bind :8232
    default_backend b
backend b
    server s 192.0.2.201:80 weight "${LBKIT_HCFG_UNDEFINED}"
"""
C['env-undefined-2'] = """global
    maxconn "${LBKIT_HCFG_UNDEFINED}"
"""
C['conditionals'] = """.if defined(HOME)
global
    maxconn 100
.elif defined(NOPE)
global
    junk keyword
.else
global
    other junk
.endif
.if version_atleast(2.6) && feature(OPENSSL)
.notice "running on a recent HAProxy"
.endif
.if version_before(2.5) || !feature(OPENSSL)
    garbage that is skipped
.endif
.if streq("${LBKIT_HCFG_MODE}",http)
defaults
    mode http
.else
defaults
    mode tcp
.endif
    timeout connect 1s
    timeout client 1s
    timeout server 1s
.if 0
.if foo bar
.endif
.endif
listen l
    bind :8240
    server s 192.0.2.210:80
.if 1     # BREAK: .if bogus(1)
.endif    # BREAK: .else
"""
C['conditionals-errors'] = """.if 1
global
    maxconn 10
.endif      # BREAK: .endif extra
.if 0
.elif 1
.else
.endif      # BREAK: .elif 1
"""
C['conditionals-unterminated'] = """global
.if 1      # BREAK: .if 1 0
.endif     # BREAK: # no endif
"""
C['directives'] = """global
    maxconn 10
.warning "this is a warning"   # BREAK: .warning this is two words
.notice note
.diag diagnostic
.alert ok   # BREAK: .alert "this stops the check"
.unknowndirective   # BREAK: .unknowndirective
"""
C['resolvers'] = D + """resolvers dns
    nameserver ns1 192.0.2.53:53
    resolve_retries 3
    timeout resolve 1s
    timeout retry 1s
    hold valid 10s
    accepted_payload_size 8192
backend b
    server s 192.0.2.220:80 resolvers dns init-addr none
"""
C['peers'] = D + """peers mypeers
    peer lbkit-test-node1 192.0.2.230:10000
    peer lbkit-test-node2 192.0.2.231:10000
backend b
    stick-table type ip size 1k peers mypeers
    stick on src
    server s 192.0.2.232:80
"""
C['userlist'] = D + """userlist admins
    group ops
    user alice insecure-password secret groups ops
    user bob password $6$saltsalt$abcdefghijklmnopqrstuvwxyz
frontend f
    bind :8250
    acl auth_ok http_auth(admins)
    http-request auth realm admins unless auth_ok
    default_backend b
backend b
    server s 192.0.2.240:80
"""
C['mailers'] = D + """mailers alerts
    mailer smtp1 192.0.2.25:25
    timeout mail 20s
backend b
    email-alert mailers alerts
    email-alert from haproxy@example.com
    email-alert to ops@example.com
    server s 192.0.2.241:80 check
"""
C['program'] = """global
    master-worker   # BREAK: # not in master-worker mode
program echo
    command /bin/true
    no option start-on-reload
"""
C['http-errors'] = D + """http-errors site
    errorfile 503 @DATA@/errors/503.http
    errorfile 403 @DATA@/errors/403.http
frontend f
    bind :8260
    errorfiles site
    default_backend b
backend b
    server s 192.0.2.242:80
"""
C['ring'] = """ring logbuf
    description "log buffer"
    format rfc3164
    maxlen 1200
    size 32764
global
    log ring@logbuf local0
"""
C['cache'] = D + """cache small
    total-max-size 4
    max-object-size 10000
    max-age 240
frontend f
    bind :8270
    http-request cache-use small
    http-response cache-store small
    default_backend b
backend b
    server s 192.0.2.243:80
"""
C['section-names'] = D + """frontend web-1.example:a_b
    bind :8280
    default_backend be.2      # BREAK: default_backend be/2
backend be.2                  # BREAK: backend be/2
    server s 192.0.2.244:80
backend                       # BREAK: backend
"""
C['many-backends'] = D + "frontend f\n    bind :8290\n" + "".join(
    f"    use_backend b{i} if {{ path_beg /b{i} }}\n" for i in range(20)) + "".join(
    f"backend b{i}\n    server s1 198.51.100.{i+1}:80 check\n    server s2 198.51.100.{i+101}:80 check\n" for i in range(20))
C['removed-keywords'] = D + """backend b
    server s 192.0.2.245:80   # BREAK: srvtimeout 5s
    retries 3                 # BREAK: monitor-net 192.0.2.0/24
    bind-process 1
"""
C['monitor-uri'] = D + """frontend f
    bind :8300
    monitor-uri /healthz
    capture request header Host len 32
    capture response header Server len 32
    unique-id-format %{+X}o%ci:%cp
    unique-id-header X-Unique-ID
    default_backend b
backend b
    server s 192.0.2.246:80
"""
C['http-reuse-source'] = D + """backend b
    http-reuse safe
    source 0.0.0.0
    fullconn 1000
    hash-balance-factor 150
    server s 192.0.2.247:80
"""
C['compression'] = D + """frontend f
    bind :8310
    compression algo gzip
    compression type text/html text/plain
    default_backend b
backend b
    server s 192.0.2.248:80
"""
C['log-format'] = D + """frontend f
    bind :8320
    log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B"
    log 127.0.0.1 local0
    default_backend b
backend b
    server s 192.0.2.249:80
"""
C['mode-errors'] = D + """backend b
    mode tcp     # BREAK: mode udp
    server s 192.0.2.250:80
"""
C['tab-separated'] = "defaults\n\tmode http\n\ttimeout connect 5s\n\ttimeout client 5s\n\ttimeout server 5s\nfrontend f\n\tbind\t:8330\n\tdefault_backend\tb\nbackend b\n\tserver\ts\t192.0.2.251:80\n"
C['crlf'] = "defaults\r\n    timeout connect 5s\r\n    timeout client 5s\r\n    timeout server 5s\r\nlisten l\r\n    bind :8331\r\n    server s 192.0.2.252:80\r\n"
C['ipv6-servers'] = D + """backend b
    server s1 [2001:db8::1]:80
    server s2 2001:db8::2:80
    server s3 ipv6@2001:db8::3:80
    server s4 ipv4@192.0.2.253:80
frontend f
    bind [2001:db8::10]:8340
    default_backend b
"""
C['unix-servers'] = D + """backend b
    server s1 /run/app.sock
    server s2 unix@/run/app2.sock
    server s3 abns@app3
frontend f
    bind :8341
    default_backend b
"""
C['words-limit'] = """global
    description """ + " ".join(["w"] * 60) + """
    maxconn 1   # BREAK: description """ + " ".join(["w"] * 63) + """
"""
C['server-template'] = D + """backend b
    server-template srv 3 192.0.2.1:80 check
    server-template web 1-2 192.0.2.2:80
"""
C['http-check'] = D + """backend b
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host www.example.com
    http-check expect status 200-399
    server s 192.0.2.3:80 check
"""
C['use-server'] = D + """backend b
    use-server s2 if { req.hdr(x-srv) s2 }
    force-persist if { src 192.0.2.0/24 }
    server s1 192.0.2.4:80
    server s2 192.0.2.5:80
"""
os.makedirs('corpus', exist_ok=True)
for k, v in C.items():
    open(f'corpus/{k}.cfg', 'w').write(v)
print(len(C))
C2 = {}
C2['global-more'] = """global
    nbthread 4            # BREAK: nbthread
    ulimit-n 4096
    uid 0                 # BREAK: uid
    gid 0
    maxsslrate 100
    hard-stop-after 1m
""" + T + """listen l
    bind :8400
    server s 192.0.2.10:80
"""
C2['bind-options-more'] = D + """frontend f
    bind :8401 alpn h2                 # BREAK: bind :8401 alpn
    bind :8402 name web id 7           # BREAK: bind :8402 name
    bind :8403 v4v6 transparent
    bind :8404 ssl crt @DATA@/certs/example.com.pem verify none   # BREAK: bind :8404 ssl crt @DATA@/certs/example.com.pem verify sometimes
    default_backend b
backend b
    server s 192.0.2.11:80
"""
C2['server-options-more'] = D + """backend b
    server s1 192.0.2.12:80 maxconn 100    # BREAK: server s1 192.0.2.12:80 maxconn
    server s2 192.0.2.13:80 id 3           # BREAK: server s2 192.0.2.13:80 id 0
    server s3 192.0.2.14:80 port 8080 check   # BREAK: server s3 192.0.2.14:80 prot 8080 check
    server s4 192.0.2.15:80 weight 0
    server s5 192.0.2.16:80 on-error mark-down observe layer4
    server s6 192.0.2.17:80 resolve-prefer ipv4 check   # BREAK: server s6 192.0.2.17:80 resolve-prefer ipv4
    server s7 192.0.2.18:80 track s6
"""
C2['use-backend-targets'] = D + """frontend f
    bind :8405
    use_backend b if { path_beg /b }     # BREAK: use_backend other if { path_beg /b }
    default_backend b                    # BREAK: default_backend f
backend b
    server s 192.0.2.19:80
frontend other
    bind :8406
    default_backend l
listen l
    bind :8407
    server s 192.0.2.20:80
"""
C2['mode-tcp-frontend-http-backend'] = T + """frontend f
    mode tcp
    bind :8408
    default_backend b
backend b
    mode http    # BREAK: mode tcp
    server s 192.0.2.21:80
"""
C2['acl-more'] = D + """frontend f
    bind :8409
    acl a1 path -m beg /x          # BREAK: acl a1 path -m begins /x
    acl a2 src -f @DATA@/acl/allow.lst     # BREAK: acl a2 src -f @DATA@/errors/503.http
    acl a2b src 192.0.2.1 10.0.0.0/8       # BREAK: acl a2b src 192.0.2.300
    acl a3 hdr(host) -m found
    acl a4 always_true
    acl a5 req.hdr_cnt(host) eq 1
    acl a6 path -i -m sub admin
    http-request deny if a1 a3 a4 a5 a6
"""
C2['rules-more'] = D + """frontend f
    bind :8410
    http-request set-header X-A b             # BREAK: http-request set-header X-A
    http-request redirect prefix /new code 301
    http-request set-log-level silent
    http-request deny                         # BREAK: http-request dney
    http-response set-header X-B c
    tcp-request content accept                # BREAK: tcp-request foo accept
    default_backend b
backend b
    http-request set-path /x                  # BREAK: http-request set-path /x /y
    server s 192.0.2.22:80
"""
C2['errorfile-codes'] = D + """backend b
    errorfile 503 @DATA@/errors/503.http   # BREAK: errorfile 999 @DATA@/errors/503.http
    server s 192.0.2.23:80
"""
C2['cookie-more'] = D + """backend b
    cookie SRV insert nocache domain .example.com maxidle 30m maxlife 8h   # BREAK: cookie
    server s 192.0.2.24:80 cookie a
"""
C2['names-quoted'] = D + """backend app_1
    server s 192.0.2.25:80
backend app_2                 # BREAK: backend "my app"
    server s 192.0.2.26:80
"""
C2['named-defaults-rules-ok'] = """defaults web
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
    http-request set-header X-Seen yes
defaults plain
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend f from web
    bind :8411
    default_backend b
frontend f2 from web
    bind :8412
    default_backend b
backend b from plain    # BREAK: backend b from web
    server s 192.0.2.27:80
"""
C2['conditional-env'] = """.if streq("${LBKIT_HCFG_MODE}",http) && defined(LBKIT_HCFG_PORT)
global
    maxconn 10
.else
global
    bogus keyword
.endif
.if strneq("${LBKIT_HCFG_UNDEFINED}","")
global
    another bogus
.endif
.if defined(LBKIT_HCFG_UNDEFINED)   # BREAK: .if !defined(LBKIT_HCFG_UNDEFINED)
global
    third bogus
.endif
"""
C2['hash-more'] = D + """backend b
    balance source
    hash-type consistent crc32 avalanche   # BREAK: hash-type consistent foo
    server s 192.0.2.28:80
"""
C2['stats-more'] = D + """listen st
    bind :8413
    stats enable
    stats scope .
    stats show-node lb1
    stats show-desc "primary"
    stats uri /s                # BREAK: stats foo
"""
C2['options-forwardfor'] = D + """frontend f
    bind :8414
    option forwardfor header X-Client-IP if-none
    option originalto
    option http-keep-alive       # BREAK: option http-keep-aliv
    default_backend b
backend b
    option httpchk HEAD /
    option tcpka                 # BREAK: no option tcpka
    server s 192.0.2.29:80 check
"""
for k, v in C2.items():
    open(f'corpus/{k}.cfg', 'w').write(v)
print(len(C2))
