#!/usr/bin/env python3
"""platform_player.py - plays the hosting platform against a ppscale registry.

The platform is what places game servers on nodes; in the end-to-end tests
(t/9xxx) it follows a load curve between pipeline cycles and carries out
pp-drain's moves.  Python 3 stdlib only.  Every write takes the registry's
lock the way the tools do (flock(2) on "<registry>.lock", exclusive), writes
a temporary file, fsyncs it and renames it over the registry.

  platform_player.py follow REGISTRY TARGET_MB SEED
        start, restart, stop and remove game servers until the RAM they hold
        is near TARGET_MB; prints what it did as JSON
  platform_player.py move REGISTRY SERVER FROM TO
        the drain.move_command hook: moves SERVER from node FROM to node TO
        (a ready node), exit 0; exit 0 too when it is on TO already, 1 when
        it is on neither or TO is not ready.  With PLATFORM_RECORDS_MOVES=0
        it only checks and leaves the recording to pp-drain.  Every call is
        appended to "<registry>.moves" as a JSON line.

Game servers hold their ram_mb while starting, running or stopping; a
stopped one holds none, but stays on its node (its world lives there) until
the platform removes it.  New game servers are 1 to 6 GB (the tests pin
cx33 cloud nodes: 7680 MB usable), placed best fit (the ready node with the
least free RAM that fits; ties in registry order) on ready nodes only, never
on a draining or provisioning one, and on a warm spare (role spare) only
when nothing else has room.  Ids are gs-1, gs-2, ... kept in
"<registry>.platform" so that two runs of the same day name them alike.
"""

import fcntl
import json
import os
import random
import sys
import tempfile

HOLDING = ("starting", "running", "stopping")
SIZES_MB = [1024, 2048, 2048, 3072, 4096, 4096, 6144]
KEEP_STOPPED = 2
# stop game servers only this far above the target, or every cycle would
# start one and stop another
SLACK_MB = 3072


def held(c):
    return c.get("ram_mb", 0) if c.get("state") in HOLDING else 0


def free_mb(n):
    return (n["total_ram_mb"] - n.get("reserved_ram_mb", 0)
            - sum(held(c) for c in n.get("containers", [])))


class Locked:
    """The registry under its exclusive lock: .reg to change, save()."""

    def __init__(self, path):
        self.path = path
        self.fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        with open(path) as f:
            self.reg = json.load(f)

    def save(self):
        d = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".platform.")
        with os.fdopen(fd, "w") as f:
            json.dump(self.reg, f, indent=1)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, self.path)

    def close(self):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def next_id(path):
    side = path + ".platform"
    n = 1
    if os.path.exists(side):
        with open(side) as f:
            n = json.load(f)["next_id"]
    with open(side + ".tmp", "w") as f:
        json.dump({"next_id": n + 1}, f)
    os.rename(side + ".tmp", side)
    return "gs-%d" % n


def best_fit(nodes, need):
    """The ready node with the least free RAM that fits; warm spares
    (role spare) only when no other node has room: they are there for
    rushes."""
    for spares in (False, True):
        best = fit_among([n for n in nodes
                          if (n.get("role") == "spare") == spares], need)
        if best:
            return best
    return None


def fit_among(nodes, need):
    best = None
    for n in nodes:
        if n.get("status") != "ready":
            continue
        room = free_mb(n)
        if room >= need and (best is None or room < free_mb(best)):
            best = n
    return best


def join(path, running):
    """The agents of the provisioning cloud nodes whose server runs (ids
    in running) join: the conductor marks those nodes ready, as the
    agent's /api/nodes/NODE/ready call would.  Returns their ids."""
    out = []
    with Locked(path) as L:
        for n in L.reg["nodes"]:
            sid = str((n.get("cloud") or {}).get("server_id"))
            if (n.get("kind") == "cloud" and n.get("status") ==
                    "provisioning" and sid in running):
                n["status"] = "ready"
                out.append(n["id"])
        if out:
            L.save()
    return out


def follow(path, target, seed):
    """Brings the held RAM near target; returns what it did."""
    rng = random.Random(seed)
    out = {"target_mb": target, "started": [], "restarted": [],
           "stopped": [], "removed": [], "refused": 0}
    with Locked(path) as L:
        nodes = L.reg["nodes"]
        alloc = sum(held(c) for n in nodes for c in n.get("containers", []))
        # up: restart a stopped one where its world is, now and then,
        # else start a new one
        while alloc < target:
            again = [(n, c) for n in nodes if n.get("status") == "ready"
                     for c in n.get("containers", [])
                     if c.get("state") == "stopped"
                     and free_mb(n) >= c["ram_mb"]]
            if again and rng.random() < 0.3:
                n, c = again[0]
                c["state"] = "running"
                c["players"] = rng.randint(1, 8)
                out["restarted"].append(c["id"])
                alloc += c["ram_mb"]
                continue
            size = rng.choice(SIZES_MB)
            n = best_fit(nodes, size)
            if n is None:
                # a full fleet turns players away: that is the count
                # the tests look at, not an error here
                out["refused"] += 1
                if out["refused"] >= 3:
                    break
                continue
            cid = next_id(path)
            n.setdefault("containers", []).append(
                {"id": cid, "ram_mb": size, "state": "running",
                 "players": rng.randint(1, 8), "image": "paper-1.21"})
            out["started"].append(cid)
            alloc += size
        # down: game servers stop when their players leave: the emptiest
        # first, ties at random
        while alloc > target + SLACK_MB:
            running = [c for n in nodes for c in n.get("containers", [])
                       if c.get("state") in HOLDING
                       and alloc - c["ram_mb"] >= target]
            if not running:
                break
            fewest = min(c.get("players", 0) for c in running)
            c = rng.choice([c for c in running
                            if c.get("players", 0) == fewest])
            c["state"] = "stopped"
            c["players"] = 0
            out["stopped"].append(c["id"])
            alloc -= c["ram_mb"]
        # owners delete old stopped game servers; a few stay
        stopped = [(n, c) for n in nodes for c in n.get("containers", [])
                   if c.get("state") == "stopped"]
        stopped.sort(key=lambda nc: int(nc[1]["id"].split("-")[1]))
        for n, c in stopped[:max(0, len(stopped) - KEEP_STOPPED)]:
            n["containers"].remove(c)
            out["removed"].append(c["id"])
        L.save()
    out["allocated_mb"] = alloc
    return out


def move(path, server, src, dst):
    records = os.environ.get("PLATFORM_RECORDS_MOVES", "1") != "0"
    with Locked(path) as L:
        nodes = {n["id"]: n for n in L.reg["nodes"]}
        to = nodes.get(dst)
        where = [n for n in L.reg["nodes"]
                 if any(c["id"] == server for c in n.get("containers", []))]
        entry = {"server": server, "from": src, "to": dst}
        if where and where[0]["id"] == dst:
            status, entry["result"] = 0, "already there"
        elif not to or to.get("status") != "ready":
            status, entry["result"] = 1, "target not ready"
        elif not where or where[0]["id"] != src:
            status, entry["result"] = 1, "not on the source"
        elif held(next(c for c in where[0]["containers"]
                       if c["id"] == server)) > free_mb(to):
            status, entry["result"] = 1, "no room on the target"
        else:
            status, entry["result"] = 0, "moved"
            if records:
                c = next(c for c in where[0]["containers"]
                         if c["id"] == server)
                where[0]["containers"].remove(c)
                to.setdefault("containers", []).append(c)
                L.save()
            else:
                entry["result"] = "moved (pp-drain records it)"
        with open(path + ".moves", "a") as f:
            f.write(json.dumps(entry) + "\n")
    return status


def main(argv):
    if len(argv) == 5 and argv[1] == "follow":
        print(json.dumps(follow(argv[2], int(argv[3]), argv[4])))
        return 0
    if len(argv) == 6 and argv[1] == "move":
        return move(*argv[2:])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
