/* checkpoint.c - per-shard positions, and the file backend (see checkpoint.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "checkpoint.h"
#include "json.h"

static struct checkpoint_entry *
find(const struct checkpoint *ck, const char *shard)
{
	size_t i;

	for (i = 0; i < ck->n; i++)
		if (strcmp(ck->e[i].shard, shard) == 0)
			return &ck->e[i];
	return NULL;
}

static struct checkpoint_entry *
get_or_add(struct checkpoint *ck, const char *shard)
{
	struct checkpoint_entry *e = find(ck, shard);

	if (e)
		return e;
	if (ck->n == ck->cap) {
		ck->cap = ck->cap ? ck->cap * 2 : 16;
		ck->e = cs_realloc(ck->e, ck->cap * sizeof *ck->e);
	}
	e = &ck->e[ck->n++];
	memset(e, 0, sizeof *e);
	e->subseq = -1;
	e->shard = cs_strdup(shard);
	return e;
}

const struct checkpoint_entry *
checkpoint_get(const struct checkpoint *ck, const char *shard)
{
	return find(ck, shard);
}

void
checkpoint_set_sub(struct checkpoint *ck, const char *shard, const char *seq, long subseq)
{
	struct checkpoint_entry *e = get_or_add(ck, shard);

	if (subseq < -1)
		subseq = -1;
	if (e->seq && strcmp(e->seq, seq) == 0 && e->subseq == subseq)
		return;
	if (!e->seq || strcmp(e->seq, seq) != 0) {
		free(e->seq);
		e->seq = cs_strdup(seq);
	}
	e->subseq = subseq;
	e->dirty = ck->dirty = 1;
}

void
checkpoint_set(struct checkpoint *ck, const char *shard, const char *seq)
{
	checkpoint_set_sub(ck, shard, seq, -1);
}

void
checkpoint_finish(struct checkpoint *ck, const char *shard, const char *last_seq)
{
	struct checkpoint_entry *e = get_or_add(ck, shard);

	if (last_seq && (!e->seq || strcmp(e->seq, last_seq))) {
		free(e->seq);
		e->seq = cs_strdup(last_seq);
		e->dirty = ck->dirty = 1;
	}
	if (e->subseq != -1) {
		e->subseq = -1;  /* read to the end: nothing of it is left */
		e->dirty = ck->dirty = 1;
	}
	if (!e->finished)
		e->finished = e->dirty = ck->dirty = 1;
}

void
checkpoint_load_entry(struct checkpoint *ck, const char *shard, const char *seq, int finished,
    int resume_at, long subseq)
{
	struct checkpoint_entry *e = get_or_add(ck, shard);

	if (!(e->seq && seq && strcmp(e->seq, seq) == 0)) {
		free(e->seq);
		e->seq = seq ? cs_strdup(seq) : NULL;
	}
	e->finished = finished;
	e->subseq = seq && subseq >= 0 ? subseq : -1;
	e->resume_at = seq && resume_at;
	e->dirty = 0;
}

void
checkpoint_drop_dirty(struct checkpoint *ck, const char *shard)
{
	struct checkpoint_entry *e = find(ck, shard);

	if (e)
		e->dirty = 0;
}

void
checkpoint_forget(struct checkpoint *ck, const char *shard)
{
	struct checkpoint_entry *e = find(ck, shard);
	size_t i;

	if (!e)
		return;
	i = (size_t)(e - ck->e);
	free(e->shard);
	free(e->seq);
	memmove(&ck->e[i], &ck->e[i + 1], (ck->n - i - 1) * sizeof *ck->e);
	ck->n--;
}

int
checkpoint_commit(struct checkpoint *ck, struct cs_err *err)
{
	size_t i;

	if (!ck->dirty)
		return 0;
	if (ck->ops->store(ck, err) < 0)
		return -1;
	for (i = 0; i < ck->n; i++)
		ck->e[i].dirty = 0;
	ck->dirty = 0;
	ck->commits++;
	return 0;
}

int
checkpoint_sync(struct checkpoint *ck, int force, struct cs_err *err)
{
	uint64_t now = cs_now_ms();

	if (!force && now - ck->last_sync_ms < CHECKPOINT_SYNC_MS)
		return 0;
	ck->last_sync_ms = now;
	return checkpoint_commit(ck, err);
}

void
checkpoint_close(struct checkpoint *ck)
{
	size_t i;

	if (!ck)
		return;
	if (ck->ops && ck->ops->close)
		ck->ops->close(ck);
	for (i = 0; i < ck->n; i++) {
		free(ck->e[i].shard);
		free(ck->e[i].seq);
	}
	free(ck->e);
	free(ck->stream);
	free(ck);
}

void
checkpoint_format(const struct checkpoint *ck, struct buf *out)
{
	size_t i;

	buf_adds(out, "{\"stream\":");
	json_escape_str(out, ck->stream);
	buf_adds(out, ",\"shards\":{");
	for (i = 0; i < ck->n; i++) {
		const struct checkpoint_entry *e = &ck->e[i];

		if (i)
			buf_addc(out, ',');
		buf_adds(out, "\n  ");
		json_escape_str(out, e->shard);
		buf_adds(out, ":{\"sequenceNumber\":");
		if (e->seq)
			json_escape_str(out, e->seq);
		else
			buf_adds(out, "null");
		if (e->seq && e->subseq >= 0)
			buf_printf(out, ",\"subSequenceNumber\":%ld", e->subseq);
		buf_printf(out, ",\"finished\":%s}", e->finished ? "true" : "false");
	}
	buf_adds(out, "}}\n");
}

int
checkpoint_parse(struct checkpoint *ck, const char *text, size_t len, struct cs_err *err)
{
	struct json_doc d;
	struct buf name = BUF_INIT, val = BUF_INIT;
	int shards, t, r = -1;
	uint32_t k;

	json_doc_init(&d, 16);
	if (json_parse(&d, text, len) < 0) {
		cs_err_set(err, "not a checkpoint: %s", d.err);
		goto out;
	}
	t = json_obj_get(&d, 0, "stream", 6);
	shards = json_obj_get(&d, 0, "shards", 6);
	if (d.tok[0].type != JSON_OBJECT || t < 0 || d.tok[t].type != JSON_STRING ||
	    shards < 0 || d.tok[shards].type != JSON_OBJECT) {
		cs_err_set(err, "not a checkpoint: wants {\"stream\":...,\"shards\":{...}}");
		goto out;
	}
	if (!json_str_eq(&d, t, ck->stream, strlen(ck->stream))) {
		json_str_decode(&d, t, &name);
		cs_err_set(err, "the checkpoint is of stream '%.200s', not '%.200s'",
		    name.data ? name.data : "", ck->stream);
		goto out;
	}
	for (t = shards + 1, k = 0; k < d.tok[shards].size; k++, t = (int)d.tok[t + 1].next) {
		struct checkpoint_entry *e;
		int v = t + 1, s, f, sub;

		buf_reset(&name);
		json_str_decode(&d, t, &name);
		if (d.tok[v].type != JSON_OBJECT || !name.data || !*name.data) {
			cs_err_set(err, "not a checkpoint: the entry of a shard is not an object");
			goto out;
		}
		s = json_obj_get(&d, v, "sequenceNumber", 14);
		f = json_obj_get(&d, v, "finished", 8);
		sub = json_obj_get(&d, v, "subSequenceNumber", 17);
		e = get_or_add(ck, name.data);
		if (s >= 0 && d.tok[s].type == JSON_STRING) {
			buf_reset(&val);
			json_str_decode(&d, s, &val);
			free(e->seq);
			e->seq = cs_strdup(val.data ? val.data : "");
		}
		e->subseq = -1;
		if (sub >= 0 && d.tok[sub].type == JSON_NUMBER && e->seq) {
			unsigned long long n;

			buf_reset(&val);
			buf_add(&val, d.text + d.tok[sub].start, d.tok[sub].len);
			if (cs_parse_uint(val.data, 1ull << 31, &n) == 0)
				e->subseq = (long)n;
		}
		e->finished = f >= 0 && d.tok[f].type == JSON_TRUE;
	}
	r = 0;
out:
	buf_free(&name);
	buf_free(&val);
	json_doc_free(&d);
	return r;
}

/* --- the file backend ------------------------------------------------------ */

struct file_impl {
	char *path;
	char *tmp;
	char *dir;
	int lockfd;     /* PATH.lock, flock()ed while the checkpoint is open */
};

/*
 * One reader per checkpoint: an exclusive flock() on PATH.lock, held until
 * the checkpoint is closed (or the process ends).  The checkpoint itself
 * cannot carry the lock: each commit renames a new file over it.  The lock
 * file holds the pid of its holder, for the message of the one refused.
 */
static int
file_lock(struct file_impl *f, struct cs_err *err)
{
	struct buf name = BUF_INIT;
	char pid[32];
	ssize_t n;
	int r = -1;

	buf_printf(&name, "%s.lock", f->path);
	f->lockfd = open(name.data, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (f->lockfd < 0) {
		cs_err_set(err, "cannot open '%s': %s", name.data, strerror(errno));
		goto out;
	}
	if (flock(f->lockfd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			cs_err_set(err, "cannot lock '%s': %s", name.data, strerror(errno));
		} else {
			n = pread(f->lockfd, pid, sizeof pid - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			cs_err_set(err, "'%s' is in use by another reader (%s%s holds '%s'): "
			    "one run at a time per checkpoint", f->path, *pid ? "process " : "a process",
			    pid, name.data);
			snprintf(err->code, sizeof err->code, "CheckpointInUse");
		}
		close(f->lockfd);
		f->lockfd = -1;
		goto out;
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	/* the pid is only for a message: a failure to write it changes nothing */
	if (ftruncate(f->lockfd, 0) == 0 && pwrite(f->lockfd, pid, (size_t)n, 0) != n) {
	}
	r = 0;
out:
	buf_free(&name);
	return r;
}

static int
file_load(struct checkpoint *ck, struct cs_err *err)
{
	struct file_impl *f = ck->impl;
	struct buf b = BUF_INIT;
	int not_opened, r = -1;

	if (cs_read_file(f->path, 64u << 20, &b, &not_opened) < 0) {
		if (not_opened && errno == ENOENT)
			r = 0;
		else if (not_opened)
			cs_err_set(err, "cannot open '%s': %s", f->path, strerror(errno));
		else if (errno == EFBIG)
			cs_err_set(err, "'%s': too large for a checkpoint", f->path);
		else
			cs_err_set(err, "cannot read '%s': %s", f->path, strerror(errno));
		goto out;
	}
	if (checkpoint_parse(ck, b.data ? b.data : "", b.len, err) < 0) {
		char msg[CS_ERRMAX];

		snprintf(msg, sizeof msg, "%s", err->msg);
		cs_err_set(err, "'%s': %s", f->path, msg);
		goto out;
	}
	r = 0;
out:
	buf_free(&b);
	return r;
}

static int
file_store(struct checkpoint *ck, struct cs_err *err)
{
	struct file_impl *f = ck->impl;
	struct buf b = BUF_INIT;
	int fd, dfd, r = -1;

	checkpoint_format(ck, &b);
	fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		cs_err_set(err, "cannot open '%s': %s", f->tmp, strerror(errno));
		goto out;
	}
	if (cs_write_all(fd, b.data, b.len, NULL) < 0 || fsync(fd) < 0) {
		cs_err_set(err, "cannot write '%s': %s", f->tmp, strerror(errno));
		close(fd);
		unlink(f->tmp);
		goto out;
	}
	if (close(fd) < 0) {
		cs_err_set(err, "cannot write '%s': %s", f->tmp, strerror(errno));
		unlink(f->tmp);
		goto out;
	}
	if (rename(f->tmp, f->path) < 0) {
		cs_err_set(err, "cannot rename '%s' to '%s': %s", f->tmp, f->path, strerror(errno));
		unlink(f->tmp);
		goto out;
	}
	dfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (fsync(dfd) < 0 && errno != EINVAL) {
			cs_err_set(err, "cannot sync directory '%s': %s", f->dir, strerror(errno));
			close(dfd);
			goto out;
		}
		close(dfd);
	}
	r = 0;
out:
	buf_free(&b);
	return r;
}

static void
file_close(struct checkpoint *ck)
{
	struct file_impl *f = ck->impl;

	if (!f)
		return;
	if (f->lockfd >= 0)
		close(f->lockfd); /* and so the lock goes */
	free(f->path);
	free(f->tmp);
	free(f->dir);
	free(f);
	ck->impl = NULL;
}

static const struct checkpoint_ops file_ops = {
	"file", file_load, file_store, file_close,
};

struct checkpoint *
checkpoint_open_file(const char *path, const char *stream, struct cs_err *err)
{
	struct checkpoint *ck = cs_calloc(1, sizeof *ck);
	struct file_impl *f = cs_calloc(1, sizeof *f);
	struct buf b = BUF_INIT;
	char *copy;

	f->path = cs_strdup(path);
	buf_printf(&b, "%s.tmp", path);
	f->tmp = buf_detach(&b);
	copy = cs_strdup(path);
	f->dir = cs_strdup(dirname(copy));
	free(copy);
	ck->ops = &file_ops;
	ck->impl = f;
	ck->stream = cs_strdup(stream);
	f->lockfd = -1;
	if (file_lock(f, err) < 0 || ck->ops->load(ck, err) < 0) {
		checkpoint_close(ck);
		return NULL;
	}
	return ck;
}
