/*
 * eventstream.h - the AWS event stream framing
 * (application/vnd.amazon.eventstream), as SubscribeToShard answers with
 * it: each message is
 *
 *   total length (u32) | headers length (u32) | prelude CRC32 (u32)
 *   headers | payload | message CRC32 (u32)
 *
 * big-endian, both CRCs zlib's crc32 (the prelude's over its first 8
 * bytes, the message's over everything before it).  A header is a name
 * (u8 length, bytes), a type (u8) and a value whose size the type gives
 * (strings and byte arrays: u16 length, bytes).
 *
 * The decoder reads one message at a time from bytes as they come; it
 * checks every length against what it was given and both CRCs, and keeps
 * the string headers that matter (:message-type, :event-type,
 * :content-type, :exception-type, :error-code, :error-message).
 */
#ifndef CS_EVENTSTREAM_H
#define CS_EVENTSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "cs.h"

/* the largest message taken (the format's own limit: 16 MB) */
#define ES_MAX_MESSAGE (16u << 20)
/* the largest headers section (the format's own limit: 128 KB) */
#define ES_MAX_HEADERS (128u << 10)

struct es_message {
	char message_type[32];    /* "event", "exception", "error" */
	char event_type[64];      /* "SubscribeToShardEvent", "initial-response" */
	char content_type[64];
	char exception_type[128]; /* with "exception": "ResourceInUseException", ... */
	char error_code[128];     /* with "error" */
	char error_message[256];
	const unsigned char *payload; /* into the bytes given, valid while they are */
	size_t payload_len;
};

/*
 * Decode the message at the start of BUF[0..LEN).  1: a whole message, M
 * filled and *USED its length; 0: BUF holds only part of one (read more;
 * *NEED, when not NULL, says how many bytes the whole message takes, or
 * 12 while the prelude is not all there); -1 with err on a corrupt
 * message (a bad CRC, a length out of range, a header cut short or of an
 * unknown type): nothing after it can be trusted.
 */
int es_decode(const unsigned char *buf, size_t len, struct es_message *m, size_t *used,
    size_t *need, struct cs_err *err);

/*
 * Encode a message with string headers NAMES[i] = VALUES[i] and PAYLOAD
 * into OUT (appended): for the tests, the fuzzer and stubs.
 */
void es_encode(struct buf *out, const char *const *names, const char *const *values,
    size_t nheaders, const void *payload, size_t len);

#endif
