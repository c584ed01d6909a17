#!/bin/bash
# Sizes, `--version` peak RSS and a running `berth __dns` server's memory after 200
# queries, for one release binary (run it for two builds, alternating). Root not needed.
# usage: measure.sh BINARY LABEL PORT
set -u
B=$1; L=$2; PORT=$3
echo "== $L: $B"
ls -l $B | awk '{print "size", $5}'
readelf -SW $B | python3 -c '
import sys,re
for l in sys.stdin:
    m=re.search(r"\]\s+(\.(text|rodata|data\.rel\.ro|data|bss|relr\.dyn|rela\.dyn))\s+\S+\s+\S+\s+\S+\s+([0-9a-f]+)",l)
    if m: print(m.group(1), int(m.group(3),16))'
echo "relocs $(readelf -rW $B | grep -c 'R_X86_64')"
# page cache: drop this file's pages, read it in with one run
dd if=$B iflag=nocache count=0 2>/dev/null; $B --version >/dev/null
rss=(); for i in $(seq 1 15); do rss+=($(/usr/bin/time -f '%M' $B --version 2>&1 >/dev/null | tail -1)); done
echo "--version peak RSS KiB: $(printf '%s\n' "${rss[@]}" | sort -n | tr '\n' ' ')"
# the DNS server
D=$(mktemp -d /tmp/parsers_bench/run.XXXX)
echo '{"domain":"dns.berth","entries":[{"names":["web","alias1"],"ipv4":"10.89.0.2"}]}' > $D/records.json
$B __dns --network bench --listen 127.0.0.1:$PORT --records $D/records.json --pid-file $D/dns.pid 2>$D/log &
P=$!
sleep 1
python3 - $PORT <<'PY'
import socket,struct,sys
port=int(sys.argv[1])
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(2)
def q(name,qt,i):
    h=struct.pack('>HHHHHH',i,0x0100,1,0,0,0)
    b=b''.join(bytes([len(l)])+l.encode() for l in name.split('.'))+b'\0'
    return h+b+struct.pack('>HH',qt,1)
n=0
for i in range(200):
    s.sendto(q(['web','alias1.dns.berth','missing.dns.berth'][i%3],1,i),('127.0.0.1',port))
    try: s.recvfrom(4096); n+=1
    except Exception: pass
print("answered",n,"of 200")
PY
grep -E 'VmRSS|VmHWM|RssAnon|RssFile' /proc/$P/status | tr -s ' \t' ' ' | tr '\n' ';'; echo
grep -E '^(Pss|Private_Dirty|Private_Clean|Shared_Clean)' /proc/$P/smaps_rollup | tr -s ' ' | tr '\n' ';'; echo
kill $P; wait $P 2>/dev/null
rm -rf $D
