/* handler.c - how an --exec command runs (see handler.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "handler.h"

/* NAME when it has a slash, else NAME's first executable file on PATH; NULL when none. */
static char *
find_program(const char *name)
{
	const char *path = cs_getenv("PATH"), *p, *end;
	struct buf b = BUF_INIT;
	struct stat st;

	if (!*name)
		return NULL;
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 && stat(name, &st) == 0 && S_ISREG(st.st_mode) ?
		    cs_strdup(name) : NULL;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		buf_reset(&b);
		if (end == p)
			buf_adds(&b, ".");
		else
			buf_add(&b, p, (size_t)(end - p));
		buf_printf(&b, "/%s", name);
		if (access(b.data, X_OK) == 0 && stat(b.data, &st) == 0 && S_ISREG(st.st_mode))
			return buf_detach(&b);
		if (!*end)
			break;
	}
	buf_free(&b);
	return NULL;
}

/*
 * 1 when SHELL runs `-o pipefail -c` with pipefail in force: `false | true`
 * must fail.  Exit 0 only then; a shell without the option exits 2.
 */
static int
probe_pipefail(const char *shell, const char *shname)
{
	pid_t pid;
	int st, fd;

	pid = fork();
	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(shell, shname, "-o", "pipefail", "-c", "false | true && exit 1; exit 0",
		    (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return 0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int
handler_shell_find(struct handler_shell *sh, const char *shell, struct cs_err *err)
{
	memset(sh, 0, sizeof *sh);
	if (shell) {
		sh->path = find_program(shell);
		if (!sh->path) {
			cs_err_set(err, "shell '%s': not an executable file%s", shell,
			    strchr(shell, '/') ? "" : " on PATH");
			return -1;
		}
	} else {
		sh->path = find_program("bash");
		if (!sh->path)
			sh->path = find_program("/bin/bash");
		if (!sh->path)
			sh->path = cs_strdup("/bin/sh");
	}
	sh->name = strrchr(sh->path, '/') ? strrchr(sh->path, '/') + 1 : sh->path;
	sh->pipefail = probe_pipefail(sh->path, sh->name);
	return 0;
}

void
handler_shell_free(struct handler_shell *sh)
{
	free(sh->path);
	memset(sh, 0, sizeof *sh);
}

/* close every descriptor from FD on */
static void
close_from(int fd)
{
	struct rlimit rl;
	long i, max = 4096;

	if (close_range((unsigned)fd, ~0u, 0) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = (long)rl.rlim_cur;
	for (i = fd; i < max; i++)
		close((int)i);
}

static volatile sig_atomic_t guard_group;

static void
guard_term(int sig)
{
	(void)sig;
	kill(-(pid_t)guard_group, SIGKILL);
	_exit(128 + SIGKILL);
}

pid_t
handler_spawn(const struct handler_shell *sh, const char *cmd, int infd, int outfd, char **envp)
{
	pid_t me = getpid(), pid;

	pid = fork();
	if (pid == 0) {
		/* the guard: a group of its own, dies with us and takes the group along */
		struct sigaction sa;
		pid_t k;
		int st;

		setpgid(0, 0);
		guard_group = getpid();
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = guard_term;
		sigaction(SIGTERM, &sa, NULL);
		sa.sa_handler = SIG_IGN;
		sigaction(SIGINT, &sa, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != me)
			guard_term(SIGTERM);
		/*
		 * The guard is a copy of us that does not exec: it would keep
		 * every descriptor of ours open, a checkpoint's lock among
		 * them (a flock, shared by the copy).  It keeps the command's
		 * only, so that what we hold goes with us at once.
		 */
		if (dup2(infd, 0) < 0 || (outfd >= 0 && dup2(outfd, 1) < 0))
			_exit(127);
		close_from(3);
		k = fork();
		if (k == 0) {
			sa.sa_handler = SIG_DFL;
			sigaction(SIGTERM, &sa, NULL);
			sigaction(SIGINT, &sa, NULL);
			sigaction(SIGPIPE, &sa, NULL);
			if (sh->pipefail)
				execve(sh->path, (char *[]){ (char *)sh->name, "-o", "pipefail", "-c",
				    (char *)cmd, NULL }, envp);
			else
				execve(sh->path, (char *[]){ (char *)sh->name, "-c", (char *)cmd, NULL },
				    envp);
			_exit(127);
		}
		if (k < 0)
			_exit(127);
		while (waitpid(k, &st, 0) < 0)
			if (errno != EINTR)
				_exit(127);
		if (WIFEXITED(st))
			_exit(WEXITSTATUS(st));
		_exit(128 + WTERMSIG(st));
	}
	if (pid > 0)
		setpgid(pid, pid);
	return pid;
}
