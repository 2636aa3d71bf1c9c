// `ping -c N HOST` for guests without iputils: ICMP echo requests from a raw socket (python3, as
// root). Run as `sudo python3 - HOST [COUNT]` with this script on stdin; prints one line per reply:
// `HOST ADDRESS icmp_seq=N time=T ms`.
export const ICMP_PING_PY = `
import os, socket, struct, sys, time
host = sys.argv[1]
addr = socket.gethostbyname(host)
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
sock.settimeout(5)
def checksum(b):
    b += b"\\0" * (len(b) % 2)
    n = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    n = (n >> 16) + (n & 0xFFFF)
    n += n >> 16
    return ~n & 0xFFFF
ident = os.getpid() & 0xFFFF
for seq in range(int(sys.argv[2]) if len(sys.argv) > 2 else 3):
    body = struct.pack("!HH", ident, seq) + b"lima-ts"
    packet = struct.pack("!BBH", 8, 0, checksum(struct.pack("!BBH", 8, 0, 0) + body)) + body
    start = time.time()
    sock.sendto(packet, (addr, 0))
    while True:
        data, src = sock.recvfrom(1024)
        ihl = (data[0] & 0x0F) * 4
        kind, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        if kind == 0 and rid == ident and rseq == seq and src[0] == addr:
            break
    print("%s %s icmp_seq=%d time=%.1f ms" % (host, addr, seq, (time.time() - start) * 1000))
`;
