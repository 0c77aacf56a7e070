/* batchexec.c - batches of records through `bash -o pipefail -c CMD` (see batchexec.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batchexec.h"
#include "handler.h"
#include "json.h"
#include "lambda.h"

/* The largest answer read, as Lambda's limit on a synchronous response (6 MB). */
#define ANSWER_MAX (6u << 20)

extern char **environ;

void
batchexec_batch_init(struct batchexec_batch *b, const char *shard)
{
	memset(b, 0, sizeof *b);
	b->shard = cs_strdup(shard);
	buf_init(&b->lines);
}

void
batchexec_batch_free(struct batchexec_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->it[i].seq);
	free(b->it);
	free(b->shard);
	buf_free(&b->lines);
	memset(b, 0, sizeof *b);
}

struct batchexec_item *
batchexec_batch_add(struct batchexec_batch *b, const char *line, size_t len, const char *seq, long subseq,
    int ck_ok)
{
	struct batchexec_item *it;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->it = cs_realloc(b->it, b->cap * sizeof *b->it);
	}
	it = &b->it[b->n++];
	it->off = b->lines.len;
	it->len = len;
	it->seq = cs_strdup(seq);
	it->subseq = subseq;
	it->ck_ok = ck_ok;
	it->arrival_ms = 0;
	it->tag = 0;
	buf_add(&b->lines, line, len);
	return it;
}

void
batchexec_batch_copy(struct batchexec_batch *b, const struct batchexec_batch *from, size_t i)
{
	const struct batchexec_item *f = &from->it[i];
	struct batchexec_item *it = batchexec_batch_add(b, from->lines.data + f->off, f->len, f->seq, f->subseq,
	    f->ck_ok);

	it->arrival_ms = f->arrival_ms;
	it->tag = f->tag;
}

struct range {
	size_t lo, hi;
	unsigned attempt;   /* runs of this range so far */
};

enum jstate { J_QUEUED, J_RUNNING, J_WAITING, J_DONE };

struct job {
	struct batchexec_batch *b;
	batchexec_done_fn done;
	batchexec_progress_fn progress;
	void *ctx;
	struct range *st;   /* the ranges still to run; the last one is next */
	size_t nst, capst;
	enum jstate state;
	uint64_t due;
	pid_t pid;
	int pidfd;
	int cancel;         /* batchexec_cancel: not started (again); abandoned once not running */
	int outfd;          /* the run's standard output, when it is read (event or report) */
	struct job *next;
};

struct batchexec_runner {
	struct batchexec_config cfg;
	int epfd;
	int failfd;
	struct job *head, *tail;
	size_t running, busy;
	int draining;
	int write_failed;
	struct handler_shell sh;
	struct batchexec_stats stats;
	struct json_doc doc;   /* scratch, for the answers */
	struct buf answer;     /* the last run's answer */
};

const char *
batchexec_shell(const struct batchexec_runner *r, int *pipefail)
{
	*pipefail = r->sh.pipefail;
	return r->sh.path;
}

struct batchexec_runner *
batchexec_new(const struct batchexec_config *cfg, struct cs_err *err)
{
	struct batchexec_runner *r = cs_calloc(1, sizeof *r);

	r->cfg = *cfg;
	if (!r->cfg.parallel)
		r->cfg.parallel = 1;
	if (!r->cfg.backoff_ms)
		r->cfg.backoff_ms = 200;
	r->failfd = -1;
	if (handler_shell_find(&r->sh, cfg->shell, err) < 0) {
		free(r);
		return NULL;
	}
	r->cfg.shell = r->sh.path;
	json_doc_init(&r->doc, JSON_DEFAULT_DEPTH);
	buf_init(&r->answer);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0) {
		cs_err_set(err, "epoll: %s", strerror(errno));
		handler_shell_free(&r->sh);
		free(r);
		return NULL;
	}
	if (cfg->on_failure) {
		r->failfd = open(cfg->on_failure, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (r->failfd < 0) {
			cs_err_set(err, "cannot open '%s': %s", cfg->on_failure, strerror(errno));
			close(r->epfd);
			handler_shell_free(&r->sh);
			free(r);
			return NULL;
		}
	}
	return r;
}

int
batchexec_fd(const struct batchexec_runner *r)
{
	return r->epfd;
}

const struct batchexec_stats *
batchexec_stats(const struct batchexec_runner *r)
{
	return &r->stats;
}

size_t
batchexec_busy(const struct batchexec_runner *r)
{
	return r->busy;
}

size_t
batchexec_running(const struct batchexec_runner *r)
{
	return r->running;
}

static void
push(struct job *j, size_t lo, size_t hi)
{
	if (j->nst == j->capst) {
		j->capst = j->capst ? j->capst * 2 : 8;
		j->st = cs_realloc(j->st, j->capst * sizeof *j->st);
	}
	j->st[j->nst].lo = lo;
	j->st[j->nst].hi = hi;
	j->st[j->nst].attempt = 0;
	j->nst++;
}

void
batchexec_submit(struct batchexec_runner *r, struct batchexec_batch *b, batchexec_done_fn done, batchexec_progress_fn progress,
    void *ctx)
{
	struct job *j = cs_calloc(1, sizeof *j);

	j->b = b;
	j->done = done;
	j->progress = progress;
	j->ctx = ctx;
	j->pidfd = -1;
	j->outfd = -1;
	j->state = J_QUEUED;
	b->failed = 0;
	b->abandoned = 0;
	if (b->n)
		push(j, 0, b->n);
	if (r->tail)
		r->tail->next = j;
	else
		r->head = j;
	r->tail = j;
	r->busy++;
}

static char *
env_var(const char *name, const char *value)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s=%s", name, value);
	return buf_detach(&b);
}

/* Start the run of the job's current range.  -1 with err. */
static int
start_run(struct batchexec_runner *r, struct job *j, struct cs_err *err)
{
	struct range *g = &j->st[j->nst - 1];
	const struct batchexec_item *first = &j->b->it[g->lo], *last = &j->b->it[g->hi - 1];
	size_t nenv = 0, i, extra = 6;
	char **envp, num[32];
	pid_t pid;
	int fd, pidfd, outfd = -1, rc;
	struct epoll_event ev;

	fd = memfd_create("cs-tail-batch", MFD_CLOEXEC);
	if (fd < 0) {
		cs_err_set(err, "memfd_create: %s", strerror(errno));
		return -1;
	}
	if (r->cfg.event) {
		/* {"Records":[...]}: each item is one element (its newline left out) */
		struct buf ev = BUF_INIT;

		buf_adds(&ev, LAMBDA_EVENT_OPEN);
		for (i = g->lo; i < g->hi; i++) {
			const struct batchexec_item *it = &j->b->it[i];

			if (i > g->lo)
				buf_adds(&ev, LAMBDA_EVENT_SEP);
			buf_add(&ev, j->b->lines.data + it->off, it->len - 1);
		}
		buf_adds(&ev, LAMBDA_EVENT_CLOSE "\n");
		rc = cs_write_all(fd, ev.data, ev.len, NULL);
		buf_free(&ev);
	} else {
		rc = cs_write_all(fd, j->b->lines.data + first->off,
		    last->off + last->len - first->off, NULL);
	}
	if (rc < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		cs_err_set(err, "cannot write a batch: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (r->cfg.event || r->cfg.report) {
		/* the answer: the command's standard output, read when it ends */
		outfd = memfd_create("cs-tail-answer", MFD_CLOEXEC);
		if (outfd < 0) {
			cs_err_set(err, "memfd_create: %s", strerror(errno));
			close(fd);
			return -1;
		}
	}
	while (environ[nenv])
		nenv++;
	envp = cs_calloc(nenv + extra + 1, sizeof *envp);
	for (i = 0; i < nenv; i++)
		envp[i] = environ[i];
	envp[nenv++] = env_var("CS_STREAM", r->cfg.stream ? r->cfg.stream : "");
	envp[nenv++] = env_var("CS_SHARD_ID", j->b->shard);
	envp[nenv++] = env_var("CS_FIRST_SEQUENCE", first->seq);
	envp[nenv++] = env_var("CS_LAST_SEQUENCE", last->seq);
	snprintf(num, sizeof num, "%zu", g->hi - g->lo);
	envp[nenv++] = env_var("CS_BATCH_SIZE", num);
	snprintf(num, sizeof num, "%u", g->attempt + 1);
	envp[nenv++] = env_var("CS_ATTEMPT", num);
	envp[nenv] = NULL;

	if (!j->b->started_ms)
		j->b->started_ms = cs_now_ms();
	pid = handler_spawn(&r->sh, r->cfg.cmd, fd, outfd, envp);
	close(fd);
	for (i = nenv - extra; i < nenv; i++)
		free(envp[i]);
	free(envp);
	if (pid < 0) {
		cs_err_set(err, "fork: %s", strerror(errno));
		if (outfd >= 0)
			close(outfd);
		return -1;
	}
	j->outfd = outfd;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd >= 0) {
		memset(&ev, 0, sizeof ev);
		ev.events = EPOLLIN;
		ev.data.fd = pidfd;
		epoll_ctl(r->epfd, EPOLL_CTL_ADD, pidfd, &ev);
	}
	j->pid = pid;
	j->pidfd = pidfd;
	j->state = J_RUNNING;
	r->stats.runs++;
	if (g->attempt)
		r->stats.reruns++;
	g->attempt++;
	r->running++;
	return 0;
}

/*
 * Items [LO, HI) of J to the on-failure output: one line with the records,
 * why (REASON), and Lambda's description of the batch (condition C, after
 * INVOKES runs).  The items are done then.
 */
static int
write_failure(struct batchexec_runner *r, struct job *j, size_t lo, size_t hi, const char *reason,
    enum lambda_condition c, unsigned invokes, struct cs_err *err)
{
	const struct batchexec_item *first = &j->b->it[lo], *last = &j->b->it[hi - 1];
	struct lambda_batch_info bi = { j->b->shard, first->seq, last->seq, first->arrival_ms,
	    last->arrival_ms, hi - lo, r->cfg.stream_arn };
	struct buf b = BUF_INIT;
	size_t i;
	int rc = 0;

	buf_adds(&b, "{\"stream\":");
	json_escape_str(&b, r->cfg.stream);
	buf_adds(&b, ",\"shardId\":");
	json_escape_str(&b, j->b->shard);
	buf_adds(&b, ",\"firstSequenceNumber\":");
	json_escape_str(&b, first->seq);
	buf_adds(&b, ",\"lastSequenceNumber\":");
	json_escape_str(&b, last->seq);
	buf_printf(&b, ",\"count\":%zu,\"reason\":", hi - lo);
	json_escape_str(&b, reason);
	lambda_failure_members(&b, c, invokes, &bi);
	buf_adds(&b, ",\"records\":[");
	for (i = lo; i < hi; i++) {
		const struct batchexec_item *it = &j->b->it[i];

		if (i > lo)
			buf_addc(&b, ',');
		/* each line is one JSON value: drop its newline */
		buf_add(&b, j->b->lines.data + it->off, it->len - 1);
	}
	buf_adds(&b, "]}\n");
	if (r->failfd >= 0) {
		if (cs_write_all(r->failfd, b.data, b.len, NULL) < 0 || fsync(r->failfd) < 0) {
			cs_err_set(err, "cannot write '%s': %s", r->cfg.on_failure, strerror(errno));
			r->write_failed = 1;
			rc = -1;
		}
	} else if (!r->cfg.failure_log.fn) {
		/* nowhere to write it: the batch stays undone, never counted as failed and moved past */
		cs_err_set(err, "no failure output to write the failed batch to");
		rc = -1;
	} else if (r->cfg.failure_log.fn(r->cfg.failure_log.ctx, b.data, b.len - 1) < 0) {
		cs_err_set(err, "cannot write the failure output: %s", strerror(errno));
		rc = -1;
	}
	buf_free(&b);
	if (rc == 0) {
		j->b->failed += hi - lo;
		if (j->progress)
			j->progress(j->ctx, j->b, lo, hi);
	}
	return rc;
}

/* Items [LO, HI) of J delivered. */
static void
delivered(struct job *j, size_t lo, size_t hi)
{
	if (lo < hi && j->progress)
		j->progress(j->ctx, j->b, lo, hi);
}

static unsigned
backoff(const struct batchexec_runner *r, unsigned attempt)
{
	uint64_t w = (uint64_t)r->cfg.backoff_ms << (attempt > 16 ? 16 : attempt - 1);

	return w > 30000 ? 30000 : (unsigned)w;
}

/*
 * A failure that cannot be written: the records are nowhere, so the batch
 * stays undone (handed back abandoned: no checkpoint moves past it) and
 * nothing more is started.
 */
static int
unwritten(struct batchexec_runner *r, struct job *j)
{
	r->draining = 1;
	j->state = J_QUEUED;
	return -1;
}

/* The answer of the run that just ended into r->answer (at most ANSWER_MAX + 1 bytes). */
static void
read_answer(struct batchexec_runner *r, struct job *j)
{
	struct stat st;
	size_t n;
	ssize_t k;

	buf_reset(&r->answer);
	if (j->outfd < 0)
		return;
	if (fstat(j->outfd, &st) == 0 && st.st_size > 0) {
		n = (size_t)st.st_size > ANSWER_MAX ? ANSWER_MAX + 1 : (size_t)st.st_size;
		buf_grow(&r->answer, n);
		k = pread(j->outfd, r->answer.data, n, 0);
		r->answer.len = k > 0 ? (size_t)k : 0;
		r->answer.data[r->answer.len] = '\0';
	}
	close(j->outfd);
	j->outfd = -1;
}

static const char *
item_seq(void *ctx, size_t i)
{
	const struct batchexec_item *it = ctx;

	return it[i].seq;
}

/*
 * The answer reported items from LOWEST (absolute) of the current range G
 * as failed: what is before it is done; the rest is retried (with bisect:
 * the reported record alone, then those after it), or when G's retries
 * are spent, written to the on-failure output.
 */
static int
partial(struct batchexec_runner *r, struct job *j, size_t k, struct cs_err *err)
{
	struct range g = j->st[j->nst - 1], *top;
	char reason[256];
	size_t end;

	j->nst--;
	delivered(j, g.lo, k);
	if (r->cfg.bisect && g.hi - k > 1) {
		/* the reported record alone (its pieces, in NDJSON), then the rest afresh */
		for (end = k + 1; end < g.hi && strcmp(j->b->it[end].seq, j->b->it[k].seq) == 0; end++)
			;
		if (end < g.hi)
			push(j, end, g.hi);
		push(j, k, end);
	} else {
		push(j, k, g.hi);
	}
	top = &j->st[j->nst - 1];
	top->attempt = g.attempt;
	if (g.attempt <= r->cfg.max_retries) {
		j->state = J_WAITING;
		j->due = cs_now_ms() + backoff(r, g.attempt);
		return 0;
	}
	snprintf(reason, sizeof reason, "the answer reported %.80s as failed, after %u attempts",
	    j->b->it[k].seq, g.attempt);
	if (write_failure(r, j, top->lo, top->hi, reason, LAMBDA_RETRIES_EXHAUSTED, g.attempt,
	    err) < 0)
		return unwritten(r, j);
	j->nst--;
	j->state = j->nst ? J_QUEUED : J_DONE;
	return 0;
}

/* A run of J ended with wait status ST. */
static int
run_ended(struct batchexec_runner *r, struct job *j, int st, struct cs_err *err)
{
	struct range g = j->st[j->nst - 1];
	struct lambda_answer a;
	struct cs_err why;
	struct buf said = BUF_INIT;
	char reason[512];
	int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;

	r->running--;
	if (j->pidfd >= 0)
		close(j->pidfd);    /* also leaves the epoll set */
	j->pidfd = -1;
	j->pid = 0;
	read_answer(r, j);
	why.msg[0] = '\0';
	if (ok && r->cfg.report) {
		if (r->answer.len > ANSWER_MAX) {
			cs_err_set(&why, "the answer is longer than %u bytes", ANSWER_MAX);
			ok = 0;
		} else if (lambda_answer_parse(&r->doc, r->answer.data ? r->answer.data : "",
		    r->answer.len, item_seq, j->b->it + g.lo, g.hi - g.lo, &a, &why) < 0) {
			ok = 0;
		} else if (a.failures) {
			return partial(r, j, g.lo + a.lowest, err);
		}
	}
	if (ok) {
		j->nst--;
		delivered(j, g.lo, g.hi);
	} else if (r->cfg.bisect && g.hi - g.lo > 1) {
		size_t mid = g.lo + (g.hi - g.lo) / 2;

		j->nst--;
		push(j, mid, g.hi);
		push(j, g.lo, mid);
	} else if (g.attempt <= r->cfg.max_retries) {
		/* again after the backoff; a shutdown meanwhile hands it back abandoned, not failed */
		j->state = J_WAITING;
		j->due = cs_now_ms() + backoff(r, g.attempt);
		return 0;
	} else {
		if (why.msg[0])
			snprintf(reason, sizeof reason, "%.400s, after %u attempts", why.msg, g.attempt);
		else if (WIFEXITED(st))
			snprintf(reason, sizeof reason, "exit status %d after %u attempts",
			    WEXITSTATUS(st), g.attempt);
		else
			snprintf(reason, sizeof reason, "killed by signal %d after %u attempts",
			    WTERMSIG(st), g.attempt);
		/* what the command said of it (Lambda's error document, from scripts/lambda-run) */
		if (!why.msg[0] && r->answer.len) {
			lambda_error_text(&r->doc, r->answer.data, r->answer.len, &said);
			if (said.len) {
				size_t n = strlen(reason), bad;

				snprintf(reason + n, sizeof reason - n, ": %s", said.data);
				/* not cut inside a UTF-8 sequence */
				if (!utf8_valid(reason, strlen(reason), &bad))
					reason[bad] = '\0';
			}
			buf_free(&said);
		}
		if (write_failure(r, j, g.lo, g.hi, reason, LAMBDA_RETRIES_EXHAUSTED, g.attempt,
		    err) < 0)
			return unwritten(r, j);
		j->nst--;
	}
	j->state = j->nst ? J_QUEUED : J_DONE;
	return 0;
}

/*
 * Before a run: the records at the head of J's next ranges that arrived
 * more than max_age_s ago go to the on-failure output unrun, and the
 * shard moves on.  -1 with err when that cannot be written.
 */
static int
expire(struct batchexec_runner *r, struct job *j, struct cs_err *err)
{
	int64_t limit;
	char reason[128];
	struct range *g;
	size_t k;

	if (!r->cfg.max_age_s)
		return 0;
	limit = cs_wall_ms() - (int64_t)r->cfg.max_age_s * 1000;
	while (j->nst) {
		g = &j->st[j->nst - 1];
		for (k = g->lo; k < g->hi; k++)
			if (!j->b->it[k].arrival_ms || j->b->it[k].arrival_ms >= limit)
				break;
		/* a KPL aggregate's pieces share one arrival: they go together */
		if (k == g->lo)
			return 0;
		snprintf(reason, sizeof reason, "older than --max-record-age (%u s)", r->cfg.max_age_s);
		if (write_failure(r, j, g->lo, k, reason, LAMBDA_RECORD_TOO_OLD, g->attempt, err) < 0)
			return unwritten(r, j);
		g->lo = k;
		if (g->lo == g->hi)
			j->nst--;
	}
	return 0;
}

int
batchexec_poll(struct batchexec_runner *r, int *fatal, struct cs_err *err)
{
	struct job *j, **pp, *done = NULL, **dtail = &done;
	uint64_t now;
	int64_t wait = -1;
	int st;

	*fatal = 0;
	for (j = r->head; j; j = j->next) {
		if (j->state != J_RUNNING)
			continue;
		if (waitpid(j->pid, &st, WNOHANG) == j->pid && run_ended(r, j, st, err) < 0)
			*fatal = 1;
	}
	now = cs_now_ms();
	for (j = r->head; j; j = j->next) {
		if (j->state == J_WAITING) {
			if (r->draining || j->cancel)
				continue;
			if (j->due > now) {
				if (wait < 0 || (int64_t)(j->due - now) < wait)
					wait = (int64_t)(j->due - now);
				continue;
			}
			j->state = J_QUEUED;
		}
		if (j->state == J_QUEUED && !r->draining && !j->cancel &&
		    r->running < r->cfg.parallel && expire(r, j, err) < 0)
			*fatal = 1;
		if (j->state == J_QUEUED && j->nst == 0)
			j->state = J_DONE;
		if (j->state == J_QUEUED && !r->draining && !j->cancel && r->running < r->cfg.parallel &&
		    start_run(r, j, err) < 0)
			*fatal = 1;
	}
	/* hand finished batches back, in order, after the walk (DONE may submit) */
	for (pp = &r->head; (j = *pp) != NULL;) {
		if (j->state == J_DONE || ((r->draining || j->cancel) && j->state != J_RUNNING)) {
			*pp = j->next;
			if (j->state != J_DONE)
				j->b->abandoned = 1;
			j->next = NULL;
			*dtail = j;
			dtail = &j->next;
		} else {
			pp = &j->next;
		}
	}
	r->tail = NULL;
	for (j = r->head; j; j = j->next)
		r->tail = j;
	while (done) {
		j = done;
		done = j->next;
		r->busy--;
		j->done(j->ctx, j->b);
		free(j->st);
		free(j);
	}
	return *fatal ? -1 : (int)wait;
}

/*
 * Kill J's running command (its whole group) and reap it: the batch is
 * handed back as abandoned by the next batchexec_poll.
 */
static void
kill_run(struct batchexec_runner *r, struct job *j)
{
	int st;

	kill(-j->pid, SIGKILL);
	kill(j->pid, SIGKILL);
	while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
		;
	if (j->pidfd >= 0)
		close(j->pidfd);
	j->pidfd = -1;
	if (j->outfd >= 0)
		close(j->outfd);
	j->outfd = -1;
	r->running--;
	j->state = J_QUEUED;
}

void
batchexec_cancel(struct batchexec_runner *r, const char *shard)
{
	struct job *j;

	for (j = r->head; j; j = j->next) {
		if (strcmp(j->b->shard, shard) != 0)
			continue;
		j->cancel = 1;
		/* the shard is another worker's now: its running command goes */
		if (j->state == J_RUNNING)
			kill_run(r, j);
	}
}

void
batchexec_drain(struct batchexec_runner *r)
{
	r->draining = 1;
}

void
batchexec_abandon(struct batchexec_runner *r)
{
	struct job *j;

	r->draining = 1;
	for (j = r->head; j; j = j->next)
		if (j->state == J_RUNNING)
			kill_run(r, j);
}

int
batchexec_free(struct batchexec_runner *r, struct cs_err *err)
{
	int rc = 0;

	if (!r)
		return 0;
	batchexec_abandon(r);
	while (r->head) {
		struct job *j = r->head;

		r->head = j->next;
		free(j->st);
		free(j);
	}
	if (r->failfd >= 0 && close(r->failfd) < 0) {
		cs_err_set(err, "cannot write '%s': %s", r->cfg.on_failure, strerror(errno));
		rc = -1;
	}
	if (r->write_failed)
		rc = -1;
	close(r->epfd);
	json_doc_free(&r->doc);
	buf_free(&r->answer);
	handler_shell_free(&r->sh);
	free(r);
	return rc;
}
