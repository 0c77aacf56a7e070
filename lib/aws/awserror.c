/* awserror.c - what an AWS error answer says (see awserror.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "awserror.h"
#include "json.h"
#include "xml.h"

/*
 * A signature error of the service may quote the canonical request it
 * expected, signed headers and all: the session token among them.  Put
 * "(redacted)" in place of the value of every x-amz-security-token header
 * or query parameter of MSG.
 */
void
aws_redact_token(struct buf *msg)
{
	static const char name[] = "x-amz-security-token";
	struct buf out = BUF_INIT;
	size_t i = 0, n = sizeof name - 1;

	if (!msg->len)
		return;
	while (i < msg->len) {
		size_t j;

		if (msg->len - i <= n || strncasecmp(msg->data + i, name, n) != 0 ||
		    (msg->data[i + n] != ':' && msg->data[i + n] != '=')) {
			buf_addc(&out, msg->data[i++]);
			continue;
		}
		for (j = i + n + 1; j < msg->len && (msg->data[j] == ' ' || msg->data[j] == '\t'); j++)
			;
		buf_add(&out, msg->data + i, j - i);
		i = j;
		for (; j < msg->len && !strchr("\n\r'\"&;, \t", msg->data[j]); j++)
			;
		if (j > i)
			buf_adds(&out, "(redacted)");
		i = j;
	}
	buf_wipe_free(msg);
	*msg = out;
}

/* the code and message of an AWS XML error: Query (STS), REST-XML and EC2 shapes */
static int
xml_error(const char *body, size_t len, struct buf *code, struct buf *msg)
{
	static const char *const shapes[][2] = {
		{ "ErrorResponse/Error/Code", "ErrorResponse/Error/Message" },
		{ "Error/Code", "Error/Message" },
		{ "Response/Errors/Error/Code", "Response/Errors/Error/Message" },
		{ "ErrorResponse/Errors/Error/Code", "ErrorResponse/Errors/Error/Message" },
	};
	struct xml_doc d;
	struct cs_err xerr;
	const char *c, *m;
	size_t i;
	int found = 0;

	if (xml_parse(&d, body, len, &xerr) < 0)
		return 0;
	for (i = 0; i < sizeof shapes / sizeof shapes[0] && !found; i++) {
		if (!(c = xml_path_text(&d, shapes[i][0])))
			continue;
		m = xml_path_text(&d, shapes[i][1]);
		buf_add(code, c + strspn(c, " \t\r\n"), strcspn(c + strspn(c, " \t\r\n"), " \t\r\n"));
		if (m)
			buf_adds(msg, m);
		found = 1;
	}
	xml_free(&d);
	return found;
}

/*
 * The first line of text of a body that is neither JSON nor an AWS XML
 * error (an HTML page of a proxy): markup dropped, blanks trimmed, other
 * control characters as '?', at most 200 bytes.
 */
static void
first_text_line(const char *body, size_t len, struct buf *out)
{
	struct buf text = BUF_INIT;
	size_t i, start, end;
	int in_tag = 0;

	for (i = 0; i < len; i++) {
		char ch = body[i];

		if (ch == '<')
			in_tag = 1;
		else if (ch == '>' && in_tag)
			in_tag = 0;
		else if (!in_tag)
			buf_addc(&text, ch);
	}
	for (i = 0; i < text.len;) {
		size_t eol = i;

		while (eol < text.len && text.data[eol] != '\n' && text.data[eol] != '\r')
			eol++;
		start = i;
		end = eol;
		while (start < end && (text.data[start] == ' ' || text.data[start] == '\t'))
			start++;
		while (end > start && (text.data[end - 1] == ' ' || text.data[end - 1] == '\t'))
			end--;
		if (end > start) {
			if (end - start > 200)
				end = start + 200;
			for (; start < end; start++) {
				unsigned char ch = (unsigned char)text.data[start];

				buf_addc(out, ch < 0x20 || ch == 0x7f ? '?' : (char)ch);
			}
			break;
		}
		i = eol + 1;
	}
	buf_free(&text);
}

void
aws_error_from_response(const struct http_response *resp, struct cs_err *err)
{
	struct json_doc d;
	struct buf msg = BUF_INIT, code = BUF_INIT;
	int t, shaped = 0;

	json_doc_init(&d, 32);
	if (resp->body.len && json_parse(&d, resp->body.data, resp->body.len) == 0 &&
	    d.tok[0].type == JSON_OBJECT) {
		shaped = 1;
		if ((t = json_obj_get(&d, 0, "__type", 6)) >= 0 && d.tok[t].type == JSON_STRING) {
			json_str_decode(&d, t, &code);
			/* "com.amazon.coral.validate#ValidationException" */
			char *hash = strrchr(code.data, '#');
			snprintf(err->code, sizeof err->code, "%s", hash ? hash + 1 : code.data);
		}
		if (((t = json_obj_get(&d, 0, "message", 7)) >= 0 ||
		    (t = json_obj_get(&d, 0, "Message", 7)) >= 0) && d.tok[t].type == JSON_STRING)
			json_str_decode(&d, t, &msg);
	} else if (resp->body.len && xml_error(resp->body.data, resp->body.len, &code, &msg)) {
		shaped = 1;
		if (code.len && strlen(code.data) == code.len)
			snprintf(err->code, sizeof err->code, "%s", code.data);
	}
	if (!shaped && resp->body.len) {
		struct buf line = BUF_INIT;

		first_text_line(resp->body.data, resp->body.len, &line);
		if (line.len)
			buf_printf(&msg, "HTTP %ld%s%s: %s", resp->status, resp->reason[0] ? " " : "",
			    resp->reason, line.data);
		buf_free(&line);
	}
	aws_redact_token(&msg);
	if (!err->code[0])
		snprintf(err->code, sizeof err->code, "HTTP%ld", resp->status);
	if (msg.len)
		cs_err_set(err, "%s: %s", err->code, msg.data);
	else
		cs_err_set(err, "%s: HTTP status %ld%s%s", err->code, resp->status,
		    resp->reason[0] ? " " : "", resp->reason);
	buf_free(&msg);
	buf_free(&code);
	json_doc_free(&d);
}

void
aws_parse_error(const char *body, size_t len, long status, struct cs_err *err)
{
	aws_parse_error_reason(body, len, status, NULL, err);
}

void
aws_parse_error_reason(const char *body, size_t len, long status, const char *reason,
    struct cs_err *err)
{
	struct http_response r;

	http_response_init(&r);
	r.status = status;
	if (reason)
		snprintf(r.reason, sizeof r.reason, "%s", reason);
	buf_add(&r.body, body, len);
	cs_err_clear(err);
	err->http_status = (int)status;
	aws_error_from_response(&r, err);
	http_response_free(&r);
}
