'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { app } = require('..');

test('the notes API', async (t) => {
  const server = app().listen(0);
  t.after(() => server.close());
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const steps = [
    ['GET', '/healthz', undefined, 204, ''],
    ['POST', '/notes', '{"title":"groceries","tags":["home"]}', 201, '"id":1'],
    ['POST', '/notes', '{"title":"  "}', 422, 'needs a title'],
    ['POST', '/notes', '{"title":', 400, 'invalid JSON'],
    ['POST', '/notes', '{"title":"release"}', 201, '"id":2'],
    ['GET', '/notes?tag=home', undefined, 200, '"title":"groceries"'],
    ['PUT', '/notes/2', '{"title":"release","body":"v1.3"}', 200, '"body":"v1.3"'],
    ['DELETE', '/notes/1', undefined, 204, ''],
    ['GET', '/notes/1', undefined, 404, 'not found'],
    ['GET', '/notes/abc', undefined, 404, ''],
  ];
  for (const [method, path, body, code, want] of steps) {
    const res = await fetch(base + path, { method, body, headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    assert.equal(res.status, code, `${method} ${path}: ${text}`);
    assert.ok(text.includes(want), `${method} ${path}: ${text} lacks ${want}`);
  }
});
