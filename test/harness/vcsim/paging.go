package main

import (
	"crypto/rand"
	"encoding/hex"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// pagingCollector wraps the simulator's PropertyCollector with the paging real vCenter does
// and 0.24.2 does not: at most min(maxObjects, cap) objects per page — real vCenter often
// returns fewer than maxObjects — and a token that is single-use and bound to the session
// that created it (vSphere API reference, PropertyCollector.ContinueRetrievePropertiesEx).
//
// It embeds the collector by value: the simulator makes a per-session collector with
// reflect.New of the registered type, so the zero value must work.
type pagingCollector struct {
	simulator.PropertyCollector
}

type pendingPage struct {
	session string
	rest    []types.ObjectContent
}

var (
	pageCap   int
	pagesMu   sync.Mutex
	pagesLeft = map[string]pendingPage{}
)

func installPager(max int) {
	pageCap = max
	ref := simulator.Map.Get(simulator.Map.Get(types.ManagedObjectReference{Type: "ServiceInstance", Value: "ServiceInstance"}).(*simulator.ServiceInstance).Content.PropertyCollector).Reference()
	pc := &pagingCollector{}
	pc.Self = ref
	simulator.Map.Put(pc)
}

func (pc *pagingCollector) RetrievePropertiesEx(ctx *simulator.Context, r *types.RetrievePropertiesEx) soap.HasFault {
	res := pc.PropertyCollector.RetrievePropertiesEx(ctx, r)
	body, ok := res.(*methods.RetrievePropertiesExBody)
	if !ok || body.Fault_ != nil || body.Res == nil || body.Res.Returnval == nil {
		return res
	}
	size := pageCap
	if r.Options.MaxObjects > 0 && int(r.Options.MaxObjects) < size {
		size = int(r.Options.MaxObjects)
	}
	body.Res.Returnval = page(sessionKey(ctx), body.Res.Returnval.Objects, size)
	return body
}

func (pc *pagingCollector) ContinueRetrievePropertiesEx(ctx *simulator.Context, r *types.ContinueRetrievePropertiesEx) soap.HasFault {
	body := &methods.ContinueRetrievePropertiesExBody{}
	pagesMu.Lock()
	p, ok := pagesLeft[r.Token]
	delete(pagesLeft, r.Token) // single-use
	pagesMu.Unlock()
	if !ok || p.session != sessionKey(ctx) {
		body.Fault_ = simulator.Fault("invalid token", &types.InvalidArgument{InvalidProperty: "token"})
		return body
	}
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: *page(p.session, p.rest, pageCap)}
	return body
}

func (pc *pagingCollector) CancelRetrievePropertiesEx(ctx *simulator.Context, r *types.CancelRetrievePropertiesEx) soap.HasFault {
	pagesMu.Lock()
	delete(pagesLeft, r.Token)
	pagesMu.Unlock()
	return &methods.CancelRetrievePropertiesExBody{Res: &types.CancelRetrievePropertiesExResponse{}}
}

func page(session string, objects []types.ObjectContent, size int) *types.RetrieveResult {
	if len(objects) <= size {
		return &types.RetrieveResult{Objects: objects}
	}
	buf := make([]byte, 12)
	_, _ = rand.Read(buf)
	token := hex.EncodeToString(buf)
	pagesMu.Lock()
	pagesLeft[token] = pendingPage{session: session, rest: objects[size:]}
	pagesMu.Unlock()
	return &types.RetrieveResult{Token: token, Objects: objects[:size]}
}

// sessionKey is "" for calls without a session: 0.24.2 serves RetrievePropertiesEx to them.
func sessionKey(ctx *simulator.Context) string {
	if ctx.Session == nil {
		return ""
	}
	return ctx.Session.Key
}
