/* phases — the phase breakdown of a cisandbox launch, averaged over many runs.
 *   phases N CMD [ARG...] [--vs CMD2 [ARG...]]
 * Runs CMD N times (with --vs, CMD and CMD2 alternately, N times each) with CISANDBOX_TIMING=1,
 * reads the launcher's "cisandbox: timing:" lines from its stderr (timing.h), and prints for
 * each phase its median and mean cost in ms, in the order the phases happen. Two phases come
 * from here: "exec+ld.so" (fork of CMD to the launcher's first stamp in main) and "exit" (its
 * last stamp to our waitpid's return); "total" is fork to waitpid. Other stderr is dropped.
 * CLOCK_MONOTONIC is one clock for every process of the run (no time namespace). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_KEYS 96
#define MAX_RUNS 2000

struct key {
	char name[48]; /* "process phase" */
	double at_sum; /* for the order: mean offset from main */
	double *v;     /* cost per run */
	size_t n;
};

struct series {
	struct key k[MAX_KEYS];
	size_t n;
};

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void add(struct series *s, const char *name, double at, double ms)
{
	size_t i;

	for (i = 0; i < s->n && strcmp(s->k[i].name, name) != 0; i++)
		;
	if (i == s->n) {
		if (s->n == MAX_KEYS)
			return;
		snprintf(s->k[i].name, sizeof(s->k[i].name), "%s", name);
		s->k[i].v = calloc(MAX_RUNS, sizeof(double));
		s->n++;
	}
	if (s->k[i].n < MAX_RUNS) {
		s->k[i].v[s->k[i].n++] = ms;
		s->k[i].at_sum += at;
	}
}

/* Everything fd gives until EOF (the launcher's exit), into a buffer: parsing comes after the
 * wait, so that it is not counted in the launcher's exit. */
static char *slurp(int fd)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	ssize_t n;

	while (buf && (n = read(fd, buf + len, cap - len - 1)) > 0)
		if ((len += (size_t)n) + 1 == cap)
			buf = realloc(buf, cap *= 2);
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* One run: fork, exec with stderr to a pipe, read it, wait, then parse. 0, or -1 if it printed
 * no stamp. */
static int run_once(struct series *s, char **argv)
{
	int p[2], st;
	long long t0, t1, first = 0, last = 0;
	char *out, *line, *save = NULL;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	t0 = now_ns();
	if ((pid = fork()) == 0) {
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	out = slurp(p[0]);
	close(p[0]);
	waitpid(pid, &st, 0);
	t1 = now_ns();
	for (line = out ? strtok_r(out, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char proc[16], phase[32], name[48];
		double ms, at;
		long long mono;

		if (sscanf(line, "cisandbox: timing: %15s %31s +%lf ms at %lf ms (mono %lld)", proc,
		           phase, &ms, &at, &mono) != 5)
			continue;
		if (!first)
			first = mono;
		last = mono;
		snprintf(name, sizeof(name), "%s %s", proc, phase);
		add(s, name, (double)(mono - t0) / 1e6, ms);
	}
	free(out);
	if (!first)
		return -1;
	add(s, "(outside) exec+ld.so", 0, (double)(first - t0) / 1e6);
	add(s, "(outside) exit", (double)(t1 - t0) / 1e6, (double)(t1 - last) / 1e6);
	add(s, "(outside) total", 1e9, (double)(t1 - t0) / 1e6);
	return 0;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(struct key *k)
{
	qsort(k->v, k->n, sizeof(double), cmp_d);
	return k->n ? k->v[k->n / 2] : 0;
}

static double mean(const struct key *k)
{
	double sum = 0;

	for (size_t i = 0; i < k->n; i++)
		sum += k->v[i];
	return k->n ? sum / (double)k->n : 0;
}

static int by_at(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	double ax = x->at_sum / (double)x->n, ay = y->at_sum / (double)y->n;

	return ax < ay ? -1 : ax > ay;
}

static struct key *find(struct series *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->k[i].name, name) == 0)
			return &s->k[i];
	return NULL;
}

static void print(struct series *a, struct series *b, int runs)
{
	qsort(a->k, a->n, sizeof(a->k[0]), by_at);
	printf("   %-36s %9s %9s", "phase (process, median over runs)", "median", "mean");
	printf(b ? " %9s %9s\n" : "\n", "B median", "B mean");
	for (size_t i = 0; i < a->n; i++) {
		struct key *k = &a->k[i], *o = b ? find(b, k->name) : NULL;

		printf("   %-36s %9.3f %9.3f", k->name, median(k), mean(k));
		if (o)
			printf(" %9.3f %9.3f", median(o), mean(o));
		if (k->n != (size_t)runs)
			printf("   (%zu of %d runs)", k->n, runs);
		putchar('\n');
	}
	for (size_t i = 0; b && i < b->n; i++)
		if (!find(a, b->k[i].name))
			printf("   %-36s %9s %9s %9.3f %9.3f\n", b->k[i].name, "-", "-",
			       median(&b->k[i]), mean(&b->k[i]));
}

int main(int argc, char **argv)
{
	static struct series a, b;
	char **cmd_b = NULL;
	int n = argc > 2 ? atoi(argv[1]) : 0, fails = 0;

	if (n <= 0 || n > MAX_RUNS) {
		fprintf(stderr, "usage: phases N CMD [ARG...] [--vs CMD2 [ARG...]]\n");
		return 2;
	}
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--vs") == 0 && i + 1 < argc) {
			argv[i] = NULL;
			cmd_b = argv + i + 1;
		}
	setenv("CISANDBOX_TIMING", "1", 1);
	for (int i = 0; i < n; i++) {
		fails += run_once(&a, argv + 2) < 0;
		if (cmd_b)
			fails += run_once(&b, cmd_b) < 0;
	}
	if (fails == n * (cmd_b ? 2 : 1)) {
		fprintf(stderr, "phases: no run printed a timing stamp\n");
		return 1;
	}
	print(&a, cmd_b ? &b : NULL, n);
	if (fails)
		printf("   (%d runs printed no stamp)\n", fails);
	return 0;
}
