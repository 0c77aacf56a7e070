/*
 * handler.h - how an --exec command runs: the shell that runs it, and a
 * process of its own that cannot outlive us.
 *
 * The shell is bash (on PATH, else /bin/bash, else /bin/sh) or the one
 * given; it runs the command as `SHELL -o pipefail -c CMD` when it takes
 * the option (a failure of any stage of a pipeline then fails the whole;
 * `sh -c` would see only the last stage), else as `SHELL -c CMD`.
 *
 * The command runs in a process group of its own, under a small guard
 * process that dies with us (PR_SET_PDEATHSIG) and then kills the whole
 * group: a SIGKILL of the tool leaves no command running.
 */
#ifndef CS_HANDLER_H
#define CS_HANDLER_H

#include <sys/types.h>

#include "cs.h"

struct handler_shell {
	char *path;         /* the shell's path */
	const char *name;   /* its argv[0]: the path's last part */
	int pipefail;       /* it takes -o pipefail */
};

/*
 * Find SHELL (a path, or a name looked up on PATH; NULL: bash, else
 * /bin/bash, else /bin/sh) into SH and ask it whether it takes pipefail.
 * 0, or -1 with err when the shell given is not an executable file.
 */
int handler_shell_find(struct handler_shell *sh, const char *shell, struct cs_err *err);
void handler_shell_free(struct handler_shell *sh);

/*
 * Start CMD under SH with INFD as its standard input, OUTFD as its
 * standard output (-1: ours) and ENVP as its environment, under its guard
 * (see above).  The guard's pid, whose exit status is the command's (128 +
 * N when the command was killed by signal N), in its own process group;
 * -1 with errno when it cannot start.
 */
pid_t handler_spawn(const struct handler_shell *sh, const char *cmd, int infd, int outfd,
    char **envp);

#endif
