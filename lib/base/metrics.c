/* metrics.c - counters, gauges and histograms; Prometheus text and JSON out. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "metrics.h"

/* 1 ms to 10 s: what a request, a batch or a put takes */
static const double default_buckets[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
	0.5, 1, 2.5, 5, 10 };

struct series {
	char *labels;
	double value;     /* counters and gauges; a histogram's sum */
	uint64_t count;   /* histograms */
	uint64_t *bucket; /* histograms: counts per bucket, not cumulative */
};

struct family {
	char *name, *help;
	enum cs_metric_type type;
	double *bounds;
	size_t nbounds;
	struct series *s;
	size_t ns, caps;
};

struct cs_metrics {
	pthread_mutex_t lock;
	struct family *f;
	size_t nf, capf;
};

struct cs_metrics *
cs_metrics_new(void)
{
	struct cs_metrics *m = cs_calloc(1, sizeof *m);

	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void
cs_metrics_free(struct cs_metrics *m)
{
	size_t i, j;

	if (!m)
		return;
	for (i = 0; i < m->nf; i++) {
		struct family *f = &m->f[i];

		for (j = 0; j < f->ns; j++) {
			free(f->s[j].labels);
			free(f->s[j].bucket);
		}
		free(f->s);
		free(f->name);
		free(f->help);
		free(f->bounds);
	}
	free(m->f);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static struct family *
find_family(struct cs_metrics *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nf; i++)
		if (strcmp(m->f[i].name, name) == 0)
			return &m->f[i];
	return NULL;
}

void
cs_metrics_declare(struct cs_metrics *m, enum cs_metric_type type, const char *name,
    const char *help, const double *buckets, size_t nbuckets)
{
	struct family *f;

	pthread_mutex_lock(&m->lock);
	if (find_family(m, name)) {
		pthread_mutex_unlock(&m->lock);
		return;
	}
	if (m->nf == m->capf) {
		m->capf = m->capf ? 2 * m->capf : 16;
		m->f = cs_realloc(m->f, m->capf * sizeof *m->f);
	}
	f = &m->f[m->nf++];
	memset(f, 0, sizeof *f);
	f->name = cs_strdup(name);
	f->help = cs_strdup(help);
	f->type = type;
	if (type == CS_METRIC_HISTOGRAM) {
		if (!buckets) {
			buckets = default_buckets;
			nbuckets = sizeof default_buckets / sizeof default_buckets[0];
		}
		f->bounds = cs_malloc((nbuckets ? nbuckets : 1) * sizeof *f->bounds);
		memcpy(f->bounds, buckets, nbuckets * sizeof *f->bounds);
		f->nbounds = nbuckets;
	}
	pthread_mutex_unlock(&m->lock);
}

/* the series NAME{LABELS}, made when missing; NULL when NAME was never declared */
static struct series *
get_series(struct cs_metrics *m, const char *name, const char *labels, int make)
{
	struct family *f = find_family(m, name);
	struct series *s;
	size_t i;

	if (!f)
		return NULL;
	if (!labels)
		labels = "";
	for (i = 0; i < f->ns; i++)
		if (strcmp(f->s[i].labels, labels) == 0)
			return &f->s[i];
	if (!make)
		return NULL;
	if (f->ns == f->caps) {
		f->caps = f->caps ? 2 * f->caps : 4;
		f->s = cs_realloc(f->s, f->caps * sizeof *f->s);
	}
	s = &f->s[f->ns++];
	memset(s, 0, sizeof *s);
	s->labels = cs_strdup(labels);
	if (f->type == CS_METRIC_HISTOGRAM)
		s->bucket = cs_calloc(f->nbounds + 1, sizeof *s->bucket);
	return s;
}

void
cs_metrics_set(struct cs_metrics *m, const char *name, const char *labels, double v)
{
	struct series *s;

	pthread_mutex_lock(&m->lock);
	if ((s = get_series(m, name, labels, 1)))
		s->value = v;
	pthread_mutex_unlock(&m->lock);
}

void
cs_metrics_declare_set(struct cs_metrics *m, enum cs_metric_type type, const char *name,
    const char *help, double v)
{
	cs_metrics_declare(m, type, name, help, NULL, 0);
	cs_metrics_set(m, name, "", v);
}

void
cs_metrics_add(struct cs_metrics *m, const char *name, const char *labels, double v)
{
	struct series *s;

	pthread_mutex_lock(&m->lock);
	if ((s = get_series(m, name, labels, 1)))
		s->value += v;
	pthread_mutex_unlock(&m->lock);
}

void
cs_metrics_clear(struct cs_metrics *m, const char *name)
{
	struct family *f;
	size_t j;

	pthread_mutex_lock(&m->lock);
	if ((f = find_family(m, name))) {
		for (j = 0; j < f->ns; j++) {
			free(f->s[j].labels);
			free(f->s[j].bucket);
		}
		f->ns = 0;
	}
	pthread_mutex_unlock(&m->lock);
}

void
cs_metrics_observe(struct cs_metrics *m, const char *name, const char *labels, double v)
{
	struct family *f;
	struct series *s;
	size_t i;

	pthread_mutex_lock(&m->lock);
	f = find_family(m, name);
	if (f && f->type == CS_METRIC_HISTOGRAM && (s = get_series(m, name, labels, 1))) {
		for (i = 0; i < f->nbounds && v > f->bounds[i]; i++)
			;
		s->bucket[i]++;
		s->count++;
		s->value += v;
	}
	pthread_mutex_unlock(&m->lock);
}

double
cs_metrics_get(struct cs_metrics *m, const char *name, const char *labels)
{
	struct family *f;
	struct series *s;
	double v = 0;

	pthread_mutex_lock(&m->lock);
	f = find_family(m, name);
	if (f && (s = get_series(m, name, labels, 0)))
		v = f->type == CS_METRIC_HISTOGRAM ? (double)s->count : s->value;
	pthread_mutex_unlock(&m->lock);
	return v;
}

void
cs_metrics_label(struct buf *b, const char *key, const char *value)
{
	const char *p;

	if (b->len)
		buf_addc(b, ',');
	buf_adds(b, key);
	buf_adds(b, "=\"");
	for (p = value; *p; p++) {
		switch (*p) {
		case '\\': buf_adds(b, "\\\\"); break;
		case '"': buf_adds(b, "\\\""); break;
		case '\n': buf_adds(b, "\\n"); break;
		default: buf_addc(b, *p);
		}
	}
	buf_addc(b, '"');
}

/* a value as the format writes it: whole numbers without a fraction */
static void
add_number(struct buf *o, double v)
{
	if (isnan(v))
		buf_adds(o, "NaN");
	else if (isinf(v))
		buf_adds(o, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 1e15)
		buf_printf(o, "%.0f", v);
	else
		buf_printf(o, "%.15g", v);
}

/* HELP text escapes backslash and newline only */
static void
add_help(struct buf *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_adds(o, "\\\\");
		else if (*s == '\n')
			buf_adds(o, "\\n");
		else
			buf_addc(o, *s);
	}
}

/* NAME{LABELS[,EXTRA]} */
static void
add_series_name(struct buf *o, const char *name, const char *suffix, const char *labels,
    const char *extra)
{
	buf_adds(o, name);
	buf_adds(o, suffix);
	if (*labels || extra) {
		buf_addc(o, '{');
		buf_adds(o, labels);
		if (extra) {
			if (*labels)
				buf_addc(o, ',');
			buf_adds(o, extra);
		}
		buf_addc(o, '}');
	}
	buf_addc(o, ' ');
}

static const char *const type_name[] = { "counter", "gauge", "histogram" };

void
cs_metrics_render(struct cs_metrics *m, struct buf *out)
{
	size_t i, j, k;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nf; i++) {
		struct family *f = &m->f[i];

		buf_printf(out, "# HELP %s ", f->name);
		add_help(out, f->help);
		buf_printf(out, "\n# TYPE %s %s\n", f->name, type_name[f->type]);
		for (j = 0; j < f->ns; j++) {
			struct series *s = &f->s[j];

			if (f->type != CS_METRIC_HISTOGRAM) {
				add_series_name(out, f->name, "", s->labels, NULL);
				add_number(out, s->value);
				buf_addc(out, '\n');
				continue;
			}
			uint64_t cum = 0;
			char le[64];

			for (k = 0; k <= f->nbounds; k++) {
				struct buf b = BUF_INIT;

				cum += s->bucket[k];
				if (k < f->nbounds) {
					add_number(&b, f->bounds[k]);
					snprintf(le, sizeof le, "le=\"%s\"", b.data);
				} else {
					snprintf(le, sizeof le, "le=\"+Inf\"");
				}
				buf_free(&b);
				add_series_name(out, f->name, "_bucket", s->labels, le);
				buf_printf(out, "%llu\n", (unsigned long long)cum);
			}
			add_series_name(out, f->name, "_sum", s->labels, NULL);
			add_number(out, s->value);
			buf_addc(out, '\n');
			add_series_name(out, f->name, "_count", s->labels, NULL);
			buf_printf(out, "%llu\n", (unsigned long long)s->count);
		}
	}
	pthread_mutex_unlock(&m->lock);
}

/* the label set `a="x",b="y\"z"` as JSON members "a":"x","b":"y\"z", */
static void
labels_json(struct buf *o, const char *p)
{
	struct buf v = BUF_INIT;

	while (*p) {
		const char *eq = strchr(p, '=');

		if (!eq || eq[1] != '"')
			break;
		json_escape(o, p, (size_t)(eq - p));
		buf_addc(o, ':');
		buf_reset(&v);
		for (p = eq + 2; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				buf_addc(&v, *p == 'n' ? '\n' : *p);
			} else {
				buf_addc(&v, *p);
			}
		}
		json_escape(o, v.data ? v.data : "", v.len);
		buf_addc(o, ',');
		if (*p == '"')
			p++;
		if (*p == ',')
			p++;
	}
	buf_free(&v);
}

static void
series_json(struct buf *o, const struct family *f, const struct series *s, int labelled)
{
	if (f->type == CS_METRIC_HISTOGRAM || labelled)
		buf_addc(o, '{');
	if (labelled)
		labels_json(o, s->labels);
	if (f->type == CS_METRIC_HISTOGRAM) {
		buf_printf(o, "\"count\":%llu,\"sum\":", (unsigned long long)s->count);
		add_number(o, s->value);
		buf_addc(o, '}');
		return;
	}
	if (labelled)
		buf_adds(o, "\"value\":");
	if (isnan(s->value) || isinf(s->value))
		buf_adds(o, "null");
	else
		add_number(o, s->value);
	if (labelled)
		buf_addc(o, '}');
}

void
cs_metrics_render_json(struct cs_metrics *m, struct buf *out)
{
	size_t i, j, n = 0;

	pthread_mutex_lock(&m->lock);
	buf_addc(out, '{');
	for (i = 0; i < m->nf; i++) {
		struct family *f = &m->f[i];
		int labelled;

		if (f->ns == 0)
			continue;
		labelled = !(f->ns == 1 && f->s[0].labels[0] == '\0');
		if (n++)
			buf_addc(out, ',');
		json_escape_str(out, f->name);
		buf_addc(out, ':');
		if (!labelled) {
			series_json(out, f, &f->s[0], 0);
			continue;
		}
		buf_addc(out, '[');
		for (j = 0; j < f->ns; j++) {
			if (j)
				buf_addc(out, ',');
			series_json(out, f, &f->s[j], 1);
		}
		buf_addc(out, ']');
	}
	buf_addc(out, '}');
	pthread_mutex_unlock(&m->lock);
}

int
cs_metrics_write_file(struct cs_metrics *m, const char *path, struct cs_err *err)
{
	struct buf text = BUF_INIT, tmp = BUF_INIT;
	FILE *f;
	int rc = -1;

	cs_metrics_render(m, &text);
	buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	if (!(f = fopen(tmp.data, "w"))) {
		cs_err_set(err, "cannot write '%s': %s", tmp.data, strerror(errno));
		goto out;
	}
	if (fwrite(text.data, 1, text.len, f) != text.len || fflush(f) != 0) {
		cs_err_set(err, "cannot write '%s': %s", tmp.data, strerror(errno));
		fclose(f);
		unlink(tmp.data);
		goto out;
	}
	if (fclose(f) != 0) {
		cs_err_set(err, "cannot write '%s': %s", tmp.data, strerror(errno));
		unlink(tmp.data);
		goto out;
	}
	if (rename(tmp.data, path) != 0) {
		cs_err_set(err, "cannot rename '%s' to '%s': %s", tmp.data, path, strerror(errno));
		unlink(tmp.data);
		goto out;
	}
	rc = 0;
out:
	buf_free(&text);
	buf_free(&tmp);
	return rc;
}
