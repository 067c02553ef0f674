/* report.h — `cisandbox report`: read an audit log and summarize each sandbox in it. */
#ifndef CIS_REPORT_H
#define CIS_REPORT_H

/* format: "text" or "github" (workflow commands plus a Markdown table for
 * $GITHUB_STEP_SUMMARY). Returns the exit status: 0, or 125 when the log cannot be read. */
int report_main(const char *path, const char *format);

#endif
