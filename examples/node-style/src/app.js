const pad = require('left-pad');
console.log(pad('hello from cairn', 20));
