"""The peer for bench:san: an ONTAP inventory walked the way NetApp's REST examples and
most admin scripts do it, stdlib only: one keep-alive connection, Basic auth, the same
collections and fields as drkit, one GET after another, following _links.next. It builds
the same answer (consistency group -> LUNs) and prints the number of groups."""
import base64, http.client, json, os, sys, urllib.parse

url = urllib.parse.urlparse(sys.argv[1])
auth = "Basic " + base64.b64encode(f"{os.environ['PEER_USER']}:{os.environ['PEER_PASSWORD']}".encode()).decode()
conn = http.client.HTTPConnection(url.hostname, url.port)

def get(path):
    conn.request("GET", path, headers={"Authorization": auth, "Accept": "application/json"})
    r = conn.getresponse()
    body = json.loads(r.read() or b"{}")
    if r.status >= 400:
        raise SystemExit(f"{path}: HTTP {r.status}")
    return body

def records(path, fields):
    out, nxt = [], f"{path}?max_records=1000&fields={fields}"
    while nxt:
        page = get(nxt)
        out += page.get("records", [])
        nxt = page.get("_links", {}).get("next", {}).get("href")
    return out

get("/api/cluster?fields=name,uuid,version")
records("/api/cluster/licensing/licenses", "name,state&name=snapmirror")
luns = records("/api/storage/luns", "uuid,name,serial_number,space.size,location.volume.uuid")
vols = records("/api/storage/volumes", "uuid,name,style,space.size,space.available")
igroups = records("/api/protocols/san/igroups", "uuid,name,protocol,os_type,initiators.name,lun_maps.lun.uuid")
cgs = records("/api/application/consistency-groups", "uuid,name,volumes.uuid,luns.uuid")
by_vol = {}
for lun in luns:
    by_vol.setdefault(lun["location"]["volume"]["uuid"], []).append(lun["uuid"])
groups = {cg["uuid"]: [l for v in cg.get("volumes", []) for l in by_vol.get(v["uuid"], [])] for cg in cgs}
print(len(groups))
