// The 100 ms-latency fake upstream (nginx cannot sleep): answers every POST with the same
// OpenAI-format chat completion after DELAY_MS. Usage: node slow-upstream.js PORT [DELAY_MS]
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');

const port = Number(process.argv[2]);
const delay = Number(process.argv[3] || 100);
const body = fs.readFileSync(path.join(__dirname, 'fixtures', 'completion.json'));

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => setTimeout(() => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
    res.end(body);
  }, delay));
});
server.keepAliveTimeout = 65000;
server.listen(port, '127.0.0.1');
