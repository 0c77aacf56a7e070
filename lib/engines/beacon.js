/*
 * beacon.js - the page side of cs-put --listen (served as GET /beacon.js).
 *
 *   <script async src="https://collector.example.com/beacon.js"></script>
 *
 * Reports a page view when loaded and each click on a link or a button, as
 * records of the sample's shape (url, referrer, browser, os, language,
 * timestamp; the collector adds ip and country), plus "event" ("pageview"
 * or "click") and, for a click, "target" (the link's address, else the
 * element's id or text).  Records wait at most a second and leave
 * together, as NDJSON, with navigator.sendBeacon (else fetch with
 * keepalive); when the page is hidden (another tab, the visitor leaving)
 * they leave at once.
 *
 * Options, as attributes of the script tag:
 *   data-endpoint="URL"       where to report (default: /report on the
 *                             server the script came from)
 *   data-field-NAME="VALUE"   add "NAME":"VALUE" to every record
 *   data-no-pageview          no page view on load
 * window.csBeacon.track(event, fields) reports an event of the page's own.
 */
(function () {
	"use strict";
	var script = document.currentScript;
	if (!script || window.csBeacon)
		return;

	var endpoint = script.getAttribute("data-endpoint") ||
	    new URL("/report", script.src).href;
	var extra = {};
	for (var i = 0; i < script.attributes.length; i++) {
		var a = script.attributes[i];
		if (a.name.indexOf("data-field-") === 0 && a.name.length > 11)
			extra[a.name.slice(11)] = a.value;
	}

	var MAX_WAIT = 1000;      /* ms a record waits for others */
	var MAX_BYTES = 60000;    /* sendBeacon takes 64 KiB at most in flight */
	var MAX_RECORDS = 500;    /* the collector takes 500 records a request */
	var queue = [];
	var timer = null;

	/* browser and os: User-Agent Client Hints where there are some, else the UA string */
	function browserOs() {
		var ua = navigator.userAgent || "";
		var uad = navigator.userAgentData;
		var browser = "", os = "";
		if (uad && uad.brands && uad.brands.length) {
			var names = uad.brands.map(function (b) { return b.brand; }).filter(function (n) {
				return !/not.?a.?brand/i.test(n);
			});
			var own = names.filter(function (n) { return n !== "Chromium"; });
			browser = (own[0] || names[0] || "").replace(/^Google /, "").replace(/^Microsoft /, "");
			os = uad.platform || "";
		}
		if (!browser) {
			browser = /Edg\//.test(ua) ? "Edge" : /OPR\//.test(ua) ? "Opera" :
			    /Firefox\//.test(ua) ? "Firefox" : /HeadlessChrome\//.test(ua) ? "HeadlessChrome" :
			    /Chromium\//.test(ua) ? "Chromium" : /Chrome\//.test(ua) ? "Chrome" :
			    /Safari\//.test(ua) ? "Safari" : "Other";
		}
		if (!os) {
			os = /Windows/.test(ua) ? "Windows" : /Android/.test(ua) ? "Android" :
			    /iPhone|iPad|iPod/.test(ua) ? "iOS" : /Mac OS X/.test(ua) ? "macOS" :
			    /CrOS/.test(ua) ? "Chrome OS" : /Linux/.test(ua) ? "Linux" : "Other";
		}
		return [browser, os];
	}
	var bo = browserOs();

	function record(event, fields) {
		var r = {
			timestamp: new Date().toISOString(),
			browser: bo[0],
			url: location.href,
			referrer: document.referrer || "",
			os: bo[1],
			language: (navigator.language || "").toLowerCase(),
			event: event
		};
		var k;
		for (k in extra)
			r[k] = extra[k];
		for (k in fields || {})
			r[k] = fields[k];
		return r;
	}

	function post(body) {
		try {
			if (navigator.sendBeacon && navigator.sendBeacon(endpoint, body))
				return;
		} catch (e) { /* fall back */ }
		if (window.fetch)
			fetch(endpoint, { method: "POST", body: body, keepalive: true, mode: "cors",
			    credentials: "include", headers: { "Content-Type": "text/plain" } })
			    .catch(function () {});
	}

	/* send what waits: NDJSON as text/plain (no pre-flight), in pieces sendBeacon takes */
	function flush() {
		if (timer !== null) {
			clearTimeout(timer);
			timer = null;
		}
		var body = "", n = 0;
		while (queue.length) {
			var line = JSON.stringify(queue[0]) + "\n";
			if (n && (body.length + line.length > MAX_BYTES || n === MAX_RECORDS)) {
				post(body);
				body = "";
				n = 0;
			}
			body += line;
			n++;
			queue.shift();
		}
		if (n)
			post(body);
	}

	function track(event, fields) {
		queue.push(record(event, fields));
		if (timer === null)
			timer = setTimeout(flush, MAX_WAIT);
	}

	document.addEventListener("click", function (e) {
		var el = e.target && e.target.closest ?
		    e.target.closest("a[href],button,input[type=submit],input[type=button]") : null;
		if (!el)
			return;
		var target = el.href || el.id || (el.textContent || el.value || "").trim().slice(0, 100);
		track("click", { target: String(target) });
	}, true);
	document.addEventListener("visibilitychange", function () {
		if (document.visibilityState === "hidden")
			flush();
	});
	window.addEventListener("pagehide", flush);

	window.csBeacon = { track: track, flush: flush };
	if (!script.hasAttribute("data-no-pageview"))
		track("pageview");
})();
