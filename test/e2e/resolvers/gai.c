/*
 * A tiny getaddrinfo/getnameinfo client for the resolver matrix (test/e2e/dns-discovery.test.ts),
 * built static with musl-gcc: musl's stub resolver asks A and AAAA in parallel for AF_UNSPEC.
 *   gai NAME      every address, one per line
 *   gai -x IP     the name of IP (PTR), NI_NAMEREQD
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "-x") == 0) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    if (inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1) return 64;
    char host[NI_MAXHOST];
    int rc = getnameinfo((struct sockaddr *)&sa, sizeof sa, host, sizeof host, NULL, 0, NI_NAMEREQD);
    if (rc) {
      fprintf(stderr, "getnameinfo: %s\n", gai_strerror(rc));
      return 2;
    }
    puts(host);
    return 0;
  }
  if (argc != 2) return 64;
  struct addrinfo hints, *res, *p;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(argv[1], NULL, &hints, &res);
  if (rc) {
    fprintf(stderr, "getaddrinfo: %s\n", gai_strerror(rc));
    return 2;
  }
  for (p = res; p; p = p->ai_next) {
    char buf[INET6_ADDRSTRLEN];
    void *addr = p->ai_family == AF_INET ? (void *)&((struct sockaddr_in *)p->ai_addr)->sin_addr : (void *)&((struct sockaddr_in6 *)p->ai_addr)->sin6_addr;
    puts(inet_ntop(p->ai_family, addr, buf, sizeof buf));
  }
  freeaddrinfo(res);
  return 0;
}
