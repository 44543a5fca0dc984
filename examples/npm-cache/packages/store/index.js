'use strict';

// Notes kept in memory, in id order.
class NotFoundError extends Error {}
class InvalidError extends Error {}

class NotesStore {
  constructor() {
    this.notes = new Map();
    this.nextId = 1;
  }

  list(tag) {
    const all = [...this.notes.values()].sort((a, b) => a.id - b.id);
    return tag ? all.filter((n) => n.tags.includes(tag)) : all;
  }

  get(id) {
    const note = this.notes.get(id);
    if (!note) throw new NotFoundError(`note ${id} not found`);
    return note;
  }

  create(input) {
    const note = { ...normalize(input), id: this.nextId++, updated: new Date().toISOString() };
    this.notes.set(note.id, note);
    return note;
  }

  update(id, input) {
    this.get(id);
    const note = { ...normalize(input), id, updated: new Date().toISOString() };
    this.notes.set(id, note);
    return note;
  }

  delete(id) {
    this.get(id);
    this.notes.delete(id);
  }
}

function normalize(input) {
  const title = typeof input?.title === 'string' ? input.title.trim() : '';
  if (!title) throw new InvalidError('a note needs a title');
  const tags = Array.isArray(input.tags) ? input.tags.filter((t) => typeof t === 'string') : [];
  return { title, body: typeof input.body === 'string' ? input.body : '', tags };
}

module.exports = { NotesStore, NotFoundError, InvalidError };
