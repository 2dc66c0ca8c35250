// Command vcsim starts govmomi's vCenter simulator (Debian's golang-github-vmware-govmomi-dev,
// 0.24.2) for drkit's tests and benchmarks. Debian ships the simulator library but no vcsim
// command, so this is the smallest launcher that exposes what the tests need: a topology,
// TLS with a self-signed certificate, per-method delays, a session idle timeout, and
// real-vCenter-like paging of RetrievePropertiesEx (see paging.go), which 0.24.2 lacks.
//
// It prints one JSON line on stdout once listening: {"url", "thumbprint", "username", ...},
// then serves until stdin closes or it gets SIGTERM/SIGINT.
package main

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"flag"
	"io"
	"log"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

type ready struct {
	URL        string `json:"url"`
	Thumbprint string `json:"thumbprint"`
	Username   string `json:"username"`
	Password   string `json:"password"`
	Machines   int    `json:"machines"`
	Hosts      int    `json:"hosts"`
	Datastores int    `json:"datastores"`
	Clusters   int    `json:"clusters"`
	Pid        int    `json:"pid"`
}

func main() {
	log.SetFlags(0)
	m := simulator.VPX()
	flag.IntVar(&m.Datacenter, "dc", 1, "datacenters")
	flag.IntVar(&m.Cluster, "cluster", 1, "clusters per datacenter")
	flag.IntVar(&m.ClusterHost, "host", 3, "hosts per cluster")
	flag.IntVar(&m.Host, "standalone-host", 1, "standalone hosts per datacenter")
	flag.IntVar(&m.Pool, "pool", 0, "child resource pools per cluster")
	flag.IntVar(&m.Machine, "vm", 2, "virtual machines per resource pool")
	flag.IntVar(&m.Datastore, "ds", 1, "datastores")
	flag.IntVar(&m.Portgroup, "pg", 1, "distributed portgroups per datacenter")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	user := flag.String("username", "drkit", "login user name")
	pass := flag.String("password", "", "login password (default: read from VCSIM_PASSWORD)")
	pageCap := flag.Int("page-cap", 0, "page RetrievePropertiesEx at most this many objects per page (0: no paging, as 0.24.2)")
	idle := flag.Duration("idle-timeout", 0, "session idle timeout (0: never)")
	delays := flag.String("method-delay", "", "per-method delays in ms, e.g. CreateSnapshot_Task=200,Login=10")
	plain := flag.Bool("http", false, "serve plain HTTP instead of HTTPS")
	tools := flag.Bool("tools-running", false, "report VMware Tools running in every powered-on VM (0.24.2 reports it not running)")
	flag.Parse()

	password := *pass
	if password == "" {
		password = os.Getenv("VCSIM_PASSWORD")
	}
	if password == "" {
		log.Fatal("vcsim: a password is required (-password or VCSIM_PASSWORD)")
	}

	m.DelayConfig.MethodDelay = parseDelays(*delays)
	if *idle > 0 {
		simulator.SessionIdleTimeout = *idle
	}
	if err := m.Create(); err != nil {
		log.Fatalf("vcsim: create model: %v", err)
	}
	defer m.Remove()

	if *pageCap > 0 {
		installPager(*pageCap)
	}
	if *tools {
		for _, e := range simulator.Map.All("VirtualMachine") {
			vm := e.(*simulator.VirtualMachine)
			if vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
				vm.Guest.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
				vm.Guest.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
			}
		}
	}

	m.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, password)}
	if !*plain {
		m.Service.TLS = new(tls.Config)
	}
	s := m.Service.NewServer()
	defer s.Close()

	r := ready{
		URL:        s.URL.Scheme + "://" + s.URL.Host + s.URL.Path,
		Username:   *user,
		Password:   password,
		Machines:   m.Count().Machine,
		Hosts:      m.Count().Host,
		Datastores: m.Count().Datastore,
		Clusters:   m.Count().Cluster,
		Pid:        os.Getpid(),
	}
	if s.TLS != nil && len(s.TLS.Certificates) > 0 {
		sum := sha256.Sum256(s.TLS.Certificates[0].Certificate[0])
		r.Thumbprint = strings.ToUpper(hex.EncodeToString(sum[:]))
	}
	line, _ := json.Marshal(r)
	os.Stdout.Write(append(line, '\n'))

	done := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(done) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-done:
	case <-sig:
	}
}

func parseDelays(spec string) map[string]int {
	out := map[string]int{}
	for _, part := range strings.Split(spec, ",") {
		if part == "" {
			continue
		}
		kv := strings.SplitN(part, "=", 2)
		if len(kv) != 2 {
			log.Fatalf("vcsim: bad -method-delay entry %q", part)
		}
		ms, err := strconv.Atoi(kv[1])
		if err != nil {
			log.Fatalf("vcsim: bad delay in %q", part)
		}
		out[kv[0]] = ms
	}
	return out
}
