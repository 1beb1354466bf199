#!/usr/bin/env python3
"""day.py - drives a scripted stretch of days through the whole pipeline.

  day.py SCENARIO OUTDIR

SCENARIO has one phase a line (# starts a comment):

  FROM                  TO                    EVERY  LOAD_FROM  LOAD_TO
  2026-11-26T16:00:00Z  2026-11-26T17:00:00Z  2m     30000      52000

A cycle runs at FROM, then every EVERY (s, m or h) while before TO; the
load (MB of RAM held by game servers) goes linearly from LOAD_FROM to
LOAD_TO across the phase.  Each cycle:

  1. the platform (platform_player.py) starts and stops game servers to follow
     the load;
  2. with the Hetzner provider, the fake's clock is set to the cycle's time
     (its servers are "created" then);
  3. pp-fleetstats | pp-decide | pp-drain | pp-provision run, each with
     --now set to the cycle's time; with Hetzner the platform then marks
     ready the nodes whose server runs (their agents joined; the local
     provider marks its own);
  4. the invariants are checked, and every violation is recorded:
     - every tool exits 0;
     - the servers carrying managed_by=ppscale in the cloud (the fake's, or
       the local provider's file) are exactly the registry's cloud nodes;
     - the pipeline neither loses nor invents a game server: the set of
       game server ids after the pipeline is the set before it (a game
       server on a deleted node would vanish with it);
     - a deleted server's node is gone from the registry, and its server
       from the cloud;
     - game servers are only on ready or draining nodes;
     - pp-fleetstats' reconciliation finds no orphan and no lost node.

The environment gives PATH (the tools first), PP_CONFIG, PP_STATE_DIR and,
for the Hetzner provider, FAKE_CTL.  OUTDIR gets cycles.jsonl (one record a
cycle, node ids replaced by c1, c2, ... in order of first appearance, so
that two runs with different server names compare), summary.json and, per
cycle with a non-empty stderr, stderr/TIME.txt, and names.json (c1 -> the
real node id).
"""

import json
import os
import re
import subprocess
import sys
import urllib.request
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import platform_player  # noqa: E402

TOOLS = ["pp-fleetstats", "pp-decide", "pp-drain", "pp-provision"]


def parse_time(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc)


def fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_every(s):
    m = re.fullmatch(r"(\d+)([smh])", s)
    if not m:
        raise SystemExit("day.py: bad interval '%s'" % s)
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2)]


def cycles(path):
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if not line:
                continue
            t0, t1 = parse_time(line[0]), parse_time(line[1])
            every = parse_every(line[2])
            l0, l1 = int(line[3]), int(line[4])
            span = (t1 - t0).total_seconds()
            t = t0
            while t < t1:
                frac = (t - t0).total_seconds() / span
                yield t, int(l0 + (l1 - l0) * frac)
                t += timedelta(seconds=every)


def load_json(path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def ctl(method, path, body=None):
    req = urllib.request.Request(
        os.environ["FAKE_CTL"] + path, method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


class Day:
    def __init__(self, outdir):
        self.state = os.environ["PP_STATE_DIR"]
        self.reg = os.path.join(self.state, "registry.json")
        self.provider = "hetzner" if os.environ.get("FAKE_CTL") else "local"
        self.out = outdir
        os.makedirs(os.path.join(outdir, "stderr"), exist_ok=True)
        self.canon = {}
        self.deleted = set()
        self.records = []

    def name(self, node):
        if node is None:
            return None
        if node.startswith("ded-"):
            return node
        if node not in self.canon:
            self.canon[node] = "c%d" % (len(self.canon) + 1)
        return self.canon[node]

    def cloud_servers(self):
        """Ids of the servers in the cloud that carry our label."""
        if self.provider == "hetzner":
            servers = ctl("GET", "/state")["servers"]
        else:
            servers = load_json(os.path.join(self.state, "cloud.json"),
                                {"servers": []})["servers"]
        return sorted(str(s["id"]) for s in servers
                      if (s.get("labels") or {}).get("managed_by")
                      == "ppscale")

    def pipeline(self, now):
        env = dict(os.environ)
        procs, errs = [], []
        prev = subprocess.DEVNULL
        for i, tool in enumerate(TOOLS):
            args = [tool, "--now", now]
            if i == 0:
                args.append("--reconcile")
            ef = open(os.path.join(self.out, "stderr", ".%s" % tool), "w+")
            p = subprocess.Popen(args, stdin=prev, stdout=subprocess.PIPE,
                                 stderr=ef, env=env)
            if i:
                prev.close()
            prev = p.stdout
            procs.append(p)
            errs.append(ef)
        doc = prev.read()
        prev.close()
        rcs = [p.wait() for p in procs]
        text = ""
        for tool, ef in zip(TOOLS, errs):
            ef.seek(0)
            t = ef.read()
            ef.close()
            if t:
                text += "".join("%s\n" % ln for ln in t.splitlines())
        if text:
            with open(os.path.join(self.out, "stderr", now + ".txt"),
                      "w") as f:
                f.write(text)
        try:
            doc = json.loads(doc)
        except ValueError:
            doc = None
        return rcs, doc

    def cycle(self, t, load):
        now = fmt(t)
        viol = []
        plat = platform_player.follow(self.reg, load, now)
        before = load_json(self.reg)
        held_before = {c["id"] for n in before["nodes"]
                       for c in n.get("containers", [])}
        if self.provider == "hetzner":
            ctl("POST", "/config", {"clock": now})
        rcs, doc = self.pipeline(now)
        if self.provider == "hetzner":
            # the agents of the servers that run now join within the
            # cycle (the local provider plays this part itself)
            platform_player.join(self.reg, {
                str(x["id"]) for x in ctl("GET", "/state")["servers"]
                if x.get("status") == "running"})
        after = load_json(self.reg)
        if any(rcs):
            viol.append("exit statuses %s" % rcs)
        if doc is None:
            viol.append("no document on stdout")
            doc = {}
        # the cloud and the registry agree
        cloud = self.cloud_servers()
        reg_ids = sorted(n["cloud"]["server_id"] for n in after["nodes"]
                         if n.get("kind") == "cloud")
        if cloud != reg_ids:
            viol.append("cloud servers %s != registry cloud nodes %s"
                        % (cloud, reg_ids))
        back = set(cloud + reg_ids) & self.deleted
        if back:
            viol.append("deleted servers %s are back" % sorted(back))
        held_after = {c["id"] for n in after["nodes"]
                      for c in n.get("containers", [])}
        if held_after != held_before:
            viol.append("game servers lost %s, appeared %s" % (
                sorted(held_before - held_after),
                sorted(held_after - held_before)))
        for n in after["nodes"]:
            if n.get("containers") and n["status"] not in ("ready",
                                                           "draining"):
                viol.append("game servers on %s node %s" % (n["status"],
                                                            n["id"]))
        prov = doc.get("provision") or {}
        for s in prov.get("servers") or []:
            if s.get("op") == "delete" and s.get("status") in ("deleted",
                                                               "removed"):
                self.deleted.add(str(s.get("server_id")))
                if any(n["id"] == s.get("node") for n in after["nodes"]):
                    viol.append("deleted node %s still registered"
                                % s.get("node"))
                if str(s.get("server_id")) in cloud:
                    viol.append("deleted server %s still in the cloud"
                                % s.get("server_id"))
        rec = doc.get("reconciliation") or {}
        if rec.get("status") != "ok":
            viol.append("reconciliation %s" % rec.get("status"))
        if rec.get("orphans") or rec.get("lost"):
            viol.append("reconciliation: orphans %s, lost %s" % (
                [o.get("server_id") for o in rec.get("orphans") or []],
                [x.get("node") for x in rec.get("lost") or []]))
        for n in before["nodes"] + after["nodes"]:
            if n.get("kind") == "cloud":
                self.name(n["id"])
        dec = doc.get("decision") or {}
        drain = doc.get("drain")
        target = next((n for n in before["nodes"]
                       if n["id"] == dec.get("node")), None)
        r = {
            "now": now, "target_mb": load,
            "allocated_mb": (doc.get("fleet") or {}).get("allocated_ram_mb"),
            "capacity_percent": (doc.get("fleet") or {}).get(
                "capacity_percent"),
            "platform": {k: (len(v) if isinstance(v, list) else v)
                         for k, v in plat.items()},
            "decision": {"action": dec.get("action"),
                         "policy": dec.get("policy"),
                         "count": dec.get("count"),
                         "server_type": dec.get("server_type"),
                         "role": dec.get("role"),
                         "node": self.name(dec.get("node")),
                         "reason": dec.get("reason")},
            # the decision's node as the pipeline found it
            "node_before": None if target is None else {
                "status": target["status"], "role": target.get("role"),
                "containers": len(target.get("containers") or []),
                "running": sum(1 for c in target.get("containers") or []
                               if c.get("state") != "stopped")},
            "drain": None if drain is None else {
                "node": self.name(drain.get("node")),
                "status": drain.get("status"),
                "moved": len(drain.get("moved") or []),
                "waiting": len(drain.get("waiting") or []),
                "remaining": drain.get("remaining")},
            "provision": None if not prov else {
                "status": prov.get("status"),
                "servers": [{"op": s.get("op"),
                             "node": self.name(s.get("node")),
                             "status": s.get("status")}
                            for s in prov.get("servers") or []]},
            "cloud": [{"node": self.name(n["id"]), "status": n["status"],
                       "role": n.get("role"),
                       "containers": len(n.get("containers") or [])}
                      for n in after["nodes"] if n.get("kind") == "cloud"],
            "rc": rcs,
            "violations": viol,
        }
        self.records.append(r)
        return r

    def run(self, scenario):
        with open(os.path.join(self.out, "cycles.jsonl"), "w") as f:
            for t, load in cycles(scenario):
                r = self.cycle(t, load)
                f.write(json.dumps(r) + "\n")
                f.flush()
        summary = {
            "provider": self.provider,
            "cycles": len(self.records),
            "violations": [{"now": r["now"], "what": v}
                           for r in self.records for v in r["violations"]],
            "actions": [dict(r["decision"], now=r["now"])
                        for r in self.records
                        if r["decision"]["action"] not in (None, "none")],
            "refused_starts": sum(r["platform"]["refused"]
                                  for r in self.records),
        }
        with open(os.path.join(self.out, "names.json"), "w") as f:
            json.dump({v: k for k, v in self.canon.items()}, f, indent=1)
            f.write("\n")
        with open(os.path.join(self.out, "summary.json"), "w") as f:
            json.dump(summary, f, indent=1)
            f.write("\n")
        return summary


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    s = Day(argv[2]).run(argv[1])
    print(json.dumps({"cycles": s["cycles"],
                      "violations": len(s["violations"]),
                      "actions": len(s["actions"])}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
