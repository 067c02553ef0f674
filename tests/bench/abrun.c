/* abrun — times several commands interleaved: round after round, each command once (the order
 * rotating by one each round), so that a machine whose speed drifts during the run (a shared
 * host, frequency scaling, another tenant) slows every command alike and their ratios hold.
 * hyperfine runs each command's runs back to back, so a slow minute lands on one of them.
 *   abrun ROUNDS WARMUP OUT.json NAME CMD [NAME CMD ...]
 * CMD is one string split on spaces (no shell, as hyperfine -N). Each run is fork to waitpid,
 * stdin, stdout and stderr on /dev/null. Writes {"results": [{"command", "mean", "median",
 * "stddev", "min", "max"}]} (seconds, hyperfine's names) to OUT.json; exit 1 if a run of a
 * command fails (its name on stderr). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 16
#define MAX_ARGS 64

struct cmd {
	const char *name;
	char *argv[MAX_ARGS + 1];
	double *t; /* seconds, one per timed round */
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void split(char *s, char **argv)
{
	int n = 0;

	for (char *tok = strtok(s, " "); tok && n < MAX_ARGS; tok = strtok(NULL, " "))
		argv[n++] = tok;
	argv[n] = NULL;
}

/* One run: seconds, or -1 if it could not start or did not exit 0. */
static double run_once(char *const *argv, int null)
{
	double t0 = now();
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? now() - t0 : -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void print_result(FILE *f, const struct cmd *c, int n, int last)
{
	double sum = 0, var = 0, mean, median;

	for (int i = 0; i < n; i++)
		sum += c->t[i];
	mean = sum / n;
	for (int i = 0; i < n; i++)
		var += (c->t[i] - mean) * (c->t[i] - mean);
	qsort(c->t, (size_t)n, sizeof(double), cmp_double);
	median = n % 2 ? c->t[n / 2] : (c->t[n / 2 - 1] + c->t[n / 2]) / 2;
	fprintf(f,
	        "  {\"command\": \"%s\", \"mean\": %.9f, \"median\": %.9f, \"stddev\": %.9f, "
	        "\"min\": %.9f, \"max\": %.9f}%s\n",
	        c->name, mean, median, n > 1 ? sqrt(var / (n - 1)) : 0, c->t[0], c->t[n - 1],
	        last ? "" : ",");
}

int main(int argc, char **argv)
{
	struct cmd cmds[MAX_CMDS];
	int rounds, warmup, n = 0, null = open("/dev/null", O_RDWR | O_CLOEXEC);
	FILE *out;

	if (argc < 6 || (argc - 4) % 2 || (argc - 4) / 2 > MAX_CMDS || null < 0) {
		fprintf(stderr, "usage: abrun ROUNDS WARMUP OUT.json NAME CMD [NAME CMD ...]\n");
		return 2;
	}
	rounds = atoi(argv[1]), warmup = atoi(argv[2]);
	for (int i = 4; i + 1 < argc; i += 2, n++) {
		cmds[n].name = argv[i];
		split(argv[i + 1], cmds[n].argv);
		cmds[n].t = calloc((size_t)rounds, sizeof(double));
	}
	for (int r = 0; r < warmup + rounds; r++)
		for (int k = 0; k < n; k++) {
			struct cmd *c = &cmds[(r + k) % n];
			double t = run_once(c->argv, null);

			if (t < 0) {
				fprintf(stderr, "abrun: %s failed\n", c->name);
				return 1;
			}
			if (r >= warmup)
				c->t[r - warmup] = t;
		}
	if (!(out = fopen(argv[3], "w")))
		return 1;
	fprintf(out, "{\"results\": [\n");
	for (int k = 0; k < n; k++)
		print_result(out, &cmds[k], rounds, k == n - 1);
	fprintf(out, "]}\n");
	return fclose(out) == 0 ? 0 : 1;
}
