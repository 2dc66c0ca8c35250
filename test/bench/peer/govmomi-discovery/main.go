// Command govmomi-discovery is the peer in drkit's discovery benchmark: the idiomatic
// govmomi client (view.Manager + ContainerView.Retrieve into mo types) asking the same
// properties drkit's vSphere discovery asks, against the same simulator, built from the
// same Debian sources. It prints one JSON line: wall time, counts, peak RSS.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log"
	"net/url"
	"os"
	"syscall"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
)

var vmProps = []string{
	"name", "config.uuid", "config.instanceUuid", "config.guestId", "config.guestFullName", "config.template",
	"config.changeTrackingEnabled", "config.hardware.numCPU", "config.hardware.memoryMB", "config.hardware.device",
	"runtime.powerState", "runtime.host", "guest.toolsRunningStatus", "guest.toolsVersionStatus2", "guest.guestFamily",
	"guest.ipAddress", "guest.net", "datastore", "network",
}

func main() {
	log.SetFlags(0)
	endpoint := flag.String("url", "", "https://host:port/sdk")
	user := flag.String("username", "", "user")
	flag.Parse()
	u, err := url.Parse(*endpoint)
	if err != nil {
		log.Fatal(err)
	}
	u.User = url.UserPassword(*user, os.Getenv("VCSIM_PASSWORD"))
	ctx := context.Background()

	start := time.Now()
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		log.Fatal(err)
	}
	m := view.NewManager(c.Client)

	infra, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"ClusterComputeResource", "HostSystem", "Datastore", "Network", "DistributedVirtualPortgroup", "OpaqueNetwork"}, true)
	if err != nil {
		log.Fatal(err)
	}
	var clusters []mo.ClusterComputeResource
	var hosts []mo.HostSystem
	var datastores []mo.Datastore
	var networks []mo.Network
	must(infra.Retrieve(ctx, []string{"ClusterComputeResource"}, []string{"name", "host"}, &clusters))
	must(infra.Retrieve(ctx, []string{"HostSystem"}, []string{"name", "parent", "summary.config.product.name", "summary.config.product.version", "runtime.connectionState", "runtime.powerState", "datastore", "network"}, &hosts))
	must(infra.Retrieve(ctx, []string{"Datastore"}, []string{"name", "summary.type", "summary.capacity", "summary.freeSpace", "summary.url", "summary.accessible"}, &datastores))
	must(infra.Retrieve(ctx, []string{"Network"}, []string{"name"}, &networks))
	must(infra.Destroy(ctx))

	vmView, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		log.Fatal(err)
	}
	var vms []mo.VirtualMachine
	must(vmView.Retrieve(ctx, []string{"VirtualMachine"}, vmProps, &vms))
	must(vmView.Destroy(ctx))
	disks := 0
	for _, vm := range vms {
		if vm.Config != nil {
			disks += len(vm.Config.Hardware.Device)
		}
	}
	must(c.Logout(ctx))
	elapsed := time.Since(start)

	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	out, _ := json.Marshal(map[string]interface{}{
		"ms":       float64(elapsed.Microseconds()) / 1000,
		"machines": len(vms),
		"hosts":    len(hosts),
		"devices":  disks,
		"maxRssMB": float64(ru.Maxrss) / 1024,
	})
	os.Stdout.Write(append(out, '\n'))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
