#!/usr/bin/env python3
"""genregistry.py NODES CONTAINERS [SEED [PROVIDER]] > registry.json

A deterministic registry for benchmarks: 10 % dedicated nodes, the rest
cloud nodes in every status, game servers of 1-16 GB in every state.
PROVIDER (default hetzner) is the cloud nodes' provider: "local" for a
cycle with the local provider, which holds none of these servers, so
then no node is left provisioning (pp-provision would look for each)."""
import json
import random
import sys

nodes_n = int(sys.argv[1])
containers_n = int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
provider = sys.argv[4] if len(sys.argv) > 4 else "hetzner"
sizes = [1024, 2048, 2048, 4096, 4096, 4096, 6144, 8192, 8192, 12288, 16384]
states = ["running"] * 7 + ["starting", "stopping", "stopped"]
types = [("cx33", 8192, 0.0088), ("cx43", 16384, 0.0152),
         ("cx53", 32768, 0.028)]
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
                "total_ram_mb": t[1] * 8, "reserved_ram_mb": 512,
                "ip": "172.%d.%d.%d" % (16 + (i >> 16), (i >> 8) & 255,
                                              i & 255), "location": "nbg1",
                "labels": {"managed_by": "ppscale"},
                "cloud": {"provider": provider, "server_id": str(4000000 + i),
                          "server_type": t[0], "hourly_cost_eur": t[2],
                          "created_at": "2026-11-27T%02d:%02d:00Z"
                          % (rng.randrange(24), rng.randrange(60))}}
    node["containers"] = [
        {"id": "mc-%d-%d" % (i, j), "ram_mb": rng.choice(sizes),
         "state": rng.choice(states), "players": rng.randrange(20)}
        for j in range(per_node[i])]
    out.write(json.dumps(node, separators=(",", ":")))
    out.write(",\n" if i + 1 < nodes_n else "\n")
out.write("]}\n")
