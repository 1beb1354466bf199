#!/usr/bin/env python3
"""genregistry.py NODES CONTAINERS [SEED [PROVIDER [CLOUD]]] > registry.json

A deterministic registry for benchmarks: 10 % dedicated nodes, the rest
cloud nodes in every status, game servers of 1-16 GB in every state.
PROVIDER (default hetzner) is the cloud nodes' provider: "local" for a
cycle with the local provider, which holds none of these servers, so
then no node is left provisioning (pp-provision would look for each).
CLOUD, with the local provider: the local cloud's file (cloud.json) to
write, holding every cloud node's server with our labels, so that
pp-provision's convergence finds each node's server and the cycle does
what it does in a real fleet, not forget 9 nodes in 10."""
import json
import random
import sys

nodes_n = int(sys.argv[1])
containers_n = int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
provider = sys.argv[4] if len(sys.argv) > 4 else "hetzner"
cloud_file = sys.argv[5] if len(sys.argv) > 5 else None
servers = []
sizes = [1024, 2048, 2048, 4096, 4096, 4096, 6144, 8192, 8192, 12288, 16384]
states = ["running"] * 7 + ["starting", "stopping", "stopped"]
# Cloud nodes of 64, 128 and 256 GB, to hold 20 game servers each: types
# no catalog lists (pp-fleetstats checks a cloud node's RAM against its
# type's memory, and counts a cx33 said to have 64 GB as 8 GB).
types = [("bench-64g", 65536, 0.0088), ("bench-128g", 131072, 0.0152),
         ("bench-256g", 262144, 0.028)]
per_node = [0] * nodes_n
for i in range(containers_n):
    per_node[rng.randrange(nodes_n)] += 1

out = sys.stdout
out.write('{"version": 1, "nodes": [\n')
for i in range(nodes_n):
    dedicated = i < max(1, nodes_n // 10)
    if dedicated:
        node = {"id": "ded-%05d" % i, "kind": "dedicated", "status": "ready",
                "role": "worker", "total_ram_mb": 262144,
                "reserved_ram_mb": 4096,
                "ip": "10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255),
                "location": "fsn1", "labels": {}, "cloud": None}
    else:
        t = types[rng.randrange(len(types))]
        status = rng.choice(["ready"] * 8 + ["provisioning", "draining",
                                               "unhealthy"])
        if status == "provisioning" and provider == "local":
            status = "ready"
        node = {"id": "cloud-%05d" % i, "kind": "cloud", "status": status,
                "role": rng.choice(["worker"] * 9 + ["spare"]),
                "total_ram_mb": t[1], "reserved_ram_mb": 512,
                "ip": "172.%d.%d.%d" % (16 + (i >> 16), (i >> 8) & 255,
                                              i & 255), "location": "nbg1",
                "labels": {"managed_by": "ppscale"},
                "cloud": {"provider": provider, "server_id": str(4000000 + i),
                          "server_type": t[0], "hourly_cost_eur": t[2],
                          "created_at": "2026-11-27T%02d:%02d:00Z"
                          % (rng.randrange(24), rng.randrange(60))}}
    if node["cloud"] and cloud_file:
        servers.append({
            "id": node["cloud"]["server_id"], "name": node["id"],
            "server_type": node["cloud"]["server_type"],
            "location": node["location"], "image": "ubuntu-24.04",
            "ipv4": node["ip"],
            "labels": {"managed_by": "ppscale", "pool": "default"},
            "created": node["cloud"]["created_at"],
            "ready_at": node["cloud"]["created_at"]})
    node["containers"] = [
        {"id": "mc-%d-%d" % (i, j), "ram_mb": rng.choice(sizes),
         "state": rng.choice(states), "players": rng.randrange(20)}
        for j in range(per_node[i])]
    out.write(json.dumps(node, separators=(",", ":")))
    out.write(",\n" if i + 1 < nodes_n else "\n")
out.write("]}\n")
if cloud_file:
    with open(cloud_file, "w") as f:
        json.dump({"version": 1, "next_id": 9000000, "servers": servers}, f,
                  separators=(",", ":"))
