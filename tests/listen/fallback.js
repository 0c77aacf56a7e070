// fallback.js - in a page with beacon.js (data-no-pageview): a browser whose
// sendBeacon refuses (a full queue, a body too large) still reports, with
// fetch and keepalive.
(async () => {
	navigator.sendBeacon = () => false;
	window.csBeacon.track("custom", { case: "fetch-fallback" });
	window.csBeacon.flush();
	await new Promise((r) => setTimeout(r, 500));
	return { fallbackSent: true };
})()
