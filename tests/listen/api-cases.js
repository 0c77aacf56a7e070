// api-cases.js - every way a page can send to the collector, run by
// scripts/browse.py in a page whose window.COLLECTOR is the collector's
// URL; its value (printed as JSON) says what the browser saw.  Each
// record names its case in "case" and has its own millisecond.
(async () => {
	const url = window.COLLECTOR + "/report";
	const base = Date.now();
	let k = 0;
	const rec = (name) => ({
		url: location.href, referrer: "", browser: "Chromium", os: "Linux",
		language: navigator.language.toLowerCase(),
		timestamp: new Date(base + 10 * k++).toISOString(), case: name
	});
	const json = { "Content-Type": "application/json" };
	const out = {};
	out.beaconBlob = navigator.sendBeacon(url,
	    new Blob([JSON.stringify(rec("beacon-blob"))], { type: "application/json" }));
	out.beaconText = navigator.sendBeacon(url, JSON.stringify(rec("beacon-text")));
	out.beaconNdjson = navigator.sendBeacon(url,
	    JSON.stringify(rec("beacon-ndjson-1")) + "\n" + JSON.stringify(rec("beacon-ndjson-2")) + "\n");
	let r = await fetch(url, { method: "POST", headers: json, body: JSON.stringify(rec("fetch-json")) });
	out.fetchJson = [r.status, (await r.json()).Code];
	r = await fetch(url, { method: "POST", headers: json, credentials: "include",
	    body: JSON.stringify(rec("fetch-json-credentials")) });
	out.fetchCredentials = [r.status, (await r.json()).Code];
	r = await fetch(url, { method: "POST", headers: json,
	    body: JSON.stringify([rec("fetch-array-1"), rec("fetch-array-2")]) });
	const a = await r.json();
	out.fetchArray = [r.status, a.Code, a.FailedRecordCount, a.Records.length];
	return out;
})()
