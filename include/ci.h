/* ci.h — the CI runners' extension points, in the one binary (ci_gitlab.c, ci_github.c):
 *   cisandbox gitlab config|prepare|run|cleanup   GitLab Runner's custom executor
 *   cisandbox github job-started|job-completed    GitHub Actions runner job hooks
 * Each builds a `cisandbox run` command line and goes through the same parser, profile and
 * plan as a user's own. argv[0] is "gitlab" or "github". */
#ifndef CIS_CI_H
#define CIS_CI_H

int gitlab_main(int argc, char **argv);
int github_main(int argc, char **argv);

#endif
