// A client of Go's pure resolver for the resolver matrix (test/e2e/dns-discovery.test.ts); run it
// with GODEBUG=netdns=go. LookupHost asks A and AAAA in parallel; a truncated answer is asked again over TCP.
//
//	lookup host NAME | srv NAME | ptr IP | txt NAME
package main

import (
	"context"
	"fmt"
	"net"
	"os"
)

func main() {
	r := &net.Resolver{PreferGo: true}
	ctx := context.Background()
	var err error
	switch os.Args[1] {
	case "host":
		var addrs []string
		addrs, err = r.LookupHost(ctx, os.Args[2])
		for _, a := range addrs {
			fmt.Println(a)
		}
	case "srv":
		var srvs []*net.SRV
		_, srvs, err = r.LookupSRV(ctx, "", "", os.Args[2])
		for _, s := range srvs {
			fmt.Printf("%d %d %d %s\n", s.Priority, s.Weight, s.Port, s.Target)
		}
	case "ptr":
		var names []string
		names, err = r.LookupAddr(ctx, os.Args[2])
		for _, n := range names {
			fmt.Println(n)
		}
	case "txt":
		var txts []string
		txts, err = r.LookupTXT(ctx, os.Args[2])
		for _, t := range txts {
			fmt.Println(t)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
