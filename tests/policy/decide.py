#!/usr/bin/env python3
"""decide.py - the tests' decision program for cisandbox's --policy-exec / policy.exec.

OPA is not packaged for Debian, so the integration tests drive the protocol with this: it
reads {"input": ...} on stdin (cisandbox-profile(5), POLICY INPUT) and answers on stdout the
way the first argument says:
  allow | deny              {"result": true} / {"result": false, "reasons": [...]}
  blueprint                 the blueprint's three rules, as policy/cicd/*.rego has them, in
                            OPA's shape: {"result": {"allow": ..., "deny": [...]}}
  garbage | undefined       not JSON / {} (OPA's answer for an undefined document)
  crash | fail              SIGSEGV / exit status 3
  sleep MARKER              never answers (MARKER names the process for the test)
  record FILE               writes what it sees of the launcher to FILE, then denies
"""
import json
import os
import signal
import sys
import time


def launcher():
    """The nearest ancestor that is cisandbox (sh -c may stand in between)."""
    pid = os.getppid()
    while pid > 1:
        with open(f"/proc/{pid}/comm") as f:
            if f.read().strip() == "cisandbox":
                return pid
        with open(f"/proc/{pid}/stat") as f:
            pid = int(f.read().rsplit(")", 1)[1].split()[1])
    return 0


def children(pid):
    kids = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as f:
            kids += f.read().split()
    return kids


def blueprint(job):
    """policy/cicd/no_privileged.rego, ephemeral_runner.rego, token_ttl.rego."""
    deny = []
    if job.get("privileged"):
        deny += ["privileged job: " + w for w in job.get("privileged_why", [])] or ["privileged job"]
    deny += [f"host socket {m['host']} mounted at {m['path']}"
             for m in job.get("mounts", []) if m.get("socket")]
    if "ephemeral" not in job.get("labels", []):
        deny.append("the runner is not labelled ephemeral")
    ttl = job.get("token_ttl_minutes")
    if not isinstance(ttl, (int, float)) or ttl > 60:
        deny.append(f"job token TTL {ttl} minutes is above 60")
    return {"result": {"allow": not deny, "deny": deny}}


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "allow"
    doc = json.loads(sys.stdin.read())
    job = doc["input"]["job"]
    if mode == "allow":
        answer = {"result": True}
    elif mode == "deny":
        answer = {"result": False, "reasons": ["denied by the test's decision program"]}
    elif mode == "blueprint":
        answer = blueprint(job)
    elif mode == "garbage":
        sys.stdout.write("this is not JSON\n")
        return 0
    elif mode == "undefined":
        answer = {}
    elif mode == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif mode == "fail":
        return 3
    elif mode == "sleep":
        while True:
            time.sleep(60)
    elif mode == "record":
        pid = launcher()
        with open(sys.argv[2], "w") as f:
            f.write(f"launcher={'yes' if pid else 'no'} children={len(children(pid)) if pid else -1} "
                    f"profile={job['profile']}\n")
        answer = {"result": False, "reasons": ["recorded"]}
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
