'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { NotesStore, NotFoundError, InvalidError } = require('..');

test('create, update, delete', () => {
  const s = new NotesStore();
  const a = s.create({ title: ' groceries ', tags: ['home'] });
  const b = s.create({ title: 'release', body: 'v1.2' });
  assert.equal(a.title, 'groceries');
  assert.equal(s.update(b.id, { title: 'release', body: 'v1.3' }).body, 'v1.3');
  s.delete(a.id);
  assert.deepEqual(s.list().map((n) => n.id), [b.id]);
});

test('errors', () => {
  const s = new NotesStore();
  assert.throws(() => s.create({ title: '  ' }), InvalidError);
  assert.throws(() => s.get(7), NotFoundError);
  assert.throws(() => s.update(7, { title: 'x' }), NotFoundError);
  assert.throws(() => s.delete(7), NotFoundError);
});

test('list by tag', () => {
  const s = new NotesStore();
  s.create({ title: 'a', tags: ['x'] });
  s.create({ title: 'b' });
  s.create({ title: 'c', tags: ['y', 'x'] });
  assert.deepEqual(s.list('x').map((n) => n.title), ['a', 'c']);
});
