# A Python client for the resolver matrix (test/e2e/dns-discovery.test.ts): socket.getaddrinfo and
# gethostbyaddr, i.e. glibc's resolver through CPython.
#   python3 lookup.py host NAME | ptr IP
import socket
import sys

what, name = sys.argv[1], sys.argv[2]
if what == "host":
    for address in sorted({info[4][0] for info in socket.getaddrinfo(name, None, socket.AF_UNSPEC, socket.SOCK_STREAM)}):
        print(address)
elif what == "ptr":
    print(socket.gethostbyaddr(name)[0])
