module.exports = { '/': () => 'ok' };
