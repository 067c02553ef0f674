/* harness.h — integration tests: run the real cisandbox binary on the real kernel, as root and
 * as an unprivileged user (setpriv to nobody, like a runner's service account), and observe
 * from outside: exit status, output, host processes, host files and mounts. */
#ifndef CIS_HARNESS_H
#define CIS_HARNESS_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <sys/types.h>

enum mode { ROOT, ROOTLESS };

struct result {
	int status; /* exit status of the launcher, or 128+N when it died of signal N */
	char *out;
	char *err;
};

/* Define a test twice: as root and rootless. The body sees `m`. */
#define DUAL_TEST(suite, name, ...)                                                                \
	static void name##_body(enum mode m);                                                      \
	Test(suite, name##_root, __VA_ARGS__)                                                      \
	{                                                                                          \
		name##_body(ROOT);                                                                 \
	}                                                                                          \
	Test(suite, name##_rootless, __VA_ARGS__)                                                  \
	{                                                                                          \
		name##_body(ROOTLESS);                                                             \
	}                                                                                          \
	static void name##_body(enum mode m)

/* Argument list helper: ARGS("run", "--", "true"). */
#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Run cisandbox with args; env: extra NAME=VALUE entries (NULL for none) added to a minimal
 * environment; stdin is /dev/null. Waits for exit and for stdout/stderr to close. */
void cis_run(enum mode m, struct result *r, const char *const *env, const char *const *args);
/* The common case: run `sh -c script` in a sandbox on workspace ws, probes bound at /probes. */
void run_sh(enum mode m, struct result *r, const char *ws, const char *script);
/* The same with more options before the "--" (flags: a NULL-terminated list). */
void run_sh_with(enum mode m, struct result *r, const char *ws, const char *const *flags,
                 const char *script);
/* Remove a directory made by tmpdir_for and free its name. */
void dir_done(char *dir);
/* Start it without waiting: stdout/stderr go to *out_fd (a pipe); returns the pid. The child
 * leads its own process group, as a runner's job does. */
pid_t cis_spawn(enum mode m, const char *const *env, const char *const *args, int *out_fd);
/* A malloc'd A followed by B (paths in tests). */
char *cat(const char *a, const char *b);
/* Read fd to EOF into a malloc'd string. */
char *slurp(int fd);
/* The launcher's rootless host warning (no subordinate ids: private files not hidden, said on
 * every run) removed from merged output S, in place, for tests that compare the job's output;
 * test_private.c and test_origin.c check the warning itself. Returns S. */
#define HOST_WARNING "cisandbox: warning: rootless without subordinate ids"
char *unwarned(char *s);
/* read(2) of exactly N bytes of the job's output from merged output FD, past that warning. */
ssize_t read_job(int fd, char *buf, size_t n);
/* Wait for pid, returning its status as a shell would (128+N for a signal). */
int wait_status(pid_t pid);
void result_free(struct result *r);

/* A fresh directory under /tmp owned by the user of mode m; remove with rm_rf. */
char *tmpdir_for(enum mode m);
void rm_rf(const char *path);
void write_text(const char *path, const char *text);
char *read_text(const char *path);

/* A test "internet", all in namespaces the test makes: W, where the launcher runs, linked by a
 * veth pair to S, which holds servers on ports 80 and 8443 at 198.51.100.10, 203.0.113.7, the
 * fake metadata endpoint 169.254.169.254 and the fake internal service 10.1.2.3; W itself listens
 * on 127.0.0.1:9999 and its own address 192.0.2.1:9999 (the "host"). */
/* The world's DNS server (dnsmasq in S): pkg.allowed.test, a.b.allowed.test, allowed.test
 * -> 198.51.100.10; cdn.allowed.test CNAME pkg.allowed.test; evil.test -> 203.0.113.7;
 * meta.allowed.test -> 169.254.169.254; short.allowed.test (TTL 2 s); big.allowed.test (120
 * addresses, 198.51.100.10-129); a TXT record "v=test" for pkg.allowed.test. */
#define WORLD_DNS "198.51.100.53"
/* Connect by name: "hello ADDR:PORT" from the world's server, or the error's class name. */
#define FETCH                                                                                      \
	"python3 -c 'import socket,sys\n"                                                          \
	"try:\n"                                                                                   \
	" s=socket.create_connection((sys.argv[1],int(sys.argv[2])),timeout=3)\n"                  \
	" print(s.recv(64).decode().strip())\n"                                                    \
	"except OSError as e: print(type(e).__name__)' "

struct world {
	char w[32], s[32];
	pid_t servers, local, dns;
};
void world_up(struct world *wd);
void world_down(struct world *wd);
/* Tear down whatever world is up (suite .fini: runs after a failed assertion too). */
void world_cleanup(void);
/* When set, cis_run and cis_spawn start the launcher inside this network namespace. */
extern const char *cis_netns;

/* Compare text with tests/golden/NAME ($CIS_GOLDEN); CIS_UPDATE_GOLDEN=1 rewrites it first. */
void golden_compare(const char *name, const char *text);

/* Host directory holding the probe binaries; tests bind it at /probes. */
const char *probe_dir(void);
/* "DIR:/probes", for --ro-bind. */
const char *probes_bind(void);
/* Does a live (non-zombie) host process have `needle` in its command line? */
bool host_process_exists(const char *needle);
/* Wait up to ms for no such process; true if none remains. */
bool host_process_gone(const char *needle, int ms);
/* The pid of a child of parent whose command name is comm, or 0. */
pid_t child_named(pid_t parent, const char *comm);
/* The inode of a process's network namespace ("net:[N]"), or "" if unreadable. */
void netns_of(pid_t pid, char *out, size_t len);
/* Does any live process on the host still use that network namespace? */
bool netns_in_use(const char *ns);
/* Is pid alive (not gone, not a zombie)? */
bool pid_alive(pid_t pid);
/* Poll (10 ms apart, at most tries times) until no host process matches marker, network
 * namespace ns is in use by nothing, and none of kids (0-terminated) is alive. Asserts nothing:
 * the caller says what must be gone. */
void await_gone(const char *marker, const char *ns, const pid_t *kids, int tries);

/* Count of lines in /proc/self/mountinfo of the host (mount namespace of the tests). */
int host_mount_count(void);

#endif
