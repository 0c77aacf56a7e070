// loopback.js - preloaded into kinesis-mock and kinesalite (node -r
// ./loopback.js): kinesis-mock has no setting for its listening address, and
// kinesalite ignores its --host, so both would take every interface: each
// server they start listens on 127.0.0.1 only, and says so on stderr
// ("listening at 127.0.0.1:PORT") once the port is really its own.
'use strict';
const net = require('net');
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
	// listen(port[, host][, backlog][, cb]) or listen(options[, cb])
	if (args[0] !== null && typeof args[0] === 'object') {
		args[0] = Object.assign({}, args[0], { host: '127.0.0.1' });
	} else if (typeof args[1] === 'string') {
		args[1] = '127.0.0.1';
	} else {
		args.splice(1, 0, '127.0.0.1');
	}
	this.once('listening', () => {
		const a = this.address();
		process.stderr.write(`listening at ${a.address}:${a.port}\n`);
	});
	return listen.apply(this, args);
};
