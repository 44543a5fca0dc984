'use strict';

const express = require('express');
const { NotesStore, NotFoundError, InvalidError } = require('@notes/store');

// app serves store as a JSON API.
function app(store = new NotesStore()) {
  const a = express();
  a.use(express.json({ limit: '1mb' }));

  a.get('/healthz', (req, res) => res.status(204).end());
  a.get('/notes', (req, res) => res.json(store.list(req.query.tag)));
  a.post('/notes', (req, res) => res.status(201).json(store.create(req.body)));
  // Express 5 routes take no regular expressions: ids are checked here.
  a.param('id', (req, res, next, id) => {
    if (!/^[0-9]+$/.test(id)) return res.status(404).json({ error: `no note ${id}` });
    req.noteId = Number(id);
    next();
  });
  a.get('/notes/:id', (req, res) => res.json(store.get(req.noteId)));
  a.put('/notes/:id', (req, res) => res.json(store.update(req.noteId, req.body)));
  a.delete('/notes/:id', (req, res) => {
    store.delete(req.noteId);
    res.status(204).end();
  });

  // Express 5 passes errors thrown in handlers here.
  a.use((err, req, res, next) => {
    if (err instanceof NotFoundError) return res.status(404).json({ error: err.message });
    if (err instanceof InvalidError) return res.status(422).json({ error: err.message });
    if (err.type === 'entity.parse.failed') return res.status(400).json({ error: 'invalid JSON' });
    console.error(err);
    res.status(500).json({ error: 'internal error' });
  });
  return a;
}

module.exports = { app };
