/* ci.h — the CI runners' extension points, in the one binary (ci_gitlab.c, ci_github.c):
 *   cisandbox gitlab config|prepare|run|cleanup   GitLab Runner's custom executor
 *   cisandbox github job-started|job-completed    GitHub Actions runner job hooks
 *   cisandbox github hook                         GitHub Actions container hooks
 * Each builds a `cisandbox run` command line and goes through the same parser, profile and
 * plan as a user's own. argv[0] is "gitlab" or "github". */
#ifndef CIS_CI_H
#define CIS_CI_H

int gitlab_main(int argc, char **argv);
int github_main(int argc, char **argv);
/* The container hook's input, checked (pure; fuzzed): one JSON object with a string command
 * and a responseFile of the shape <_work>/_temp/_runner_hook_responses/FILE; *work is that
 * _work as written (malloc'd, like the others). 0 or -EINVAL. */
int github_hook_parse(const char *text, char **command, char **response, char **work);
/* `cisandbox github hook`: the container hook (ci_github_hook.c). */
int github_hook_main(void);
/* Empty the directory named by $var (below the runner's _work, never through a symlink); a
 * missing variable or directory is nothing to do. 0, or 1 with the reason printed. */
int github_empty(const char *var);
/* The same for `path` (named by $var in messages), which must be below `work`. */
int github_empty_below(const char *var, const char *path, const char *work);
/* Per-job state (ci_state.c): $env_var if set, else /var/lib/cisandbox/DRIVER as root,
 * else $XDG_STATE_HOME or ~/.local/state/cisandbox/DRIVER. A static buffer. */
const char *ci_state_base(const char *env_var, const char *driver);
/* mkdir -p PATH, its last component 0700. 0 or -errno. */
int ci_make_private_dir(const char *path);

#endif
