'use strict';

const { app } = require('./app');

const port = Number(process.env.PORT || 8080);
const server = app().listen(port, () => console.log(`notes listening on :${port}`));
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
