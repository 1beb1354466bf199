#!/usr/bin/env python3
"""fakehcloud - a stateful fake of the Hetzner Cloud API v1 for the tests.

Python 3 stdlib only.  Listens on 127.0.0.1 only.  It serves the part of the
API ppscale and the `hcloud` CLI use, under /v1:

  GET    /v1/servers            ?name= ?label_selector= ?status= ?sort=
                                ?page= ?per_page= (default 25, max 50)
  POST   /v1/servers            201 {server, action, next_actions,
                                     root_password}; next_actions:
                                start_server (unless start_after_create
                                is false), one attach_to_network per
                                network and one apply_firewall per
                                firewall the body names
  GET    /v1/servers/{id}
  GET    /v1/servers/{id}/actions  ?status= (repeatable: running,
                                success, error) ?sort= ?page= ?per_page=
                                {actions, meta}; a look is a poll of
                                each.  As the API reference and
                                hcloud-go's ActionListOpts (id, status,
                                sort): no filter by command, so a
                                ?command= is not one (ignored)
  POST   /v1/servers/{id}/actions/poweron
                                201 {action} (command start_server): an
                                "off" server runs when it succeeds, stays
                                "off" when it fails; 423 locked while
                                another action runs on the server
  DELETE /v1/servers/{id}       200 {action}, the server "deleting"
                                until it is done; 423 protected when
                                the server has delete protection, 423
                                locked while an action (its delete)
                                runs on it
  PUT    /v1/servers/{id}       {"name", "labels"} (either): 200 {server};
                                labels given replace them all
  POST   /v1/servers/{id}/actions/change_protection
                                {"delete", "rebuild"} (either or both;
                                the API wants them equal, so one given
                                sets both, two that differ answer 422
                                invalid_input): 201 {action}; the
                                server's protection changes at once
  GET    /v1/actions            ?id=1&id=2 (paginated); without an id
                                410 deprecated_api_endpoint (removed
                                2025-01-30)
  GET    /v1/actions/{id}
  GET    /v1/server_types[/{id}]  ?name=
  GET    /v1/images[/{id}]        ?name= ?architecture= ?type=
                                  ?include_deprecated= (?name= without
                                  ?architecture= answers x86 images
                                  only).  The list leaves a deprecated
                                  image out unless include_deprecated
                                  is "true" (a boolean, default false,
                                  in the API reference's GET /images;
                                  "true" and "false" as hcloud-go and
                                  the CLI send it, any other value 400
                                  invalid_input, the fake's own
                                  strictness): a name look-up without
                                  it finds no deprecated image
                                  (hcloud-go PR #199, closed unmerged:
                                  GetByName does not send it; #147
                                  added IncludeDeprecated to
                                  ImageListOpts; terraform-provider-
                                  hcloud issue #685 and PR #717).
                                  GET /images/{id} answers a deprecated
                                  image as is
  GET    /v1/locations[/{id}]     ?name=
  GET    /v1/pricing              currency, vat_rate, primary_ips (the
                                  IPv4 each server gets is billed apart),
                                  server_backup, server_types
  GET    /v1/ssh_keys[/{id}]      (always empty)
  GET    /v1/datacenters[...]     410 deprecated_api_endpoint, as the real
                                  API since 2026-10-01

Every /v1 answer carries RateLimit-Limit, RateLimit-Remaining and
RateLimit-Reset (UNIX time when the budget is full again).  Every non-2xx
answer is {"error": {"code", "message", "details"}}.  A request without the
right "Authorization: Bearer TOKEN" gets 401 unauthorized, and costs budget
as every request does on the real API (DESIGN section 8).

Actions (create_server, start_server, delete_server) start as "running" and
report "success" at their Nth poll (N = action_polls, default 1; 0 means
already finished in the answer that created them).  A poll is a GET of
/actions/{id} or a GET /actions?id= list that includes the action; a
GET /servers/{id} of a server still initializing also polls its create
action.  When create_server succeeds the server goes from "initializing" to
status_after_create ("running"; "off" when start_after_create was false).
A status_after_create "off" is the server some users of the API report
(cluster-api-provider-hetzner, kube-hetzner): every action of its create
succeeded, yet it stays off until someone powers it on.
A DELETE leaves the server "deleting" (still listed, with its labels)
until its delete_server action is done, as the API does; then it is gone
(404).  While that action runs, another DELETE or action on the server is
refused with 423 locked.  action_polls 0 ends the action in its own
answer, so the server is gone at once.

With action_seconds > 0 (POST /_fake/config) actions finish by time, as
the real API's do, and polls do not hurry them: each runs action_seconds
after the one before it on the same server, its progress growing with
the time.  A created server is "initializing" while create_server runs,
"starting" while its start_server runs, then "running"; a DELETE of a
server with an action running is refused with 423 locked ("there is
already an action running", as the API documents), and an accepted one
leaves the server "deleting" until its delete_server is done.
A create action made to fail leaves the server behind with status "off".
POST /servers checks, in this order: JSON body (400 json_error), required
name/server_type/image, hostname, label syntax, user_data <= 32768 bytes,
known type, location and image, type sold in the location (cx23 in ash
is not) (all 422 invalid_input with details.fields), type orderable there
(412 resource_unavailable: cx22 everywhere, cpx22 in sin), name unique
(409 uniqueness_error), server limit (403 resource_limit_exceeded).
Catalog: cx22 (deprecated: top-level and in every location, available
nowhere, the API's word once Hetzner stopped selling it; unavailable
after 2026-01-16T06:00: GET /server_types lists it only while the fake's
time, config "clock" or its own, is before that, as the API documents;
GET /server_types/{id} and its servers still show it), cx32 (deprecated
at the top level only, "deprecated": true, locations[].deprecation null,
still available in fsn1 nbg1 hel1: what the API served for cx22..cx52
between the announcement of 2025-10-16 and their end of 2025-12-31, and
the shape hcloud-go's deprecationutil reads as "deprecated in all
locations and will no longer be available for order as of" the date;
announced 2026-10-16T06:00, unavailable after 2027-01-16T06:00, listed
until then as cx22), cx23, cx33,
cx43 (EU only), cpx22 (all six locations; deprecated in hil only, in
locations[].deprecation, still orderable there), cax11 (Arm, EU only);
locations fsn1 nbg1 hel1 ash hil sin;
images debian-12, debian-13, ubuntu-22.04, ubuntu-24.04 for x86 and arm.

What hcloud CLI 1.30.3 asks (t/3001-fake-hcloud-cli.bats):
  server-type list   GET /server_types?per_page=50&sort=id:asc
  server-type describe N
                     GET /server_types?name=N (its text shows no
                     deprecation, its -o json the answer as is)
  server create      GET /images?name=debian-12, POST /servers (image as an
                     id), GET /actions?id=CREATE&page=1,
                     GET /actions/START, GET /servers/{id}
  server list -l S   GET /servers?label_selector=S&page=1&per_page=50
                     &sort=id:asc
  server describe N  GET /servers?name=N
  server delete N    GET /servers?name=N, DELETE /servers/{id} (no wait)
  image list         GET /images?include_deprecated=true&page=1
                     &per_page=50&sort=id:asc[&type=T]
  image describe N   GET /images?name=N (no include_deprecated: a
                     deprecated N is "image not found"), by id
                     GET /images/{id}
  server create of a deprecated image: GET /images?name=N, then
                     GET /images?include_deprecated=true&name=N&page=1;
                     refused unless --allow-deprecated-image

Options:
  --port N             port to bind (default 0: a free one)
  --port-file FILE     write the bound port here (atomically) once listening
  --token TOKEN        accepted bearer token (or env FAKE_HCLOUD_TOKEN,
                       then HCLOUD_TOKEN; default "fake-token")
  --parent-pid PID     exit when this process is gone (polled 4 times a second)
  --idle-timeout S     exit after S seconds without any request (default 300)
  --action-polls N     polls until an action finishes (default 1)
  --rate-limit N       request budget (default 3600)
  --rate-refill R      budget refilled per second (default 1)
  --server-limit N     project server limit (default none)
  --verbose            log each request to stderr

Environment:
  FAKE_HCLOUD_SKEW=S   the "skew" (whole seconds, see /_fake/config) the fake
                       starts with and a reset returns to (default 0): its
                       own clock S seconds off this host's.  For showing
                       that no test depends on today's date: run the tests
                       that do not pin the fake's clock with it years ahead,
                       e.g. FAKE_HCLOUD_SKEW=$((20 * 365 * 86400)) (the
                       fake's catalog dates then all lie behind it).  A
                       test that sets "skew" itself replaces it.

Control interface (no auth, JSON bodies, not under /v1, not rate limited,
not in the request log).  Faults apply only to requests that passed the
token check and the rate limit:

  GET  /_fake/health       {"ok": true, "pid": N, "port": N}
  POST /_fake/reset        back to the start: no servers, actions, faults or
                           log; config and rate budget as given on the
                           command line (skew: FAKE_HCLOUD_SKEW's)
  GET  /_fake/config       current config
  POST /_fake/config       change any of: {"action_polls": N,
                           "action_seconds": S (0: by polls),
                           "server_limit": N|null, "rate_limit": N,
                           "rate_refill": R, "rate_remaining": N,
                           "idle_timeout": S, "status_after_create": "running",
                           "clock": "2026-11-27T18:00:00Z"|null,
                           "skew": S,
                           "deprecations": {"cx43": {"fsn1": DEP|null}},
                           "type_deprecations": {"cx43": DEP|null|true},
                           "placement_group_limit": N,
                           "ipv4_priced": false,
                           "image_deprecations": {"debian-12": TIME|null},
                           "images_removed": ["ubuntu-22.04"],
                           "image_statuses": {"debian-12": "creating"},
                           "withdrawn": {"cx23": ["nbg1"]}}
                           withdrawn: locations a type is no longer sold
                           in: gone from its locations[] in
                           GET /server_types and from the datacenters'
                           supported and available lists, and a create
                           there is refused as for a type never sold
                           there (422 invalid_input "unsupported
                           location for server type", details.fields
                           location: the API's message, trellis-cli
                           issue 622; its HTTP status and details are
                           not documented, the fake's are a guess);
                           image_deprecations: an image's "deprecated"
                           (RFC 3339, both architectures; null: not
                           deprecated), the time it is "considered to
                           be deprecated" (API reference), as
                           hcloud-go's Image.IsDeprecated reads it: it
                           still makes servers, GET /images lists it
                           only with include_deprecated=true, GET
                           /images/{id} shows it; images_removed: gone
                           from the API, as a deprecated system image
                           is in the end: not listed, GET /images/{id}
                           404, a create naming it 422 invalid_input
                           ("image not found"), its servers still
                           showing it; image_statuses: an image's
                           "status" (both architectures; "available",
                           the default, "creating" or "unavailable", as
                           the API reference lists them), shown by the
                           list, which filters on it, and by
                           GET /images/{id}; a create naming an image
                           not available is refused with 422
                           invalid_input ("image is not available": the
                           API's answer is not documented, the fake's
                           is a guess);
                           placement_group_limit: the servers one placement
                           group holds (10, Hetzner's default: the next
                           create naming the group is refused with
                           placement_group_member_limit_reached, the code
                           the API gives, terraform-provider-hcloud issue
                           1170; its HTTP status is not documented, the
                           fake's 422 is a guess); ipv4_priced false
                           leaves the IPv4 out of GET /pricing;
                           deprecations set server_types[].locations[]
                           .deprecation (DEP: {"announced",
                           "unavailable_after"}) per type and location,
                           the top-level one untouched;
                           type_deprecations set a type's top-level
                           deprecation (DEP, with "deprecated" true; null:
                           neither; true: the legacy boolean alone, with
                           no deprecation object, a shape the API is not
                           known to serve), the locations' untouched;
                           clock, when set, is the time the fake puts into
                           "created", "started" and "finished" instead of
                           its own clock (so a test driven by --now sees
                           servers created at its time); null: real time;
                           skew: seconds the fake's own clock is off this
                           host's (negative: behind), in its Date header
                           (every answer has one, as the API's do),
                           RateLimit-Reset and the times clock leaves to it;
                           answers the new config
  GET  /_fake/faults       pending faults;  DELETE /_fake/faults  clears them
  POST /_fake/faults       add one fault (or {"faults": [...]}); answers it
                           with its "id".  Fault fields:
        "method": "POST"          match this method (default: any)
        "path": "/servers"        match a /v1 path prefix, without /v1
                                  (default: any)
        "server_type", "location" match only a POST /servers whose body
                                  names this type / location
        "skip": N                 let the first N matching requests pass
        "count": N                then apply to the next N (default 1;
                                  0 = every matching request until cleared)
      and its effect, one or more of:
        "status": 503             answer this status with an error body;
        "code", "message", "details"   (code defaults from the status:
                                  412 resource_unavailable,
                                  429 rate_limit_exceeded, 500 server_error,
                                  502 bad_gateway, 503 unavailable, ...;
                                  a create refused at once for its
                                  location: 422 "placement_error",
                                  412 "resource_unavailable" with
                                  "error during placement")
                                  A 429 says what the real API says when
                                  the budget is spent: RateLimit-Remaining
                                  0 and RateLimit-Reset the time the budget
                                  is full again (now + rate_limit /
                                  rate_refill: an hour by default), not
                                  when the next request is possible (about
                                  a second).  "reset" is refused: no real
                                  answer has a short reset.
        "slow": S                 sleep S seconds first (then answer
                                  normally, or with "status"); a reset
                                  during the sleep drops the request
                                  unanswered and undone, so that a
                                  client that gave up on it before the
                                  reset cannot create a server in the
                                  next test's fresh state
        "drop": true              close the connection without an answer,
                                  the request not acted on: lost before
                                  the API took it (a power-on that never
                                  started anything)
        "garble_after": true      process the request as usual, then
                                  answer its status with the first half
                                  of its JSON body only (a complete
                                  answer, Content-Length and all, that
                                  does not parse: a broken proxy's)
        "set_after": {"PATH": V}  process the request as usual, then answer
                                  with each dotted PATH of its JSON set to
                                  V (a number component indexes a list:
                                  "servers.0.id", "next_actions.0.id",
                                  "meta.pagination.next_page"): an answer
                                  no real API gives (an id beyond 64
                                  bits, 1.5, null), for the client's
                                  checks
        "drop_after": true        process the request as usual (a create
                                  creates, a delete deletes), then close
                                  the connection without its answer: the
                                  answer lost on the way back
        "delete_after": true      process the request as usual, then,
                                  before its answer goes out, start a
                                  delete of the server its path names
                                  (/servers/{id}...) as someone else (a
                                  person, another run) would: a delete
                                  begun between this answer and the
                                  client's next request (the answer
                                  shows the server as it was).  Not in
                                  the request log; its action polled by
                                  no one, so by polls the server stays
                                  "deleting" and a DELETE of it answers
                                  423 locked (action_polls 0: gone at
                                  once, a DELETE answers 404)
        "action_error": {"code": "...", "message": "..."}
                                  (or true) the create_server, delete_server
                                  or (poweron) start_server action made by
                                  the matching request ends in status
                                  "error" (default path: any request that
                                  makes such an action); a create's
                                  start_server that fails leaves its
                                  server "off"
        "action_command": "apply_firewall"
                                  with action_error on a create: the last
                                  of its actions with this command fails
                                  instead of its create_server
        "action_lost": true       the actions made by the matching
                                  request (a create's create_server and
                                  start_server) are gone from the API:
                                  GET /actions?id= leaves them out, GET
                                  /actions/ID answers 404 not_found
                                  (default path: any request that makes
                                  actions)
  GET    /_fake/log        {"requests": [{"seq", "time", "method", "path"
                           (without /v1), "query" (raw), "auth" (true when
                           the bearer token was right), "status" (0 when
                           dropped), "fault" (fault id or null), "body"
                           (parsed JSON or null)}]}.  Never holds the token.
  DELETE /_fake/log        clear the log
  GET    /_fake/state      {"servers": [...full objects...], "actions": [...]}
  PUT    /_fake/state      {"servers": [SPEC...]} replace all servers
                           (actions are kept)
  POST   /_fake/actions/{id}/finish
                           ends a running action now, as its time or
                           its last poll would: 200 {action}; 404 no
                           such action, 409 it is not running.  For a
                           test that holds a server with a long action
                           (action_seconds) and ends it when it is
                           ready, not when a clock says
  POST   /_fake/servers    {"servers": [SPEC...]} add servers; answers
                           {"servers": [...]}.  SPEC is a partial server:
                           name (default "server-ID"), id, server_type
                           (name, default cx23), location (default nbg1),
                           image (default debian-12), status (default
                           running), labels, created (RFC 3339), ipv4,
                           protection ({"delete": true}: a DELETE answers
                           423 protected, as the API documents), or a
                           full server object as /_fake/state gives it.

Typical use from bats: see t/test_helper/fakehcloud.bash (fake_start,
fake_stop, fake_ctl).
"""

import argparse
import copy
import decimal
import json
import os
import re
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

USER_DATA_MAX = 32 * 1024
CHANGELOG = "https://docs.hetzner.cloud/changelog"

# --------------------------------------------------------------------------
# The catalog

LOCATIONS = [
    # id, name, description, country, city, lat, lon, network zone, dc
    (1, "fsn1", "Falkenstein DC Park 1", "DE", "Falkenstein",
     50.47612, 12.370071, "eu-central", (4, "fsn1-dc14")),
    (2, "nbg1", "Nuremberg DC Park 1", "DE", "Nuremberg",
     49.452102, 11.076665, "eu-central", (2, "nbg1-dc3")),
    (3, "hel1", "Helsinki DC Park 1", "FI", "Helsinki",
     60.169855, 24.938379, "eu-central", (3, "hel1-dc2")),
    (4, "ash", "Ashburn, VA", "US", "Ashburn, VA",
     39.045821, -77.487073, "us-east", (5, "ash-dc1")),
    (5, "hil", "Hillsboro, OR", "US", "Hillsboro, OR",
     45.54222, -122.951924, "us-west", (6, "hil-dc1")),
    (6, "sin", "Singapore", "SG", "Singapore",
     1.283333, 103.833333, "ap-southeast", (7, "sin-dc1")),
]
EU = ("fsn1", "nbg1", "hel1")
ALL = ("fsn1", "nbg1", "hel1", "ash", "hil", "sin")

TB = 1024 ** 4

# name: id, description, cores, memory GB, disk GB, cpu_type, arch,
#       {location: (monthly net EUR, available, recommended[, deprecation])},
#       deprecation (the top-level one: the whole type's, "no longer
#       available for order as of" its unavailable_after, orderable until
#       then; a location's deprecation defaults to it, None leaves it out).
#       Since 2025-09 a type's end in some locations only is announced per
#       location (cpx22's in hil); a whole type's still at the top level
#       too (CX Gen 2 and CPX Gen 1 in 2025-10, sold until 2025-12-31)
SERVER_TYPES = [
    ("cx22", 22, "CX22", 2, 4.0, 40, "shared", "x86",
     {l: ("3.7900", False, False) for l in EU},
     {"announced": "2025-10-16T06:00:00+00:00",
      "unavailable_after": "2026-01-16T06:00:00+00:00"}),
    ("cx32", 23, "CX32", 4, 8.0, 80, "shared", "x86",
     {l: ("6.8000", True, False, None) for l in EU},
     {"announced": "2026-10-16T06:00:00+00:00",
      "unavailable_after": "2027-01-16T06:00:00+00:00"}),
    ("cx23", 104, "CX23", 2, 4.0, 40, "shared", "x86",
     {"fsn1": ("2.9900", True, True), "nbg1": ("2.9900", True, True),
      "hel1": ("2.9900", True, False)}, None),
    ("cx33", 105, "CX33", 4, 8.0, 80, "shared", "x86",
     {"fsn1": ("4.9900", True, True), "nbg1": ("4.9900", True, True),
      "hel1": ("4.9900", True, False)}, None),
    ("cx43", 106, "CX43", 8, 16.0, 160, "shared", "x86",
     {"fsn1": ("8.9900", True, True), "nbg1": ("8.9900", True, True),
      "hel1": ("8.9900", True, False)}, None),
    ("cpx22", 108, "CPX22", 2, 4.0, 80, "shared", "x86",
     {"fsn1": ("5.9900", True, True), "nbg1": ("5.9900", True, True),
      "hel1": ("5.9900", True, True), "ash": ("7.9900", True, True),
      "hil": ("7.9900", True, False,
              {"announced": "2026-10-01T06:00:00+00:00",
               "unavailable_after": "2027-01-01T06:00:00+00:00"}),
      "sin": ("9.9900", False, False)},
     None),
    ("cax11", 45, "CAX11", 2, 4.0, 40, "shared", "arm",
     {"fsn1": ("3.7900", True, True), "nbg1": ("3.7900", True, True),
      "hel1": ("3.7900", True, True)}, None),
]

# name, os_flavor, os_version, x86 id, arm id, created
IMAGES = [
    ("debian-12", "debian", "12", 114690387, 114690389,
     "2023-06-13T06:00:02+00:00"),
    ("debian-13", "debian", "13", 310557660, 310557661,
     "2025-08-18T06:21:01+00:00"),
    ("ubuntu-22.04", "ubuntu", "22.04", 67794396, 103908070,
     "2022-04-21T13:32:38+00:00"),
    ("ubuntu-24.04", "ubuntu", "24.04", 161547269, 161547270,
     "2024-04-25T15:26:27+00:00"),
]

DEFAULT_CODES = {
    400: "invalid_input", 401: "unauthorized", 403: "forbidden",
    404: "not_found", 405: "method_not_allowed", 409: "conflict",
    410: "deprecated_api_endpoint", 412: "resource_unavailable",
    422: "invalid_input",
    423: "locked", 429: "rate_limit_exceeded", 500: "server_error",
    502: "bad_gateway", 503: "unavailable", 504: "timeout",
}


# the control interface's "clock": a fixed time for timestamps, or None;
# SKEW: seconds the fake's own clock is off the host's (config "skew")
CLOCK = [None]
SKEW = [0]


def wall():
    """The fake's own clock: this host's, off by the configured skew."""
    return time.time() + SKEW[0]


def now_iso(t=None):
    if t is None and CLOCK[0]:
        return CLOCK[0]
    if t is None:
        t = wall()
    return datetime.fromtimestamp(int(t), timezone.utc).isoformat()


def money(net):
    d = decimal.Decimal(net)
    q = decimal.Decimal("0.0000000001")
    return {"net": str(d.quantize(q)),
            "gross": str((d * decimal.Decimal("1.19")).quantize(q))}


def location_obj(loc):
    (lid, name, desc, country, city, lat, lon, zone, _dc) = loc
    return {"id": lid, "name": name, "description": desc,
            "country": country, "city": city, "latitude": lat,
            "longitude": lon, "network_zone": zone}


def build_server_types():
    out = []
    for (name, tid, desc, cores, mem, disk, cpu, arch, locs,
         dep) in SERVER_TYPES:
        prices = []
        tlocs = []
        for loc in LOCATIONS:
            lname = loc[1]
            if lname not in locs:
                continue
            monthly, avail, rec = locs[lname][:3]
            ldep = locs[lname][3] if len(locs[lname]) > 3 else dep
            hourly = (decimal.Decimal(monthly) / 624).quantize(
                decimal.Decimal("0.0001"), rounding=decimal.ROUND_UP)
            traffic = 20 * TB if lname in EU else 1 * TB
            prices.append({
                "location": lname,
                "price_hourly": money(hourly),
                "price_monthly": money(monthly),
                "included_traffic": traffic,
                "price_per_tb_traffic": money("1.0000"),
            })
            tlocs.append({"id": loc[0], "name": lname,
                          "deprecation": ldep, "available": avail,
                          "recommended": rec})
        out.append({
            "id": tid, "name": name, "description": desc,
            "cores": cores, "memory": mem, "disk": disk,
            "deprecated": dep is not None, "deprecation": dep,
            "prices": prices, "storage_type": "local", "cpu_type": cpu,
            "category": "cost_optimized" if name.startswith("cx")
            else "regular_purpose",
            "architecture": arch, "included_traffic": 20 * TB,
            "locations": tlocs,
        })
    return out


def build_images():
    out = []
    for (name, flavor, ver, x86id, armid, created) in IMAGES:
        for arch, iid in (("x86", x86id), ("arm", armid)):
            out.append({
                "id": iid, "type": "system", "status": "available",
                "name": name, "description": "%s %s" % (
                    flavor.capitalize(), ver),
                "image_size": None, "disk_size": 5, "created": created,
                "created_from": None, "bound_to": None,
                "os_flavor": flavor, "os_version": ver,
                "rapid_deploy": True, "protection": {"delete": False},
                "deprecated": None, "deleted": None, "labels": {},
                "architecture": arch})
    return out


SERVER_TYPE_LIST = build_server_types()
IMAGE_LIST = build_images()

# A primary IPv4 is billed apart from its server since 2022: every server
# created with the default public_net gets one (and a free IPv6), and
# pays for it on its own line (0.50 EUR a month net in the fake, capped
# as servers are, 0.0008 an hour).
IPV4_MONTHLY = "0.5000"


def build_pricing():
    hourly = (decimal.Decimal(IPV4_MONTHLY) / 625).quantize(
        decimal.Decimal("0.0001"), rounding=decimal.ROUND_UP)
    names = [loc[1] for loc in LOCATIONS]
    return {"pricing": {
        "currency": "EUR", "vat_rate": "19.00",
        "primary_ips": [
            {"type": "ipv4", "prices": [
                {"location": n, "price_hourly": money(hourly),
                 "price_monthly": money(IPV4_MONTHLY)} for n in names]},
            {"type": "ipv6", "prices": [
                {"location": n, "price_hourly": money("0"),
                 "price_monthly": money("0")} for n in names]}],
        "server_backup": {"percentage": "20.00"},
        "server_types": [{"id": st["id"], "name": st["name"],
                          "prices": st["prices"]}
                         for st in SERVER_TYPE_LIST]}}


PRICING = build_pricing()
LOCATION_LIST = [location_obj(l) for l in LOCATIONS]


def find_location(name):
    for l in LOCATIONS:
        if l[1] == name or str(l[0]) == str(name):
            return l
    return None


def find_location_by_dc(name):
    for l in LOCATIONS:
        if l[8][1] == name or str(l[8][0]) == str(name):
            return l
    return None


def find_server_type(key):
    for st in SERVER_TYPE_LIST:
        if st["name"] == key or str(st["id"]) == str(key):
            return st
    return None


def find_image(key, arch, images=None):
    images = IMAGE_LIST if images is None else images
    for im in images:
        if str(im["id"]) == str(key):
            return im
    for im in images:
        if im["name"] == key and im["architecture"] == arch:
            return im
    return None


def served_images(fake):
    """The images with the control interface's image_deprecations set
    and its images_removed left out."""
    dep = fake.config.get("image_deprecations") or {}
    gone = set(fake.config.get("images_removed") or [])
    status = fake.config.get("image_statuses") or {}
    if not dep and not gone and not status:
        return IMAGE_LIST
    out = []
    for im in IMAGE_LIST:
        if im["name"] in gone:
            continue
        if im["name"] in dep:
            im = dict(im, deprecated=dep[im["name"]])
        if im["name"] in status:
            im = dict(im, status=status[im["name"]])
        out.append(im)
    return out


def datacenter_obj(fake, loc):
    types = served_types(fake)
    ids = [st["id"] for st in types
           if any(tl["name"] == loc[1] for tl in st["locations"])]
    avail = [st["id"] for st in types
             if any(tl["name"] == loc[1] and tl["available"]
                    for tl in st["locations"])]
    return {"id": loc[8][0], "name": loc[8][1],
            "description": "%s virtual DC" % loc[2],
            "location": location_obj(loc),
            "server_types": {"supported": ids, "available": avail,
                             "available_for_migration": avail}}


# --------------------------------------------------------------------------
# Labels

LABEL_NAME = r"[a-zA-Z0-9](?:[a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?"
LABEL_PREFIX = (r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
                r"(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)")
LABEL_KEY_RE = re.compile(r"^(?:%s/)?%s$" % (LABEL_PREFIX, LABEL_NAME))
LABEL_VALUE_RE = re.compile(r"^(?:%s)?$" % LABEL_NAME)
HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")


def label_errors(labels):
    if not isinstance(labels, dict):
        return ["labels must be an object"]
    errs = []
    for k, v in labels.items():
        if not isinstance(k, str) or not LABEL_KEY_RE.match(k) \
                or len(k.split("/")[0]) > 253:
            errs.append("invalid label key '%s'" % k)
        elif k.startswith("hetzner.cloud/"):
            # "The hetzner.cloud/ prefix is reserved and cannot be used"
            errs.append("label key prefix 'hetzner.cloud/' is reserved")
        if not isinstance(v, str) or not LABEL_VALUE_RE.match(v):
            errs.append("invalid label value '%s'" % v)
    return errs


class SelectorError(Exception):
    pass


def split_selector(sel):
    parts, depth, cur = [], 0, ""
    for c in sel:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                raise SelectorError("unbalanced parentheses")
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    if depth != 0:
        raise SelectorError("unbalanced parentheses")
    parts.append(cur)
    return [p.strip() for p in parts]


SET_RE = re.compile(r"^(\S+)\s+(in|notin)\s*\((.*)\)$")
CMP_RE = re.compile(r"^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$")


def parse_selector(sel):
    """Return a list of (key, op, values) terms; raise SelectorError."""
    terms = []
    for p in split_selector(sel):
        if p == "":
            raise SelectorError("empty expression")
        m = SET_RE.match(p)
        if m:
            vals = [v.strip() for v in m.group(3).split(",")]
            terms.append((m.group(1), m.group(2), vals))
        elif CMP_RE.match(p):
            m = CMP_RE.match(p)
            op = "=" if m.group(2) == "==" else m.group(2)
            terms.append((m.group(1), op, [m.group(3)]))
        elif p.startswith("!"):
            terms.append((p[1:].strip(), "!exists", []))
        else:
            terms.append((p, "exists", []))
    for (k, op, vals) in terms:
        if not LABEL_KEY_RE.match(k):
            raise SelectorError("invalid label key '%s'" % k)
        for v in vals:
            if not LABEL_VALUE_RE.match(v):
                raise SelectorError("invalid label value '%s'" % v)
    return terms


def selector_matches(terms, labels):
    for (k, op, vals) in terms:
        has = k in labels
        v = labels.get(k)
        if op == "=" and not (has and v == vals[0]):
            return False
        if op == "!=" and has and v == vals[0]:
            return False
        if op == "exists" and not has:
            return False
        if op == "!exists" and has:
            return False
        if op == "in" and not (has and v in vals):
            return False
        if op == "notin" and has and v in vals:
            return False
    return True


# --------------------------------------------------------------------------
# State


class ApiError(Exception):
    def __init__(self, status, code=None, message="", details=None,
                 headers=None):
        Exception.__init__(self, message)
        self.status = status
        self.code = code or DEFAULT_CODES.get(status, "error")
        self.message = message
        self.details = details
        self.headers = headers or {}


def field_error(status, code, message, field, msgs=None):
    f = {"name": field}
    if msgs is not None:
        f["messages"] = msgs
    return ApiError(status, code, message, {"fields": [f]})


class Fake:
    def __init__(self, args, start_skew=0):
        self.args = args
        self.start_skew = start_skew
        self.lock = threading.RLock()
        self.last_activity = time.monotonic()
        self.reset()

    def reset(self):
        a = self.args
        with self.lock:
            self.config = {
                "action_polls": a.action_polls,
                "action_seconds": 0,
                "server_limit": a.server_limit,
                "rate_limit": a.rate_limit,
                "rate_refill": a.rate_refill,
                "idle_timeout": a.idle_timeout,
                "status_after_create": "running",
                "clock": None,
                "skew": self.start_skew,
                "deprecations": {},
                "type_deprecations": {},
                "placement_group_limit": 10,
                "ipv4_priced": True,
                "image_deprecations": {},
                "images_removed": [],
                "image_statuses": {},
                "withdrawn": {},
            }
            CLOCK[0] = None
            SKEW[0] = self.start_skew
            self.budget = float(a.rate_limit)
            self.budget_at = time.monotonic()
            self.servers = {}
            self.actions = {}
            self.faults = []
            self.log = []
            self.next_server_id = 5000001
            self.next_action_id = 9000001
            self.next_fault_id = 1
            self.next_log_seq = 1
            self.ip_seq = 0
            # requests in flight across a reset are dropped (see "slow")
            self.generation = getattr(self, "generation", 0) + 1

    # -- rate limit --------------------------------------------------------

    def _refill(self):
        t = time.monotonic()
        lim = float(self.config["rate_limit"])
        self.budget = min(lim, self.budget + (t - self.budget_at)
                          * float(self.config["rate_refill"]))
        self.budget_at = t

    def rate_headers(self):
        with self.lock:
            self._refill()
            lim = self.config["rate_limit"]
            rem = int(self.budget)
            refill = float(self.config["rate_refill"])
            missing = lim - self.budget
            if missing <= 0:
                reset = int(wall())
            elif refill <= 0:
                reset = int(wall()) + 3600
            else:
                reset = int(wall() + missing / refill + 0.999)
            return {"RateLimit-Limit": str(lim),
                    "RateLimit-Remaining": str(rem),
                    "RateLimit-Reset": str(reset)}

    def take_budget(self):
        with self.lock:
            self._refill()
            if self.budget < 1:
                return False
            self.budget -= 1
            return True

    # -- faults ------------------------------------------------------------

    def add_fault(self, spec):
        if not isinstance(spec, dict):
            raise ApiError(400, "invalid_input", "fault must be an object")
        f = dict(spec)
        f.setdefault("count", 1)
        f.setdefault("skip", 0)
        if not any(k in f for k in ("status", "slow", "drop", "drop_after",
                                    "garble_after", "set_after",
                                    "delete_after", "action_error",
                                    "action_lost")):
            raise ApiError(400, "invalid_input",
                           "fault needs status, slow, drop, drop_after, "
                           "garble_after, set_after, delete_after, "
                           "action_error or action_lost")
        if "set_after" in f and not isinstance(f["set_after"], dict):
            raise ApiError(400, "invalid_input",
                           "set_after must be an object of paths")
        if "reset" in f:
            raise ApiError(400, "invalid_input",
                           "fault field reset is gone: a 429's "
                           "RateLimit-Reset is when the budget is full "
                           "again, as the real API sends it")
        if "method" in f:
            f["method"] = str(f["method"]).upper()
        with self.lock:
            f["id"] = self.next_fault_id
            self.next_fault_id += 1
            f["hits"] = 0
            self.faults.append(f)
            return f

    def _fault_matches(self, f, method, path, body):
        if "method" in f and f["method"] != method:
            return False
        if "path" in f and not path.startswith(f["path"]):
            return False
        if "server_type" in f or "location" in f:
            if method != "POST" or path.rstrip("/") != "/servers" \
                    or not isinstance(body, dict):
                return False
            if "server_type" in f and \
                    str(body.get("server_type")) != f["server_type"]:
                return False
            if "location" in f and \
                    str(body.get("location")) != f["location"]:
                return False
        return True

    def _consume(self, kind_ok, method, path, body):
        with self.lock:
            for f in list(self.faults):
                if not kind_ok(f):
                    continue
                if not self._fault_matches(f, method, path, body):
                    continue
                if f["skip"] > 0:
                    f["skip"] -= 1
                    continue
                f["hits"] += 1
                if f["count"] > 0:
                    f["count"] -= 1
                    if f["count"] == 0:
                        self.faults.remove(f)
                return copy.deepcopy(f)
        return None

    def request_fault(self, method, path, body):
        """A fault that acts on the request itself (not on the actions
        it makes)."""
        return self._consume(lambda f: "action_error" not in f and
                             "action_lost" not in f, method, path, body)

    def action_fault(self, method, path, body):
        return self._consume(lambda f: "action_error" in f or
                             "action_lost" in f, method, path, body)

    # -- log ---------------------------------------------------------------

    def log_request(self, entry):
        with self.lock:
            entry["seq"] = self.next_log_seq
            self.next_log_seq += 1
            self.log.append(entry)
            if len(self.log) > 10000:
                del self.log[:1000]

    # -- actions -----------------------------------------------------------

    def new_action(self, command, server_id, error=None, more=None):
        aid = self.next_action_id
        self.next_action_id += 1
        a = {"id": aid, "command": command, "status": "running",
             "progress": 0, "started": now_iso(), "finished": None,
             "resources": [{"id": server_id, "type": "server"}] +
             (more or []),
             "error": None,
             "_polls": 0, "_need": int(self.config["action_polls"]),
             "_error": error}
        secs = float(self.config.get("action_seconds") or 0)
        if secs > 0:
            # by time, as the real API: no poll hurries it; a
            # start_server runs after the create_server before it
            after = [x["_due"] for x in self.actions.values()
                     if x["status"] == "running" and "_due" in x and
                     x["resources"][0]["id"] == server_id]
            a["_t0"] = max([time.monotonic()] + after)
            a["_due"] = a["_t0"] + secs
        self.actions[aid] = a
        if a["_need"] <= 0 and "_due" not in a:
            self._finish(a)
        return a

    def tick(self):
        """Finishes the actions that run by time and are due, in order,
        and moves their progress on."""
        t = time.monotonic()
        for a in sorted(self.actions.values(), key=lambda x: x["id"]):
            if a["status"] != "running" or "_due" not in a:
                continue
            if t >= a["_due"]:
                self._finish(a)
            elif t > a["_t0"]:
                a["progress"] = int(100 * (t - a["_t0"]) /
                                    (a["_due"] - a["_t0"]))

    def busy(self, server_id):
        """The action running on a server, or None (actions by time,
        and a delete_server by polls: by polls a start_server nobody
        polls would run forever, but a server being deleted takes no
        other action in either mode)."""
        for a in self.actions.values():
            if a["status"] == "running" and \
                    ("_due" in a or a["command"] == "delete_server") and \
                    a["resources"][0]["id"] == server_id:
                return a
        return None

    def _finish(self, a):
        a["finished"] = now_iso()
        a["progress"] = 100
        if a["_error"]:
            a["status"] = "error"
            a["error"] = a["_error"]
        else:
            a["status"] = "success"
        srv_id = a["resources"][0]["id"]
        s = self.servers.get(srv_id)
        if a["command"] == "create_server" and s is not None \
                and s["status"] == "initializing":
            if a["status"] == "success" and "_start_action" in s and \
                    self.actions[s["_start_action"]]["status"] == \
                    "running" and "_due" in a:
                # by time: the start_server runs next
                s["status"] = "starting"
            elif a["status"] == "success":
                s["status"] = s.pop("_status_after", "running")
            else:
                s.pop("_status_after", None)
                s["status"] = "off"
        elif a["command"] == "start_server" and s is not None \
                and s.get("_powering") == a["id"]:
            # a poweron: running, or still off when it failed
            s.pop("_powering")
            s["status"] = "running" if a["status"] == "success" \
                else "off"
        elif a["command"] == "start_server" and s is not None \
                and a["status"] == "error" \
                and s.get("_start_action") == a["id"]:
            # a create's start that failed leaves the server off
            s.pop("_status_after", None)
            s["status"] = "off"
        elif a["command"] == "start_server" and s is not None \
                and s["status"] == "starting" and "_status_after" in s:
            # (by polls the create_server set status_after_create
            # already: a "starting" asked for stays)
            s["status"] = s.pop("_status_after")
        elif a["command"] == "delete_server" and s is not None \
                and a["status"] == "success":
            # the server was "deleting" until now
            self.servers.pop(srv_id, None)
        elif a["command"] == "delete_server" and a["status"] == "error" \
                and s is not None:
            s["status"] = s.pop("_status_before", "running")

    def poll(self, a):
        if a["status"] != "running" or "_due" in a:
            return
        a["_polls"] += 1
        if a["_polls"] >= a["_need"]:
            self._finish(a)
        else:
            a["progress"] = int(100 * a["_polls"] / a["_need"])

    @staticmethod
    def public_action(a):
        return {k: v for k, v in a.items() if not k.startswith("_")}

    # -- servers -----------------------------------------------------------

    def next_ip(self):
        n = self.ip_seq
        self.ip_seq += 1
        net = "198.51.100." if (n // 254) % 2 == 0 else "203.0.113."
        return net + str(n % 254 + 1), n

    def make_server(self, spec):
        """A full server object from a partial SPEC (seeding or create)."""
        if "server_type" in spec and isinstance(spec["server_type"], dict) \
                and "public_net" in spec:
            s = copy.deepcopy(spec)
            if "id" not in s:
                s["id"] = self.next_server_id
            self.next_server_id = max(self.next_server_id, s["id"] + 1)
            return s
        sid = int(spec.get("id") or self.next_server_id)
        self.next_server_id = max(self.next_server_id, sid + 1)
        st = find_server_type(spec.get("server_type", "cx23"))
        if st is None:
            raise ApiError(400, "invalid_input", "unknown server_type")
        loc = find_location(spec.get("location", "nbg1"))
        if loc is None:
            raise ApiError(400, "invalid_input", "unknown location")
        img = find_image(spec.get("image", "debian-12"), st["architecture"])
        ip, n = self.next_ip()
        if spec.get("ipv4"):
            ip = spec["ipv4"]
        enable4 = spec.get("enable_ipv4", True)
        enable6 = spec.get("enable_ipv6", True)
        private = []
        for net in spec.get("networks") or []:
            private.append({"network": net, "ip": "10.0.%d.%d" % (
                (n // 250) % 250, n % 250 + 2), "alias_ips": [],
                "mac_address": "86:00:00:%02x:%02x:%02x" % (
                    (n >> 16) & 255, (n >> 8) & 255, n & 255)})
        return {
            "id": sid,
            "name": spec.get("name") or "server-%d" % sid,
            "status": spec.get("status", "running"),
            "created": spec.get("created") or now_iso(),
            "public_net": {
                "ipv4": {"id": 80000000 + n, "ip": ip, "blocked": False,
                         "dns_ptr": "static.%s.clients.your-server.de"
                         % ".".join(reversed(ip.split(".")))}
                if enable4 else None,
                "ipv6": {"id": 90000000 + n,
                         "ip": "2001:db8:%x::/64" % (n + 1),
                         "blocked": False, "dns_ptr": []}
                if enable6 else None,
                "floating_ips": [], "firewalls": [
                    {"id": fw.get("firewall") if isinstance(fw, dict)
                     else fw, "status": "applied"}
                    for fw in spec.get("firewalls") or []],
            },
            "private_net": private,
            "server_type": copy.deepcopy(st),
            "datacenter": datacenter_obj(self, loc),
            "location": location_obj(loc),
            "image": copy.deepcopy(img),
            "iso": None,
            "rescue_enabled": False,
            "locked": False,
            "backup_window": None,
            "outgoing_traffic": 0,
            "ingoing_traffic": 0,
            "included_traffic": 20 * TB if loc[1] in EU else TB,
            # the API keeps delete and rebuild equal
            "protection": {"delete": bool((spec.get("protection") or {})
                                          .get("delete")),
                           "rebuild": bool((spec.get("protection") or {})
                                           .get("delete"))},
            "labels": dict(spec.get("labels") or {}),
            "volumes": [],
            "load_balancers": [],
            "primary_disk_size": st["disk"],
            "placement_group": self.placement_group(
                spec.get("placement_group")),
        }

    @staticmethod
    def placement_group(pg):
        """The server object's placement_group, its members filled in by
        public_server (they change as servers come and go)."""
        if pg is None:
            return None
        return {"id": pg, "name": "pg-%d" % pg, "labels": {},
                "type": "spread", "servers": [],
                "created": "2026-01-01T00:00:00+00:00"}

    def group_members(self, pg):
        return sorted(x["id"] for x in self.servers.values()
                      if (x.get("placement_group") or {}).get("id") == pg)

    def public_server(self, s):
        out = {k: v for k, v in s.items() if not k.startswith("_")}
        if out.get("placement_group"):
            out["placement_group"] = dict(out["placement_group"])
            out["placement_group"]["servers"] = self.group_members(
                out["placement_group"]["id"])
        return out


# --------------------------------------------------------------------------
# API handlers


def apply_sort(items, q):
    """?sort=field[:asc|:desc], repeatable; the first is the main key."""
    items = sorted(items, key=lambda x: x["id"])
    for srt in reversed(q.get("sort", [])):
        field, _, order = srt.partition(":")
        if order not in ("", "asc", "desc"):
            raise ApiError(400, "invalid_input", "invalid sort '%s'" % srt)
        if items and field in items[0] and \
                not isinstance(items[0][field], (dict, list)):
            items.sort(key=lambda x: (x[field] is None, x[field]),
                       reverse=(order == "desc"))
    return items


def page_of(items, q, key):
    def intarg(name, default):
        vals = q.get(name)
        if not vals:
            return default
        try:
            v = int(vals[-1])
        except ValueError:
            raise ApiError(400, "invalid_input",
                           "invalid value for '%s'" % name)
        if v < 1:
            raise ApiError(400, "invalid_input",
                           "invalid value for '%s'" % name)
        return v
    page = intarg("page", 1)
    per_page = min(intarg("per_page", 25), 50)
    total = len(items)
    last = max(1, (total + per_page - 1) // per_page)
    chunk = items[(page - 1) * per_page: page * per_page]
    return {key: chunk, "meta": {"pagination": {
        "page": page, "per_page": per_page,
        "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if page < last else None,
        "last_page": last, "total_entries": total}}}


def one(q, name):
    v = q.get(name)
    return v[-1] if v else None


def api_servers_list(fake, q):
    items = [fake.public_server(s) for s in fake.servers.values()]
    name = one(q, "name")
    if name is not None:
        items = [s for s in items if s["name"] == name]
    sel = one(q, "label_selector")
    if sel:
        try:
            terms = parse_selector(sel)
        except SelectorError as e:
            raise ApiError(400, "invalid_input",
                           "invalid label_selector: %s" % e)
        items = [s for s in items if selector_matches(terms, s["labels"])]
    statuses = q.get("status")
    if statuses:
        items = [s for s in items if s["status"] in statuses]
    items = apply_sort(items, q)
    return 200, page_of(items, q, "servers")


def api_servers_create(fake, body, method, path):
    if not isinstance(body, dict):
        raise ApiError(400, "json_error", "request body must be a JSON object")
    for f in ("name", "server_type", "image"):
        if body.get(f) in (None, ""):
            raise field_error(422, "invalid_input",
                              "invalid input in field '%s'" % f, f,
                              ["Missing data for required field."])
    name = body["name"]
    if not isinstance(name, str) or not HOSTNAME_RE.match(name):
        raise field_error(422, "invalid_input",
                          "invalid input in field 'name'", "name",
                          ["Name must be a valid hostname."])
    errs = label_errors(body.get("labels") or {})
    if errs:
        raise field_error(422, "invalid_input",
                          "invalid input in field 'labels'", "labels", errs)
    ud = body.get("user_data")
    if ud is not None:
        if not isinstance(ud, str):
            raise field_error(422, "invalid_input",
                              "invalid input in field 'user_data'",
                              "user_data", ["Not a valid string."])
        if len(ud.encode("utf-8")) > USER_DATA_MAX:
            raise field_error(422, "invalid_input",
                              "invalid input in field 'user_data'",
                              "user_data",
                              ["Length must be between 0 and 32768."])
    check_refs(body)
    st = find_server_type(body["server_type"])
    if st is not None:
        # as served now: a location withdrawn since is not sold there
        st = next(x for x in served_types(fake) if x["id"] == st["id"])
    if st is None:
        raise field_error(422, "invalid_input",
                          "server type %s not found" % body["server_type"],
                          "server_type", ["server type not found"])
    if body.get("location"):
        loc = find_location(body["location"])
        if loc is None:
            raise field_error(422, "invalid_input",
                              "location %s not found" % body["location"],
                              "location", ["location not found"])
    elif body.get("datacenter"):
        loc = find_location_by_dc(body["datacenter"])
        if loc is None:
            raise field_error(422, "invalid_input",
                              "datacenter %s not found" % body["datacenter"],
                              "datacenter", ["datacenter not found"])
    else:
        loc = None
        for tl in st["locations"]:
            if tl["available"]:
                loc = find_location(tl["name"])
                break
        if loc is None:
            raise ApiError(412, "resource_unavailable",
                           "server type %s is unavailable" % st["name"])
    img = find_image(body["image"], st["architecture"],
                     served_images(fake))
    if img is None:
        raise field_error(422, "invalid_input",
                          "image %s not found" % body["image"], "image",
                          ["image not found"])
    if img["architecture"] != st["architecture"]:
        raise field_error(422, "invalid_input",
                          "image architecture does not match server type",
                          "image", ["architecture mismatch"])
    if img["status"] != "available":
        raise field_error(422, "invalid_input",
                          "image %s is not available" % body["image"],
                          "image", ["image is not available"])
    tl = [x for x in st["locations"] if x["name"] == loc[1]]
    if not tl:
        raise field_error(422, "invalid_input",
                          "unsupported location for server type",
                          "location", ["unsupported location for server "
                                       "type"])
    if not tl[0]["available"]:
        raise ApiError(412, "resource_unavailable",
                       "server type %s is unavailable in %s"
                       % (st["name"], loc[1]))
    if any(s["name"] == name for s in fake.servers.values()):
        raise field_error(409, "uniqueness_error",
                          "server name is already used", "name")
    lim = fake.config["server_limit"]
    if lim is not None and len(fake.servers) >= int(lim):
        raise ApiError(403, "resource_limit_exceeded",
                       "server limit exceeded", {"limits": [
                           {"name": "server_limit"}]})
    pg = body.get("placement_group")
    if pg is not None:
        members = fake.group_members(pg)
        if len(members) >= int(fake.config["placement_group_limit"]):
            raise ApiError(422, "placement_group_member_limit_reached",
                           "placement group with ID %d contains already "
                           "%d servers" % (pg, len(members)))
    pn = body.get("public_net") or {}
    spec = {"name": name, "server_type": st["name"], "location": loc[1],
            "image": img["id"], "status": "initializing",
            "labels": body.get("labels") or {},
            "networks": body.get("networks"),
            "firewalls": body.get("firewalls"),
            "placement_group": pg,
            "enable_ipv4": pn.get("enable_ipv4", True),
            "enable_ipv6": pn.get("enable_ipv6", True)}
    s = fake.make_server(spec)
    start = body.get("start_after_create", True)
    s["_status_after"] = (fake.config["status_after_create"]
                          if start else "off")
    fake.servers[s["id"]] = s
    af = fake.action_fault(method, path, body)
    # the next_actions: start_server, then one attach_to_network per
    # network and one apply_firewall per firewall, as the API answers
    # a create that names them (hcloud-ruby pull request 72)
    todo = [("create_server", None)]
    if start:
        todo.append(("start_server", None))
    for net in body.get("networks") or []:
        todo.append(("attach_to_network", [{"id": net, "type": "network"}]))
    for fw in body.get("firewalls") or []:
        todo.append(("apply_firewall", [{"id": fw.get("firewall"),
                                         "type": "firewall"}]))
    # an action_error fault fails the create_server, or with
    # "action_command" the last action of that command
    want = (af or {}).get("action_command", "create_server")
    fail = max([i for i, t in enumerate(todo) if t[0] == want] or [-1])
    made = [fake.new_action(cmd, s["id"], action_error(af) if i == fail
                            else None, more)
            for i, (cmd, more) in enumerate(todo)]
    a, nxt = made[0], made[1:]
    if start:
        s["_start_action"] = nxt[0]["id"]
    if af and af.get("action_lost"):
        for x in [a] + nxt:
            x["_lost"] = True
            if "_due" not in x and x["status"] == "running":
                # by polls, nobody can poll it: it runs out on its own
                # with the next request, by time
                x["_t0"] = x["_due"] = time.monotonic()
    s["_create_action"] = a["id"]
    return 201, {"server": fake.public_server(s),
                 "action": fake.public_action(a),
                 "next_actions": [fake.public_action(x) for x in nxt],
                 "root_password": None if body.get("ssh_keys")
                 else "fAkE%06dPw" % (s["id"] % 1000000)}


def is_id(v):
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


def check_refs(body):
    """The types the API reference gives a create's references: ssh_keys
    are IDs (integer) or names (string), networks are IDs, firewalls are
    {"firewall": ID}, placement_group is an ID.  (The fake has no such
    resources, so it checks their types only: a number sent as a string
    is a name, not an ID.)"""
    def bad(field, msg):
        raise field_error(422, "invalid_input",
                          "invalid input in field '%s'" % field, field,
                          [msg])
    keys = body.get("ssh_keys")
    if keys is not None and (not isinstance(keys, list) or not all(
            is_id(k) or (isinstance(k, str) and k) for k in keys)):
        bad("ssh_keys", "Not a list of SSH key IDs or names.")
    nets = body.get("networks")
    if nets is not None and (not isinstance(nets, list) or
                             not all(is_id(n) for n in nets)):
        bad("networks", "Not a list of network IDs.")
    fws = body.get("firewalls")
    if fws is not None and (not isinstance(fws, list) or not all(
            isinstance(f, dict) and is_id(f.get("firewall")) for f in fws)):
        bad("firewalls", "Not a list of {\"firewall\": ID}.")
    pg = body.get("placement_group")
    if pg is not None and not is_id(pg):
        bad("placement_group", "Not a placement group ID.")


def action_error(f):
    """The error an action_error fault gives its action, or None."""
    if not f or "action_error" not in f:
        return None
    ae = f["action_error"]
    if not isinstance(ae, dict):
        ae = {}
    return {"code": ae.get("code", "action_failed"),
            "message": ae.get("message", "action failed")}


def get_server(fake, sid):
    try:
        s = fake.servers.get(int(sid))
    except ValueError:
        s = None
    if s is None:
        raise ApiError(404, "not_found",
                       "server with ID '%s' not found" % sid)
    return s


def api_server_get(fake, sid):
    s = get_server(fake, sid)
    if s["status"] == "initializing" and "_create_action" in s:
        a = fake.actions.get(s["_create_action"])
        if a is not None:
            fake.poll(a)
    return 200, {"server": fake.public_server(s)}


def refuse_if_busy(fake, s):
    """423 locked while an action runs on server s: the API takes one
    action on a server at a time (a delete, a power-on)."""
    busy = fake.busy(s["id"])
    if busy is not None:
        raise ApiError(423, "locked", "server %d is locked: action %d "
                       "(%s) is running" % (s["id"], busy["id"],
                                            busy["command"]))


def api_server_delete(fake, sid, method, path):
    s = get_server(fake, sid)
    if s["protection"].get("delete"):
        # for good: only a change_protection action lifts it
        raise ApiError(423, "protected", "server %d is delete protected"
                       % s["id"])
    refuse_if_busy(fake, s)
    return start_delete(fake, s, fake.action_fault(method, path, None))


def start_delete(fake, s, af):
    """A DELETE the API took: its delete_server action, the server
    deleting until it is done.  af: the action fault, or None."""
    # what a failed delete leaves it as (even one failed at once)
    s["_status_before"] = s["status"]
    a = fake.new_action("delete_server", s["id"], action_error(af))
    if af and af.get("action_lost"):
        a["_lost"] = True
        if "_due" not in a and a["status"] == "running":
            a["_t0"] = a["_due"] = time.monotonic()
    if a["status"] == "running":
        # "deleting", still listed with its labels, until its action
        # is done (then gone) or fails (then back as it was)
        s["status"] = "deleting"
    else:
        # action_polls 0: done (gone) or failed in its own answer
        s.pop("_status_before", None)
    return 200, {"action": fake.public_action(a)}


def api_server_update(fake, sid, body):
    """PUT /servers/{id}: its name and labels; "the set of Labels
    provided in the request will overwrite the existing one" (API
    reference), and a name must be unique and a valid hostname."""
    s = get_server(fake, sid)
    if not isinstance(body, dict):
        raise ApiError(400, "json_error", "the body is not a JSON object")
    name = body.get("name")
    if name is not None:
        if not isinstance(name, str) or not HOSTNAME_RE.match(name):
            raise field_error(422, "invalid_input",
                              "invalid input in field 'name'", "name",
                              ["Name must be a valid hostname."])
        if any(x["name"] == name and x["id"] != s["id"]
               for x in fake.servers.values()):
            raise ApiError(409, "uniqueness_error",
                           "server name '%s' is already used" % name)
    if "labels" in body:
        errs = label_errors(body["labels"])
        if errs:
            raise field_error(422, "invalid_input",
                              "invalid input in field 'labels'", "labels",
                              errs)
        s["labels"] = dict(body["labels"])
    if name is not None:
        s["name"] = name
    return 200, {"server": fake.public_server(s)}


def api_server_protection(fake, sid, body):
    """POST /servers/{id}/actions/change_protection: "delete and
    rebuild attribute needs to have the same value" (API reference), so
    one given sets both."""
    s = get_server(fake, sid)
    if not isinstance(body, dict):
        raise ApiError(400, "json_error", "the body is not a JSON object")
    given = {k: body[k] for k in ("delete", "rebuild") if k in body}
    bad = [k for k, v in given.items() if not isinstance(v, bool)]
    if bad or not given:
        raise ApiError(422, "invalid_input", "invalid input in field "
                       "'delete'", {"fields": [
                           {"name": k, "messages": ["must be a boolean"]}
                           for k in (bad or ["delete"])]})
    if len(set(given.values())) > 1:
        raise ApiError(422, "invalid_input", "delete and rebuild "
                       "protection must have the same value", {"fields": [
                           {"name": "rebuild", "messages": [
                               "must equal delete"]}]})
    v = next(iter(given.values()))
    s["protection"] = {"delete": v, "rebuild": v}
    a = fake.new_action("change_protection", s["id"])
    return 201, {"action": fake.public_action(a)}


def api_server_poweron(fake, sid, method, path):
    """POST /servers/{id}/actions/poweron: 201 {action} (command
    start_server); 423 locked while another action runs on it."""
    s = get_server(fake, sid)
    refuse_if_busy(fake, s)
    af = fake.action_fault(method, path, None)
    a = fake.new_action("start_server", s["id"], action_error(af))
    if a["status"] == "running":
        s["_powering"] = a["id"]
        if "_due" in a:
            s["status"] = "starting"
    elif a["status"] == "success":
        s["status"] = "running"
    return 201, {"action": fake.public_action(a)}


ACTION_STATUSES = ("running", "success", "error")


def api_server_actions(fake, sid, q):
    """GET /servers/{id}/actions: the server's actions, ?status=
    (repeatable) ?sort= ?page= ?per_page=; a look at them is a poll."""
    s = get_server(fake, sid)
    st = q.get("status") or []
    bad = [x for x in st if x not in ACTION_STATUSES]
    if bad:
        raise ApiError(400, "invalid_input", "invalid value for 'status'")
    items = [a for a in fake.actions.values() if not a.get("_lost") and
             any(r["type"] == "server" and r["id"] == s["id"]
                 for r in a["resources"])]
    for a in items:
        fake.poll(a)
    if st:
        items = [a for a in items if a["status"] in st]
    items = apply_sort([fake.public_action(a) for a in items], q)
    return 200, page_of(items, q, "actions")


def api_actions_list(fake, q):
    ids = q.get("id")
    if not ids:
        # listing arbitrary actions was removed on 2025-01-30
        raise ApiError(410, "deprecated_api_endpoint",
                       "API functionality was removed", {
                           "announcement": CHANGELOG +
                           "#2023-07-20-actions-list-endpoint-is-"
                           "deprecated"})
    try:
        want = [int(i) for i in ids]
    except ValueError:
        raise ApiError(400, "invalid_input", "invalid value for 'id'")
    items = [fake.actions[i] for i in sorted(set(want))
             if i in fake.actions and not fake.actions[i].get("_lost")]
    st = q.get("status")
    if st:
        items = [a for a in items if a["status"] in st]
    for a in items:
        fake.poll(a)
    return 200, page_of([fake.public_action(a) for a in items], q,
                        "actions")


def api_action_get(fake, aid):
    try:
        a = fake.actions.get(int(aid))
    except ValueError:
        a = None
    if a is None or a.get("_lost"):
        raise ApiError(404, "not_found",
                       "action with ID '%s' not found" % aid)
    fake.poll(a)
    return 200, {"action": fake.public_action(a)}


def served_types(fake):
    """The catalog with the deprecations the control interface added
    and without the locations it withdrew ("withdrawn": {"cx23":
    ["nbg1"]}):
    per location ("deprecations": {"cx43": {"fsn1": {...}|null}}), the
    top level untouched, and at the top level ("type_deprecations":
    {"cx43": {...}|null|true}: the deprecation object with "deprecated"
    true, none, or the legacy boolean alone), the locations untouched."""
    dep = fake.config.get("deprecations") or {}
    tdep = fake.config.get("type_deprecations") or {}
    gone = fake.config.get("withdrawn") or {}
    if not dep and not tdep and not gone:
        return SERVER_TYPE_LIST
    out = copy.deepcopy(SERVER_TYPE_LIST)
    for st in out:
        st["locations"] = [tl for tl in st["locations"]
                           if tl["name"] not in gone.get(st["name"], [])]
        for tl in st["locations"]:
            if tl["name"] in dep.get(st["name"], {}):
                tl["deprecation"] = dep[st["name"]][tl["name"]]
        if st["name"] in tdep:
            d = tdep[st["name"]]
            st["deprecated"] = d is not None
            st["deprecation"] = d if isinstance(d, dict) else None
    return out


def fake_time():
    """The fake's time now: config "clock" when set, else its own."""
    if CLOCK[0]:
        try:
            return datetime.fromisoformat(
                CLOCK[0].replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    return wall()


def listed_types(types):
    """What the list endpoint answers: a type past the unavailable_after
    of its (top-level) deprecation is no longer listed, as the API
    documents ("not available from the general listing endpoint");
    GET /server_types/{id} and the servers of that type still show it."""
    t = fake_time()
    out = []
    for st in types:
        ua = (st.get("deprecation") or {}).get("unavailable_after")
        if ua and datetime.fromisoformat(ua).timestamp() < t:
            continue
        out.append(st)
    return out


def catalog_list(items, q, key, filters):
    out = items
    for f in filters:
        v = q.get(f)
        if v:
            out = [x for x in out if str(x.get(f)) in v]
    return 200, page_of(apply_sort(out, q), q, key)


def catalog_get(items, ident, key, what):
    for x in items:
        if str(x["id"]) == ident:
            return 200, {key: x}
    raise ApiError(404, "not_found", "%s with ID '%s' not found"
                   % (what, ident))


def route_api(fake, method, path, q, body):
    fake.tick()
    parts = [p for p in path.split("/") if p]
    n = len(parts)
    if n == 0:
        raise ApiError(404, "not_found", "not found")
    res = parts[0]
    if res == "datacenters":
        raise ApiError(410, "deprecated_api_endpoint",
                       "API functionality was removed", {
                           "announcement": CHANGELOG +
                           "#2025-12-16-phasing-out-datacenters"})
    if method not in ("GET", "POST", "DELETE", "PUT"):
        raise ApiError(405, "method_not_allowed",
                       "the request method is not allowed")
    if res == "servers":
        if n == 1 and method == "GET":
            return api_servers_list(fake, q)
        if n == 1 and method == "POST":
            return api_servers_create(fake, body, method, path)
        if n == 2 and method == "GET":
            return api_server_get(fake, parts[1])
        if n == 2 and method == "DELETE":
            return api_server_delete(fake, parts[1], method, path)
        if n == 2 and method == "PUT":
            return api_server_update(fake, parts[1], body)
        if n == 4 and method == "POST" and parts[2] == "actions" and \
                parts[3] == "change_protection":
            return api_server_protection(fake, parts[1], body)
        if n == 4 and method == "POST" and parts[2] == "actions" and \
                parts[3] == "poweron":
            return api_server_poweron(fake, parts[1], method, path)
        if n == 3 and method == "GET" and parts[2] == "actions":
            return api_server_actions(fake, parts[1], q)
    elif res == "actions" and method == "GET":
        if n == 1:
            return api_actions_list(fake, q)
        if n == 2:
            return api_action_get(fake, parts[1])
    elif res == "server_types" and method == "GET":
        types = served_types(fake)
        if n == 1:
            return catalog_list(listed_types(types), q, "server_types",
                                ["name"])
        if n == 2:
            return catalog_get(types, parts[1], "server_type",
                               "server type")
    elif res == "images" and method == "GET":
        if n == 1:
            items = served_images(fake)
            inc = one(q, "include_deprecated")
            if inc not in (None, "true", "false"):
                raise ApiError(400, "invalid_input",
                               "invalid value for 'include_deprecated'")
            if inc != "true":
                # the API lists a deprecated image only when asked to
                items = [i for i in items if not i["deprecated"]]
            if q.get("name") and not q.get("architecture"):
                # a name without an architecture answers x86 images
                # only: CLI 1.30.3 asks so and predates Arm images
                items = [i for i in items if i["architecture"] == "x86"]
            return catalog_list(items, q, "images",
                                ["name", "architecture", "type", "status"])
        if n == 2:
            return catalog_get(served_images(fake), parts[1], "image",
                               "image")
    elif res == "locations" and method == "GET":
        if n == 1:
            return catalog_list(LOCATION_LIST, q, "locations", ["name"])
        if n == 2:
            return catalog_get(LOCATION_LIST, parts[1], "location",
                               "location")
    elif res == "pricing" and method == "GET" and n == 1:
        if fake.config["ipv4_priced"]:
            return 200, PRICING
        out = copy.deepcopy(PRICING)
        out["pricing"]["primary_ips"] = [
            x for x in out["pricing"]["primary_ips"] if x["type"] != "ipv4"]
        return 200, out
    elif res == "ssh_keys" and method == "GET":
        if n == 1:
            return catalog_list([], q, "ssh_keys", ["name"])
        if n == 2:
            return catalog_get([], parts[1], "ssh_key", "ssh key")
    raise ApiError(404, "not_found", "not found")


# --------------------------------------------------------------------------
# Control interface


def route_ctl(fake, method, path, body):
    p = path.rstrip("/")
    with fake.lock:
        if p == "/health" and method == "GET":
            return 200, {"ok": True, "pid": os.getpid(),
                         "port": fake.port}
        if p == "/reset" and method == "POST":
            fake.reset()
            return 200, {"ok": True}
        if p == "/config":
            if method == "POST":
                if not isinstance(body, dict):
                    raise ApiError(400, "invalid_input", "need an object")
                for k, v in body.items():
                    if k == "rate_remaining":
                        fake._refill()
                        fake.budget = float(v)
                    elif k == "clock" and v is not None and not (
                            isinstance(v, str) and re.match(
                                r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"
                                r"(Z|[+-]\d\d:\d\d)$", v)):
                        raise ApiError(400, "invalid_input",
                                       "clock must be RFC 3339 or null")
                    elif k == "image_deprecations" and not (
                            isinstance(v, dict) and all(
                                x is None or (isinstance(x, str) and
                                              re.match(r"\d{4}-\d\d-\d\dT",
                                                       x))
                                for x in v.values())):
                        raise ApiError(400, "invalid_input",
                                       "image_deprecations must map image "
                                       "names to RFC 3339 times or null")
                    elif k == "image_statuses" and not (
                            isinstance(v, dict) and all(
                                x in ("available", "creating",
                                      "unavailable")
                                for x in v.values())):
                        raise ApiError(400, "invalid_input",
                                       "image_statuses must map image "
                                       "names to available, creating "
                                       "or unavailable")
                    elif k == "images_removed" and not (
                            isinstance(v, list) and
                            all(isinstance(x, str) for x in v)):
                        raise ApiError(400, "invalid_input",
                                       "images_removed must list image "
                                       "names")
                    elif k == "withdrawn" and not (
                            isinstance(v, dict) and all(
                                isinstance(x, list) and
                                all(isinstance(y, str) for y in x)
                                for x in v.values())):
                        raise ApiError(400, "invalid_input",
                                       "withdrawn must map type names "
                                       "to lists of location names")
                    elif k == "skew" and (isinstance(v, bool) or
                                          not isinstance(v, int)):
                        raise ApiError(400, "invalid_input",
                                       "skew must be whole seconds")
                    elif k in fake.config:
                        fake.config[k] = v
                    else:
                        raise ApiError(400, "invalid_input",
                                       "unknown config key '%s'" % k)
                fake._refill()
                fake.budget = min(fake.budget,
                                  float(fake.config["rate_limit"]))
                CLOCK[0] = fake.config["clock"]
                SKEW[0] = fake.config["skew"]
            if method in ("GET", "POST"):
                out = dict(fake.config)
                fake._refill()
                out["rate_remaining"] = int(fake.budget)
                return 200, out
        if p == "/faults":
            if method == "GET":
                return 200, {"faults": fake.faults}
            if method == "DELETE":
                fake.faults = []
                return 200, {"faults": []}
            if method == "POST":
                if isinstance(body, dict) and "faults" in body:
                    return 200, {"faults": [fake.add_fault(f)
                                            for f in body["faults"]]}
                return 200, fake.add_fault(body)
        if p == "/log":
            if method == "GET":
                return 200, {"requests": fake.log}
            if method == "DELETE":
                fake.log = []
                return 200, {"requests": []}
        if p == "/state":
            if method == "GET":
                return 200, {
                    "servers": [fake.public_server(s) for s in
                                sorted(fake.servers.values(),
                                       key=lambda s: s["id"])],
                    "actions": [fake.public_action(a) for a in
                                sorted(fake.actions.values(),
                                       key=lambda a: a["id"])]}
            if method == "PUT":
                specs = (body or {}).get("servers", [])
                new = {}
                for spec in specs:
                    s = fake.make_server(spec)
                    new[s["id"]] = s
                fake.servers = new
                return 200, {"servers": [fake.public_server(s)
                                         for s in new.values()]}
        m = re.match(r"/actions/(\d+)/finish$", p)
        if m and method == "POST":
            a = fake.actions.get(int(m.group(1)))
            if a is None:
                raise ApiError(404, "not_found", "no action %s" %
                               m.group(1))
            if a["status"] != "running":
                raise ApiError(409, "conflict", "action %d is %s" %
                               (a["id"], a["status"]))
            fake._finish(a)
            return 200, {"action": fake.public_action(a)}
        if p == "/servers" and method == "POST":
            specs = (body or {}).get("servers", [])
            out = []
            for spec in specs:
                s = fake.make_server(spec)
                if any(x["name"] == s["name"] for x in
                       fake.servers.values()):
                    raise ApiError(409, "uniqueness_error",
                                   "server name '%s' is already used"
                                   % s["name"])
                fake.servers[s["id"]] = s
                out.append(fake.public_server(s))
            return 200, {"servers": out}
    raise ApiError(404, "not_found", "no control endpoint %s %s"
                   % (method, path))


# --------------------------------------------------------------------------
# HTTP


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakehcloud/1"

    def date_time_string(self, timestamp=None):
        # the Date header every answer carries, on the fake's own clock
        return super().date_time_string(
            wall() if timestamp is None else timestamp)

    def log_message(self, fmt, *args):
        if self.server.fake.args.verbose:
            sys.stderr.write("fakehcloud: %s\n" % (fmt % args))

    def do_GET(self):
        self.handle_any()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        if not raw:
            return raw, None, True
        try:
            return raw, json.loads(raw.decode("utf-8")), True
        except (ValueError, UnicodeDecodeError):
            return raw, None, False

    def send_json(self, status, obj, headers=None, half=False):
        data = b"" if obj is None else (
            json.dumps(obj, indent=2) + "\n").encode("utf-8")
        if half:
            data = data[:len(data) // 2]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_error_json(self, e, headers=None):
        h = dict(headers or {})
        h.update(e.headers)
        self.send_json(e.status, {"error": {
            "code": e.code, "message": e.message, "details": e.details}}, h)

    def drop(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def handle_any(self):
        fake = self.server.fake
        fake.last_activity = time.monotonic()
        url = urlsplit(self.path)
        raw, body, body_ok = self.read_body()
        if url.path.startswith("/_fake/") or url.path == "/_fake":
            try:
                if not body_ok:
                    raise ApiError(400, "json_error", "invalid JSON body")
                status, obj = route_ctl(fake, self.command,
                                        url.path[len("/_fake"):], body)
                self.send_json(status, obj)
            except ApiError as e:
                self.send_error_json(e)
            return
        if not (url.path == "/v1" or url.path.startswith("/v1/")):
            self.send_error_json(ApiError(404, "not_found", "not found"))
            return
        path = url.path[3:] or "/"
        q = parse_qs(url.query, keep_blank_values=True)
        auth = (self.headers.get("Authorization") or "") == \
            "Bearer " + fake.token
        entry = {"time": now_iso(), "method": self.command, "path": path,
                 "query": url.query, "auth": auth, "status": None,
                 "fault": None, "body": body}
        fake.log_request(entry)
        status = 0
        try:
            status = self.serve_api(fake, path, q, body, body_ok, auth,
                                    entry)
        finally:
            entry["status"] = status

    def serve_api(self, fake, path, q, body, body_ok, auth, entry):
        method = self.command
        if not fake.take_budget():
            e = ApiError(429, "rate_limit_exceeded", "limit of %s requests "
                         "per hour reached" % fake.config["rate_limit"])
            self.send_error_json(e, fake.rate_headers())
            return 429
        if not auth:
            e = ApiError(401, "unauthorized", "unable to authenticate")
            self.send_error_json(e, fake.rate_headers())
            return 401
        gen = fake.generation
        f = fake.request_fault(method, path, body)
        if f is not None:
            entry["fault"] = f["id"]
            if f.get("slow"):
                time.sleep(float(f["slow"]))
                if fake.generation != gen:
                    self.drop()
                    return 0
            if f.get("drop"):
                self.drop()
                return 0
            if f.get("drop_after"):
                try:
                    with fake.lock:
                        route_api(fake, method, path, q, body)
                except ApiError:
                    pass
                self.drop()
                return 0
            if f.get("status"):
                st = int(f["status"])
                hdrs = fake.rate_headers()
                if st == 429:
                    refill = float(fake.config["rate_refill"])
                    full = float(fake.config["rate_limit"]) / refill \
                        if refill > 0 else 3600.0
                    hdrs["RateLimit-Remaining"] = "0"
                    hdrs["RateLimit-Reset"] = str(
                        int(wall() + full + 0.999))
                e = ApiError(st, f.get("code"), f.get(
                    "message", "injected fault %d" % st),
                    f.get("details"))
                self.send_error_json(e, hdrs)
                return st
        if not body_ok:
            e = ApiError(400, "json_error", "invalid JSON in request body")
            self.send_error_json(e, fake.rate_headers())
            return 400
        try:
            with fake.lock:
                status, obj = route_api(fake, method, path, q, body)
        except ApiError as e:
            self.send_error_json(e, fake.rate_headers())
            return e.status
        if f is not None and f.get("delete_after"):
            # someone else's DELETE, between this answer and the
            # client's next request: the answer as it was, then the
            # delete, both before the answer goes out (no race with
            # the client's next request on another connection)
            obj = copy.deepcopy(obj)
            with fake.lock:
                someone_deletes(fake, path)
        if f is not None and f.get("set_after") and obj is not None:
            obj = copy.deepcopy(obj)
            for p, v in f["set_after"].items():
                set_path(obj, p, v)
        # garble_after: the answer, its status and all, cut in half
        self.send_json(status, obj, fake.rate_headers(), half=bool(
            f is not None and f.get("garble_after")))
        return status


def someone_deletes(fake, path):
    """delete_after: the server of /servers/{id}... deleted as another
    client would (refused as theirs would be: nothing done)."""
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or parts[0] != "servers":
        return
    s = fake.servers.get(int(parts[1])) if parts[1].isdigit() else None
    if s is None or s["protection"].get("delete") or \
            fake.busy(s["id"]) is not None:
        return
    start_delete(fake, s, None)


def set_path(obj, path, value):
    """Sets the dotted path of obj (a number indexes a list)."""
    keys = path.split(".")
    for k in keys[:-1]:
        obj = obj[int(k)] if isinstance(obj, list) else obj.setdefault(k, {})
    k = keys[-1]
    if isinstance(obj, list):
        obj[int(k)] = value
    else:
        obj[k] = value


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def parent_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return True


def watchdog(fake, parent_pid):
    while True:
        time.sleep(0.25)
        if parent_pid and not parent_alive(parent_pid):
            os._exit(0)
        idle = fake.config.get("idle_timeout")
        if idle and time.monotonic() - fake.last_activity > float(idle):
            os._exit(0)


def main():
    ap = argparse.ArgumentParser(description="fake Hetzner Cloud API")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--token")
    ap.add_argument("--parent-pid", type=int, default=0)
    ap.add_argument("--idle-timeout", type=float, default=300)
    ap.add_argument("--action-polls", type=int, default=1)
    ap.add_argument("--rate-limit", type=int, default=3600)
    ap.add_argument("--rate-refill", type=float, default=1.0)
    ap.add_argument("--server-limit", type=int, default=None)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    skew = os.environ.get("FAKE_HCLOUD_SKEW", "")
    if skew and not re.match(r"-?\d+$", skew):
        ap.error("FAKE_HCLOUD_SKEW must be whole seconds, not %r" % skew)

    fake = Fake(args, int(skew or 0))
    fake.token = (args.token or os.environ.get("FAKE_HCLOUD_TOKEN")
                  or os.environ.get("HCLOUD_TOKEN") or "fake-token")
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.fake = fake
    fake.port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % fake.port)
        os.rename(tmp, args.port_file)
    t = threading.Thread(target=watchdog, args=(fake, args.parent_pid),
                         daemon=True)
    t.start()
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
