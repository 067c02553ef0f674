# Blueprint example 1: block privileged jobs and /var/run/docker.sock mounts. cisandbox's
# input says why a job is privileged (privileged_why: a writable host system directory, a host
# socket or kernel interface shown, a privileged syscall allowed; the job never holds a
# capability), and lists every host path shown as an object {host, path, mode, origin, socket}:
# socket is true for a daemon socket, a directory holding one, and the host's /run.
package cicd.runner

import rego.v1

deny contains sprintf("privileged job: %s", [why]) if {
	input.job.privileged
	some why in input.job.privileged_why
}

deny contains sprintf("host socket %s mounted at %s", [m.host, m.path]) if {
	some m in input.job.mounts
	m.socket
}

deny contains sprintf("%s mounted at %s", [m.host, m.path]) if {
	some m in input.job.mounts
	m.path == "/var/run/docker.sock"
	not m.socket
}
