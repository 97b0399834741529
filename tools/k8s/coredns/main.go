// CoreDNS for the local cluster's real node (tools/k8s/build.sh --node): only the plugins its
// Corefile uses. There is deliberately no `forward`: the cluster has no upstream resolver, and a
// query for a name outside the cluster must fail rather than leave the machine.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// The same order as CoreDNS's own plugin.cfg, restricted to the plugins linked in above.
var directives = []string{
	"reload", "health", "ready", "errors", "log", "loadbalance", "cache", "hosts", "kubernetes", "loop",
}

func init() { dnsserver.Directives = directives }

func main() { coremain.Run() }
