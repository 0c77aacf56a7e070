// open-page.js - in a page with beacon.js that stays open and visible (no
// link followed, no tab hidden or closed): click a button, then keep the
// page as it is for 7 s while the test looks for the click in the stream.
// What could have sent the queue before the script's own timer (a
// visibility change, pagehide) is noted, and when the script called
// sendBeacon (ms after the click).
(async () => {
	const seen = [], sends = [];
	document.addEventListener("visibilitychange", () => seen.push("visibilitychange " + document.visibilityState));
	window.addEventListener("pagehide", () => seen.push("pagehide"));
	const beacon = navigator.sendBeacon.bind(navigator);
	let clicked = 0;
	navigator.sendBeacon = (url, body) => {
		sends.push(Date.now() - clicked);
		return beacon(url, body);
	};
	const wasVisible = document.visibilityState;
	clicked = Date.now();
	document.getElementById("buy").click();
	await new Promise((r) => setTimeout(r, 7000));
	return { wasVisible, visibility: document.visibilityState, seen, sends, heldMs: Date.now() - clicked };
})()
