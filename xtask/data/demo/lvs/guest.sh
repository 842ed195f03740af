# `cargo xtask demo lvs`, the guest's half: runs as root inside the IPVS VM
# (busybox sh, in /payload with keepalived-rs and the two director
# configurations). It builds the seed guide's section 4.1 (LVS-NAT) and 4.2
# (LVS-DR with persistence) topologies in network namespaces with
# documentation addresses, and reports to the host with lines
# `@@lvs KIND [UPTIME] TEXT` (section, say, step, event, good, detail, ok,
# fail); every other line is shown as it is (IPVS tables).

IP=/usr/sbin/ip
IPVSADM=/usr/sbin/ipvsadm
KA=/payload/keepalived-rs
W=/tmp/lvs
# Longest wait for any expected change, in seconds (the VM is emulated).
WAIT=60
mkdir -p $W

now() { cut -d' ' -f1 /proc/uptime; }
say() { echo "@@lvs say $*"; }
section() { echo "@@lvs section $*"; }
step() { echo "@@lvs step $(now) $*"; }
event() { echo "@@lvs event $(now) $*"; }
good() { echo "@@lvs good $(now) $*"; }
detail() { echo "@@lvs detail $*"; }
ok() { echo "@@lvs ok $(now)"; }
fail() {
	echo "@@lvs fail $(now) $*"
	for f in $W/*.log; do
		[ -f "$f" ] || continue
		echo "--- last lines of $(basename $f)"
		tail -n 15 "$f"
	done
	exit 1
}
# Seconds from uptime $1 to $2 (default: now), two decimals.
since() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.2f", b - a }'; }

# wait_for WHAT COMMAND...: runs COMMAND every 0.1 s until it succeeds;
# fails the step after $WAIT s. Sets WAITED to the seconds it took.
wait_for() {
	what=$1
	shift
	start=$(now)
	while ! "$@" >/dev/null 2>&1; do
		if awk -v a="$start" -v b="$(now)" -v l=$WAIT 'BEGIN { exit !(b - a > l) }'; then
			fail "timed out after ${WAIT} s waiting for $what"
		fi
		sleep 0.1
	done
	WAITED=$(since $start)
}

# run NS PIDNAME LOG COMMAND...: starts COMMAND in namespace NS in the
# background, its PID in $W/PIDNAME.pid.
run() {
	ns=$1 name=$2 log=$3
	shift 3
	$IP netns exec $ns "$@" </dev/null >/dev/null 2>$log &
	echo $! >$W/$name.pid
}
stop() { [ -f $W/$1.pid ] && kill -9 "$(cat $W/$1.pid)" 2>/dev/null; rm -f $W/$1.pid; }

# get NS VIP: one HTTP GET from namespace NS; prints the answering server
# (the page's one line) or nothing.
get() {
	printf 'GET / HTTP/1.0\r\n\r\n' |
		$IP netns exec $1 busybox nc -w 1 $2 80 2>/dev/null | tail -n 1 | grep -x 'rs[0-9]'
}
# spread N NS VIP: N GETs; prints the answers counted by server.
spread() {
	: >$W/spread
	i=0
	while [ $i -lt $1 ]; do
		r=$(get $2 $3)
		echo "${r:-failed}" >>$W/spread
		i=$((i + 1))
	done
	sort $W/spread | uniq -c | awk '{ printf "%s%s=%s", sep, $2, $1; sep = " " }'
}
# table NS: the real servers in namespace NS's IPVS table, one line.
table() {
	$IP netns exec $1 $IPVSADM -Ln | awk '$1 == "->" && $2 ~ /^[0-9]/ { print $2 }' | sort | tr '\n' ' ' | sed 's/ $//'
}
# show NS: the IPVS table as `ipvsadm -Ln` prints it.
show() {
	echo "@@lvs say $1: ipvsadm -Ln"
	$IP netns exec $1 $IPVSADM -Ln
}
holds() { $IP -n $1 -4 addr show dev $2 | grep -q "inet $3/"; }
table_is() { [ "$(table $1)" = "$2" ]; }
answers() { [ -n "$(get $1 $2)" ]; }
# director N STATE PRIORITY CONF: keepalived-rs on director lv-lvsN.
director() {
	sed -e "s/@STATE@/$2/" -e "s/@PRIORITY@/$3/" /payload/$4 >$W/lvs$1.conf
	run lv-lvs$1 lvs$1 $W/lvs$1.log $KA -n -l -f $W/lvs$1.conf
}
# teardown: every process and namespace of the demo.
teardown() {
	for p in $W/*.pid; do [ -f "$p" ] && stop "$(basename $p .pid)"; done
	sleep 0.3
	for n in $($IP netns list | awk '{ print $1 }' | grep '^lv-'); do $IP netns del $n; done
	for b in lv-front lv-back lv-lan; do $IP link del $b 2>/dev/null; done
	rm -f $W/*.log
}
# veth HOSTSIDE NS DEV BRIDGE ADDR: a link from bridge to namespace.
veth() {
	$IP link add $1 type veth peer name $3 netns $2 &&
		$IP link set $1 master $4 up &&
		$IP -n $2 addr add $5 dev $3 &&
		$IP -n $2 link set $3 up
}

# ---------------------------------------------------------------- 4.1 NAT
NAT_VIP=203.0.113.100
NAT_GW=198.51.100.1
ALL4="198.51.100.20:80 198.51.100.21:80 198.51.100.22:80 198.51.100.23:80"
THREE="198.51.100.20:80 198.51.100.21:80 198.51.100.22:80"

section "section 4.1: LVS-NAT, two directors, four real servers, TCP_CHECK"
say "client 203.0.113.2 -- [lv-front] -- lvs1 .11 / lvs2 .12 (VIP $NAT_VIP, RH_EXT)"
say "lvs1 / lvs2 (gateway VIP $NAT_GW, RH_INT) -- [lv-back] -- rs1..rs4 198.51.100.20-23"
say "keepalived-rs on each director: lvs1 MASTER 100, lvs2 BACKUP 99, RH_EXT and RH_INT in sync group VG1"

step "build the NAT topology (7 namespaces, 2 bridges)"
(
	set -e
	for b in lv-front lv-back; do $IP link add $b type bridge; $IP link set $b up; done
	for n in lv-client lv-lvs1 lv-lvs2 lv-rs1 lv-rs2 lv-rs3 lv-rs4; do
		$IP netns add $n
		$IP -n $n link set lo up
	done
	veth lvc lv-client eth0 lv-front 203.0.113.2/24
	$IP -n lv-client route add default via $NAT_VIP
	for d in 1 2; do
		veth lvd${d}f lv-lvs$d eth0 lv-front 203.0.113.1$d/24
		veth lvd${d}b lv-lvs$d eth1 lv-back 198.51.100.$((d + 1))/24
		$IP netns exec lv-lvs$d sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
	done
	for s in 1 2 3 4; do
		veth lvs$s lv-rs$s eth0 lv-back 198.51.100.2$((s - 1))/24
		$IP -n lv-rs$s route add default via $NAT_GW
		mkdir -p $W/www$s
		echo rs$s >$W/www$s/index.html
		run lv-rs$s rs$s /dev/null busybox httpd -f -p 80 -h $W/www$s
	done
	exit 0
)
[ $? -eq 0 ] || fail "could not build the topology"
detail "4 httpd real servers"
ok

step "start keepalived-rs on lvs1 (MASTER) and lvs2 (BACKUP)"
director 1 MASTER 100 nat-director.conf
director 2 BACKUP 99 nat-director.conf
wait_for "lvs1 to hold $NAT_VIP and $NAT_GW" eval "holds lv-lvs1 eth0 $NAT_VIP && holds lv-lvs1 eth1 $NAT_GW"
event "lvs1 is MASTER of RH_EXT and RH_INT, holds $NAT_VIP and $NAT_GW (${WAITED} s)"
detail "lvs1 master after ${WAITED} s"
ok

step "TCP_CHECKs bring all four real servers into both IPVS tables"
wait_for "four real servers in lvs1's table" table_is lv-lvs1 "$ALL4"
wait_for "four real servers in lvs2's table" table_is lv-lvs2 "$ALL4"
holds lv-lvs2 eth0 $NAT_VIP && fail "lvs2 holds the VIP too"
show lv-lvs1
detail "4 real servers on both directors"
ok

step "client traffic through the VIP is balanced round robin"
got=$(spread 8 lv-client $NAT_VIP)
event "8 requests to http://$NAT_VIP/: $got"
[ "$got" = "rs1=2 rs2=2 rs3=2 rs4=2" ] || fail "expected rs1=2 rs2=2 rs3=2 rs4=2, got $got"
detail "$got"
ok

step "real server rs4 fails: its check removes it from the table"
stop rs4
event "killed rs4's httpd"
wait_for "rs4 out of lvs1's table" table_is lv-lvs1 "$THREE"
removed=$WAITED
event "rs4 removed from lvs1's IPVS table (${removed} s after the kill)"
wait_for "rs4 out of lvs2's table" table_is lv-lvs2 "$THREE"
show lv-lvs1
got=$(spread 6 lv-client $NAT_VIP)
event "6 requests: $got"
[ "$got" = "rs1=2 rs2=2 rs3=2" ] || fail "expected rs1=2 rs2=2 rs3=2, got $got"
detail "removed after ${removed} s; then $got"
ok

step "director lvs1 fails: lvs2 takes over, traffic continues"
rm -f $W/probe.stop
(
	while [ ! -f $W/probe.stop ]; do
		r=$(get lv-client $NAT_VIP)
		echo "$(now) ${r:-failed}"
		sleep 0.1
	done
) >$W/probe.out &
PROBE=$!
sleep 2
killed=$(now)
stop lvs1
$IP -n lv-lvs1 link set eth0 down
$IP -n lv-lvs1 link set eth1 down
event "killed keepalived-rs on lvs1 (kill -9) and took its links down"
wait_for "lvs2 to hold both VIPs" eval "holds lv-lvs2 eth0 $NAT_VIP && holds lv-lvs2 eth1 $NAT_GW"
took_over=$WAITED
event "lvs2 is MASTER of RH_EXT and RH_INT, holds both VIPs (${took_over} s after the kill)"
over=$(now)
wait_for "an answer through lvs2" awk -v k="$over" '$1 > k && $2 != "failed" { found = 1 } END { exit !found }' $W/probe.out
sleep 2
touch $W/probe.stop
wait $PROBE
# The interruption: the longest time without an answer, between two
# consecutive answered probes (each stamped when its answer came).
summary=$(awk '
	$2 == "failed" { failed++ }
	$2 != "failed" { if (prev != "" && $1 - prev > gap) gap = $1 - prev; prev = $1; answered++ }
	END { printf "%.2f %d %d", gap, failed, answered }' $W/probe.out)
set -- $summary
event "client probes (one GET, then 0.1 s pause): longest time without an answer $1 s; $2 failed, $3 answered"
good "measured interruption: $1 s"
show lv-lvs2
got=$(spread 6 lv-client $NAT_VIP)
event "6 requests through lvs2: $got"
[ "$got" = "rs1=2 rs2=2 rs3=2" ] || fail "expected rs1=2 rs2=2 rs3=2 through lvs2, got $got"
detail "backup master after ${took_over} s; interruption $1 s ($2 failed)"
ok

step "tear down the NAT topology"
teardown
ok

# ---------------------------------------------------------------- 4.2 DR
DR_VIP=192.0.2.100
DR3="192.0.2.21:80 192.0.2.22:80 192.0.2.23:80"

section "section 4.2: LVS-DR with persistence (persistence_timeout 9600)"
say "clients 192.0.2.2 and .3, lvs1 .11 / lvs2 .12 (VIP $DR_VIP), rs1..rs3 .21-.23, one LAN [lv-lan]"
say "real servers hold the VIP on lo with arp_ignore 1 / arp_announce 2 and answer clients directly"

step "build the DR topology (7 namespaces, 1 bridge)"
(
	set -e
	$IP link add lv-lan type bridge
	$IP link set lv-lan up
	for n in lv-client lv-client2 lv-lvs1 lv-lvs2 lv-rs1 lv-rs2 lv-rs3; do
		$IP netns add $n
		$IP -n $n link set lo up
	done
	veth lvc lv-client eth0 lv-lan 192.0.2.2/24
	veth lvc2 lv-client2 eth0 lv-lan 192.0.2.3/24
	for d in 1 2; do
		veth lvd$d lv-lvs$d eth0 lv-lan 192.0.2.1$d/24
	done
	for s in 1 2 3; do
		$IP netns exec lv-rs$s sh -c 'echo 1 >/proc/sys/net/ipv4/conf/all/arp_ignore; echo 2 >/proc/sys/net/ipv4/conf/all/arp_announce'
		veth lvs$s lv-rs$s eth0 lv-lan 192.0.2.2$s/24
		$IP -n lv-rs$s addr add $DR_VIP/32 dev lo
		mkdir -p $W/www$s
		echo rs$s >$W/www$s/index.html
		run lv-rs$s rs$s /dev/null busybox httpd -f -p 80 -h $W/www$s
	done
	exit 0
)
[ $? -eq 0 ] || fail "could not build the topology"
detail "3 httpd real servers, VIP on their lo"
ok

step "start keepalived-rs on lvs1 (MASTER) and lvs2 (BACKUP)"
director 1 MASTER 100 dr-director.conf
director 2 BACKUP 99 dr-director.conf
wait_for "lvs1 to hold $DR_VIP" holds lv-lvs1 eth0 $DR_VIP
event "lvs1 is MASTER of RH_1, holds $DR_VIP (${WAITED} s)"
wait_for "three real servers in lvs1's table" table_is lv-lvs1 "$DR3"
wait_for "three real servers in lvs2's table" table_is lv-lvs2 "$DR3"
show lv-lvs1
detail "lvs1 master, 3 real servers (Route, persistent 9600)"
ok

step "persistence: each client sticks to one real server"
a=$(spread 6 lv-client $DR_VIP)
event "client 192.0.2.2, 6 requests: $a"
b=$(spread 6 lv-client2 $DR_VIP)
event "client 192.0.2.3, 6 requests: $b"
case "$a" in rs[0-9]=6) ;; *) fail "client 192.0.2.2 was not kept on one server: $a" ;; esac
case "$b" in rs[0-9]=6) ;; *) fail "client 192.0.2.3 was not kept on one server: $b" ;; esac
echo "@@lvs say lv-lvs1: ipvsadm -Lnc (the persistence templates)"
$IP netns exec lv-lvs1 $IPVSADM -Lnc | awk 'NR <= 2 || $4 ~ /:0$/'
detail "192.0.2.2: $a; 192.0.2.3: $b"
ok

step "director lvs1 fails: lvs2 takes the VIP, clients stick to a server again"
stop lvs1
$IP -n lv-lvs1 link set eth0 down
event "killed keepalived-rs on lvs1 (kill -9) and took its link down"
wait_for "lvs2 to hold $DR_VIP" holds lv-lvs2 eth0 $DR_VIP
took_over=$WAITED
event "lvs2 is MASTER of RH_1, holds $DR_VIP (${took_over} s after the kill)"
wait_for "an answer through lvs2" answers lv-client $DR_VIP
a=$(spread 6 lv-client $DR_VIP)
event "client 192.0.2.2 through lvs2, 6 requests: $a"
case "$a" in rs[0-9]=6) ;; *) fail "client 192.0.2.2 was not kept on one server through lvs2: $a" ;; esac
say "(no lvs_sync_daemon here: lvs2 made its own persistence template, the server may differ)"
detail "lvs2 master after ${took_over} s; 192.0.2.2: $a"
ok

step "tear down the DR topology"
teardown
ok
exit 0
